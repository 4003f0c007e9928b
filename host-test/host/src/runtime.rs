//! Loading the component into wasmtime, with a cache of the precompiled artifact so that later
//! runs start in milliseconds instead of compiling for half a second.
//!
//! A [`Runtime`] is shared by every [`ClientInstance`](crate::ClientInstance) made from it: it
//! links WASI and the trust import for the host's store data, and knows nothing of instances.

use std::hash::{Hash, Hasher};
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

/// Where a component came from and how long loading it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedFrom {
    /// Compiled now (and written to the cache, if one is used).
    Compiled,
    /// Deserialized from a precompiled artifact in the cache.
    Cache(PathBuf),
}

impl Runtime {
    /// Loads the component at `path`; with `cache_dir`, reuses (or writes) a precompiled
    /// artifact keyed by the component's SHA-256 and the engine's compatibility hash.
    pub fn load(path: &Path, cache_dir: Option<&Path>) -> Result<(Self, LoadedFrom)> {
        let mut config = Config::new();
        // For profiling with `perf`: JIT symbols in /tmp/perf-PID.map, and no cached artifact
        // (whose code would have none).
        let perf_map = std::env::var_os("VERIFIED_HTTPS_PERF_MAP").is_some();
        if perf_map {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let cache_dir = cache_dir.filter(|_| !perf_map);
        let engine = Engine::new(&config)?;
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the component {}", path.display()))?;
        let (component, loaded_from) = match cache_dir {
            Some(dir) => load_cached(&engine, &bytes, dir)?,
            None => (Component::new(&engine, &bytes)?, LoadedFrom::Compiled),
        };
        let mut linker = Linker::new(&engine);
        state::add_to_linker(&mut linker)?;
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

#[allow(
    unsafe_code,
    reason = "wasmtime can only load a precompiled artifact through `unsafe` deserialization"
)]
fn load_cached(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<(Component, LoadedFrom)> {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let digest = Sha256::digest(bytes);
    let name = format!(
        "{}-{:016x}.cwasm",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        engine_hash.finish()
    );
    let artifact = dir.join(name);
    if artifact.exists() {
        // SAFETY: the artifact was written by `precompile_component` of an engine with the same
        // compatibility hash (it is in the file name), into a cache directory of our own.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &artifact) } {
            return Ok((component, LoadedFrom::Cache(artifact)));
        }
    }
    let precompiled = engine.precompile_component(bytes)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the cache directory {}", dir.display()))?;
    // Write then rename, so a concurrent reader never sees half a file.
    // Unique per process and call: threads of one process may compile at the same time.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = artifact.with_extension(format!("partial-{}-{write}", std::process::id()));
    std::fs::write(&partial, &precompiled)?;
    std::fs::rename(&partial, &artifact)?;
    // SAFETY: as above; the bytes were just produced by this engine.
    let component = unsafe { Component::deserialize(engine, &precompiled)? };
    Ok((component, LoadedFrom::Compiled))
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
