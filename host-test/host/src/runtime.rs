//! Loading the component into wasmtime, with a cache of the precompiled artifact so that later
//! runs start in milliseconds instead of compiling for half a second.
//!
//! A [`Runtime`] is shared by every [`ClientInstance`](crate::ClientInstance) made from it: it
//! links WASI and the trust import for the host's store data, and knows nothing of instances.
//!
//! # The cache, and why it is trusted
//!
//! A precompiled artifact is machine code that wasmtime maps and runs without checking it:
//! whoever can write the cache can run code in the host. So an artifact is loaded only when
//!
//! - its directory is private: owned by the current user and writable by nobody else (it is
//!   created `0700` when missing). Any other directory is never read or written: the component
//!   is compiled in memory, and [`LoadedFrom::Compiled`] says why;
//! - the artifact matches the SHA-256 digest written beside it (`NAME.cwasm.sha256`) when this
//!   host made it. The file is read into memory once, hashed, and deserialized from those same
//!   bytes (never read again after the check). A mismatch, a missing digest or an artifact
//!   wasmtime refuses is compiled anew and rewritten, artifact first, then its digest, each
//!   written to a temporary name and renamed into place.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::state::{self, HostState};

/// An engine, the loaded component, and a linker with WASI and the trust import.
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) component: Component,
    pub(crate) linker: Linker<HostState>,
}

/// Where a component came from (`https-get -v` prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedFrom {
    /// Deserialized from this precompiled artifact in the cache, after its SHA-256 matched the
    /// digest beside it.
    Cache(PathBuf),
    /// Compiled now (and written to the cache, if one was asked for and could be used).
    Compiled {
        /// Why a cache that was asked for gave no artifact, other than having none yet: a
        /// directory that is not private (never used then), an artifact that does not match
        /// its digest or that wasmtime refuses (rewritten), or a failure to read or write it.
        /// `None` when no cache was asked for, or when it had no artifact yet and now has.
        cache_refused: Option<String>,
    },
}

impl fmt::Display for LoadedFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadedFrom::Cache(path) => write!(f, "from the cache {}", path.display()),
            LoadedFrom::Compiled {
                cache_refused: None,
            } => f.write_str("compiled"),
            LoadedFrom::Compiled {
                cache_refused: Some(why),
            } => write!(f, "compiled; cache not used: {why}"),
        }
    }
}

impl Runtime {
    /// Loads the component at `path`; with `cache_dir`, reuses (or writes) a precompiled
    /// artifact keyed by the component's SHA-256 and the engine's compatibility hash, under
    /// the rules of this module's documentation.
    pub fn load(path: &Path, cache_dir: Option<&Path>) -> Result<(Self, LoadedFrom)> {
        Self::load_with_config(path, cache_dir, Config::new())
    }

    /// The same with an engine configured by the caller (for example with a memory creator of
    /// its own, to look at the guest's linear memory in a test).
    pub fn load_with_config(
        path: &Path,
        cache_dir: Option<&Path>,
        mut config: Config,
    ) -> Result<(Self, LoadedFrom)> {
        // For profiling with `perf`: JIT symbols in /tmp/perf-PID.map, and no cached artifact
        // (whose code would have none).
        let perf_map = std::env::var_os("VERIFIED_HTTPS_PERF_MAP").is_some();
        if perf_map {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let cache_dir = cache_dir.filter(|_| !perf_map);
        let engine = Engine::new(&config)?;
        let (component, loaded_from) = load_component(&engine, path, cache_dir)?;
        let mut linker = Linker::new(&engine);
        state::add_to_linker(&mut linker)?;
        crate::lent_crypto::add_to_linker(&mut linker)?;
        Ok((
            Runtime {
                engine,
                component,
                linker,
            },
            loaded_from,
        ))
    }
}

impl Runtime {
    /// The names of the component's imports (`wasi:io/poll@0.2.12`, ...).
    pub fn import_names(&self) -> Vec<String> {
        self.component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}

impl Runtime {
    /// Whether the component imports `verified:https/crypto` (the host-crypto build), so that
    /// this host computes its AEADs, key exchange and signature verification.
    pub fn imports_host_crypto(&self) -> bool {
        self.import_names()
            .iter()
            .any(|name| name.starts_with("verified:https/crypto@"))
    }
}

/// The default cache directory: `$XDG_CACHE_HOME/verified-https`, else
/// `$HOME/.cache/verified-https`.
pub fn default_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .map(|base| base.join("verified-https"))
}

/// The built component: `$VERIFIED_HTTPS_COMPONENT`, else beside the running executable in the
/// same Cargo target directory, else in this workspace's target directory.
pub fn default_component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("VERIFIED_HTTPS_COMPONENT") {
        return PathBuf::from(path);
    }
    const RELATIVE: &str = "verified-https.wasm";
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(3)
            .map(|dir| dir.join(RELATIVE))
            .find(|candidate| candidate.exists())
    });
    beside_exe.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target")
            .join(RELATIVE)
    })
}

/// The component `https-get` runs by default: `$VERIFIED_HTTPS_COMPONENT`, else the host-crypto
/// build beside [`default_component_path`] (`verified-https-host-crypto.wasm`: this host lends
/// it ring natively, the fastest path it offers), else that self-contained component.
pub fn default_lending_component_path() -> PathBuf {
    let self_contained = default_component_path();
    if std::env::var_os("VERIFIED_HTTPS_COMPONENT").is_some() {
        return self_contained;
    }
    let lending = self_contained.with_file_name("verified-https-host-crypto.wasm");
    if lending.is_file() {
        lending
    } else {
        self_contained
    }
}

/// The component at `path` for `engine`: with `cache_dir`, from (or into) the cache of
/// precompiled artifacts under this module's rules; else compiled. Also how the async build is
/// loaded (its engine has a compatibility hash, and so artifacts, of its own).
pub(crate) fn load_component(
    engine: &Engine,
    path: &Path,
    cache_dir: Option<&Path>,
) -> Result<(Component, LoadedFrom)> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the component {}", path.display()))?;
    match cache_dir {
        Some(dir) => load_cached(engine, &bytes, dir),
        None => Ok((
            Component::new(engine, &bytes)?,
            LoadedFrom::Compiled {
                cache_refused: None,
            },
        )),
    }
}

/// Precompiled bytes that wasmtime may deserialize: made by this engine just now, or read
/// once from a private cache directory and matching the digest written beside them when this
/// engine made them. The only way to them is [`precompile`] or [`read_verified`].
struct TrustedArtifact(Vec<u8>);

/// [`Runtime::load`] with a cache directory.
fn load_cached(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<(Component, LoadedFrom)> {
    if let Err(why) = private_dir(dir) {
        let component = Component::new(engine, bytes)?;
        return Ok((
            component,
            LoadedFrom::Compiled {
                cache_refused: Some(why),
            },
        ));
    }
    let artifact = dir.join(artifact_name(engine, bytes));
    let digest = digest_path(&artifact);
    // Why the artifact there, if any, is not used.
    let refused = match read_verified(&artifact, &digest) {
        Ok(None) => None,
        Ok(Some(trusted)) => match deserialize(engine, &trusted) {
            Ok(component) => return Ok((component, LoadedFrom::Cache(artifact))),
            Err(e) => Some(format!(
                "{} was refused by wasmtime ({e:#})",
                artifact.display()
            )),
        },
        Err(why) => Some(why),
    };
    let trusted = precompile(engine, bytes)?;
    let written = write_artifact(&artifact, &digest, &trusted)
        .map_err(|e| format!("cannot write {}: {e}", artifact.display()));
    let refused = match (refused, written) {
        (None, Ok(())) => None,
        (None, Err(failed)) => Some(failed),
        (Some(why), Ok(())) => Some(format!("{why}; compiled anew and rewritten")),
        (Some(why), Err(failed)) => Some(format!("{why}; compiled anew, but {failed}")),
    };
    let component = deserialize(engine, &trusted)?;
    Ok((
        component,
        LoadedFrom::Compiled {
            cache_refused: refused,
        },
    ))
}

/// The component compiled by `engine` into an artifact.
fn precompile(engine: &Engine, bytes: &[u8]) -> Result<TrustedArtifact> {
    Ok(TrustedArtifact(engine.precompile_component(bytes)?))
}

#[allow(
    unsafe_code,
    reason = "wasmtime loads a precompiled artifact only through `unsafe` deserialization; a \
              `TrustedArtifact` is what this engine made, checked against its digest in a \
              private directory and never re-read after the check"
)]
fn deserialize(engine: &Engine, artifact: &TrustedArtifact) -> Result<Component> {
    // SAFETY: the bytes were made by `precompile_component` of an engine with this one's
    // compatibility hash (it is in the file name): just now, or read from a directory only
    // this user can write and matching the SHA-256 recorded when they were made. Deserializing
    // from the very bytes that were hashed leaves no window to swap the file.
    Ok(unsafe { Component::deserialize(engine, &artifact.0)? })
}

/// `SHA256-ENGINEHASH.cwasm`: the component's SHA-256 and the engine's compatibility hash.
fn artifact_name(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    format!(
        "{}-{:016x}.cwasm",
        hex(&Sha256::digest(bytes)),
        engine_hash.finish()
    )
}

/// Where the digest of `artifact` is kept: `NAME.cwasm.sha256` beside it.
fn digest_path(artifact: &Path) -> PathBuf {
    let mut name = artifact.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The artifact, if it matches its digest: `None` if there is no artifact yet, and why not
/// if it cannot be read, has no digest or does not match it.
fn read_verified(artifact: &Path, digest: &Path) -> Result<Option<TrustedArtifact>, String> {
    let bytes = match std::fs::read(artifact) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", artifact.display())),
    };
    let expected = match std::fs::read_to_string(digest) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(format!(
                "{} has no SHA-256 digest beside it",
                artifact.display()
            ));
        }
        Err(e) => return Err(format!("cannot read {}: {e}", digest.display())),
    };
    if expected.trim() != hex(&Sha256::digest(&bytes)) {
        return Err(format!(
            "{} does not match its SHA-256 digest",
            artifact.display()
        ));
    }
    Ok(Some(TrustedArtifact(bytes)))
}

/// Writes the artifact, then its digest, each to a temporary name renamed into place (so a
/// reader never sees half a file, and a digest never describes an artifact not yet there).
fn write_artifact(
    artifact: &Path,
    digest: &Path,
    trusted: &TrustedArtifact,
) -> std::io::Result<()> {
    write_then_rename(artifact, &trusted.0)?;
    write_then_rename(
        digest,
        format!("{}\n", hex(&Sha256::digest(&trusted.0))).as_bytes(),
    )
}

/// Writes `contents` to a new file (mode 0600) beside `path`, then renames it to `path`.
fn write_then_rename(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    // Unique per process and call: threads of one process may compile at the same time.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".partial-{}-{write}", std::process::id()));
    let partial = PathBuf::from(partial);
    let written = new_private_file(&partial)
        .and_then(|mut file| file.write_all(contents))
        .and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

#[cfg(unix)]
fn new_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn new_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Makes sure `dir` is a directory only the current user can write: creates it (mode 0700,
/// its parents as usual) if missing; otherwise says why it cannot be used.
#[cfg(unix)]
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if !dir.exists() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            // Another process made it first: it is checked below like any existing one.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
        }
    }
    let metadata =
        std::fs::metadata(dir).map_err(|e| format!("cannot inspect {}: {e}", dir.display()))?;
    if !metadata.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    match not_private(metadata.uid(), metadata.mode(), current_uid()) {
        Some(why) => Err(format!("{} {why}", dir.display())),
        None => Ok(()),
    }
}

/// Without Unix owners and modes, the cache's safety cannot be checked: it is not used.
#[cfg(not(unix))]
fn private_dir(dir: &Path) -> Result<(), String> {
    Err(format!(
        "{}: the owner and permissions of a cache directory are checked only on Unix",
        dir.display()
    ))
}

/// The effective user id of this process: the owner of every file it creates. (rustix, which
/// wasmtime already depends on, calls `geteuid` without `unsafe`.)
#[cfg(unix)]
fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Why a directory owned by `owner` with `mode` is not private to user `me`, if it is not:
/// another owner, or write permission for its group or others.
#[cfg(unix)]
fn not_private(owner: u32, mode: u32, me: u32) -> Option<String> {
    if owner != me {
        Some(format!(
            "is owned by uid {owner}, not by this user (uid {me})"
        ))
    } else if mode & 0o022 != 0 {
        Some(format!(
            "is writable by group or others (mode {:o})",
            mode & 0o7777
        ))
    } else {
        None
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A component with no imports, and one that imports `b`: told apart by
    /// [`Runtime::import_names`].
    const PLAIN: &str = "(component)";
    const OTHER: &str = r#"(component (import "b" (func)))"#;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runtime-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `PLAIN` as a file in `dir`, to load.
    fn plain_component(dir: &Path) -> PathBuf {
        let path = dir.join("plain.wat");
        std::fs::write(&path, PLAIN).unwrap();
        path
    }

    /// The names and contents of the files in `dir`, sorted.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// The artifact `PLAIN` is cached as, and its digest.
    fn plain_artifact(cache: &Path) -> (PathBuf, PathBuf) {
        let artifact = cache.join(artifact_name(&Engine::default(), PLAIN.as_bytes()));
        let digest = digest_path(&artifact);
        (artifact, digest)
    }

    #[test]
    fn a_fresh_cache_directory_is_created_private_with_the_artifact_and_its_digest() {
        let dir = temp_dir("fresh");
        let cache = dir.join("parent/cache");
        let (runtime, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert_eq!(
            loaded,
            LoadedFrom::Compiled {
                cache_refused: None
            }
        );
        assert!(runtime.import_names().is_empty());
        assert_eq!(mode(&cache), 0o700);
        let (artifact, digest) = plain_artifact(&cache);
        assert_eq!(mode(&artifact), 0o600);
        let bytes = std::fs::read(&artifact).unwrap();
        assert_eq!(
            std::fs::read_to_string(&digest).unwrap(),
            format!("{}\n", hex(&Sha256::digest(&bytes)))
        );
        assert_eq!(contents(&cache).len(), 2, "nothing partial is left");

        let (_, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert_eq!(loaded, LoadedFrom::Cache(artifact));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_tampered_artifact_is_never_loaded_and_is_compiled_anew_and_rewritten() {
        let dir = temp_dir("tampered");
        let cache = dir.join("cache");
        Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        let (artifact, _) = plain_artifact(&cache);
        let good = std::fs::read(&artifact).unwrap();
        // Another component's artifact under this one's name: valid for this engine, and
        // deserialized without complaint by anything that trusts the name.
        let planted = Engine::default()
            .precompile_component(OTHER.as_bytes())
            .unwrap();
        std::fs::write(&artifact, &planted).unwrap();

        let (runtime, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert!(
            runtime.import_names().is_empty(),
            "the planted code is not loaded"
        );
        let LoadedFrom::Compiled {
            cache_refused: Some(why),
        } = &loaded
        else {
            panic!("{loaded:?}");
        };
        assert!(
            why.contains("does not match its SHA-256 digest; compiled anew and rewritten"),
            "{why}"
        );
        assert_eq!(std::fs::read(&artifact).unwrap(), good, "rewritten");
        let (_, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert_eq!(loaded, LoadedFrom::Cache(artifact));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_artifact_without_its_digest_is_compiled_anew_and_gets_one() {
        let dir = temp_dir("no-digest");
        let cache = dir.join("cache");
        Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        let (artifact, digest) = plain_artifact(&cache);
        std::fs::remove_file(&digest).unwrap();
        let (_, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert!(
            matches!(&loaded, LoadedFrom::Compiled { cache_refused: Some(why) }
                if why.contains("has no SHA-256 digest beside it")),
            "{loaded:?}"
        );
        assert!(digest.exists());
        let (_, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert_eq!(loaded, LoadedFrom::Cache(artifact));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_world_writable_cache_directory_is_never_read_or_written() {
        let dir = temp_dir("writable");
        let cache = dir.join("cache");
        std::fs::create_dir(&cache).unwrap();
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        // What anyone could have put there: another component's artifact under this one's
        // name, with a digest that matches it.
        let (artifact, digest) = plain_artifact(&cache);
        let planted = Engine::default()
            .precompile_component(OTHER.as_bytes())
            .unwrap();
        std::fs::write(&artifact, &planted).unwrap();
        std::fs::write(&digest, format!("{}\n", hex(&Sha256::digest(&planted)))).unwrap();
        let before = contents(&cache);

        let (runtime, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert!(
            runtime.import_names().is_empty(),
            "the planted code is not loaded"
        );
        assert_eq!(
            loaded,
            LoadedFrom::Compiled {
                cache_refused: Some(format!(
                    "{} is writable by group or others (mode 777)",
                    cache.display()
                ))
            }
        );
        assert_eq!(contents(&cache), before, "nothing is written there");
        assert_eq!(mode(&cache), 0o777, "nor is its mode changed");

        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o730)).unwrap();
        let (_, loaded) = Runtime::load(&plain_component(&dir), Some(&cache)).unwrap();
        assert!(
            matches!(&loaded, LoadedFrom::Compiled { cache_refused: Some(why) }
                if why.ends_with("is writable by group or others (mode 730)")),
            "{loaded:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_directory_of_another_user_or_writable_by_its_group_or_others_is_not_private() {
        assert_eq!(not_private(1000, 0o40700, 1000), None);
        assert_eq!(not_private(1000, 0o40755, 1000), None);
        assert_eq!(
            not_private(0, 0o40700, 1000).as_deref(),
            Some("is owned by uid 0, not by this user (uid 1000)")
        );
        assert_eq!(
            not_private(1000, 0o40770, 1000).as_deref(),
            Some("is writable by group or others (mode 770)")
        );
        assert_eq!(
            not_private(1000, 0o41777, 1000).as_deref(),
            Some("is writable by group or others (mode 1777)")
        );
        assert_eq!(
            not_private(1000, 0o40702, 1000).as_deref(),
            Some("is writable by group or others (mode 702)")
        );
    }

    #[test]
    fn loaded_from_says_where_and_why_for_verbose_output() {
        assert_eq!(
            LoadedFrom::Cache(PathBuf::from("/c/x.cwasm")).to_string(),
            "from the cache /c/x.cwasm"
        );
        assert_eq!(
            LoadedFrom::Compiled {
                cache_refused: None
            }
            .to_string(),
            "compiled"
        );
        assert_eq!(
            LoadedFrom::Compiled {
                cache_refused: Some("/c is writable by group or others (mode 777)".into())
            }
            .to_string(),
            "compiled; cache not used: /c is writable by group or others (mode 777)"
        );
    }
}
