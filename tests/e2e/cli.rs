//! `https-get` as a user runs it: flags, trust-store discovery, messages and curl's exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use verified_https::tls::pins::public_key_pin;
use verified_https_testkit::pki::{Leaf, LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, TestServer, Versions};

use crate::support::{client_pki, mtls_server};

/// The built `https-get`, beside this test binary's directory (target/release).
pub(crate) fn https_get() -> Command {
    let exe = std::env::current_exe().expect("test binary path");
    let binary = exe
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("https-get"))
        .find(|path| path.is_file())
        .expect("https-get is not built; run `make test` (it builds the host binaries first)");
    let mut command = Command::new(binary);
    // A test must never depend on the machine's own trust store.
    command
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    command
}

/// A temporary directory holding `pki`'s root as ca.pem.
pub(crate) fn ca_dir(pki: &Pki, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("ca.pem"), pki.root_pem()).expect("write ca.pem");
    dir
}

pub(crate) fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("running https-get");
    let code = status.code().expect("exit code");
    // The command line and its exit code, shown with --nocapture (or when the test fails).
    let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
    eprintln!("$ https-get {} -> {code}", args.join(" "));
    (
        code,
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `--resolve HOST:PORT:127.0.0.1` and the URL for `host` on `server`.
pub(crate) fn target(server: &TestServer, host: &str) -> [String; 3] {
    [
        "--resolve".into(),
        format!("{host}:{}:127.0.0.1", server.port()),
        server.url("https", host, "/path"),
    ]
}

fn good_server(pki: &Pki, handler: server::Handler) -> TestServer {
    TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        handler,
    )
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn cacert_fetch_prints_the_body_and_exits_0() {
    let pki = Pki::new("cli-ok");
    let dir = ca_dir(&pki, "ok");
    let server = good_server(&pki, server::fixed(200, b"hello cli"));
    let (code, out, err) = run(https_get()
        .arg("--cacert")
        .arg(arg(&dir.join("ca.pem")))
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "hello cli"), "{err}");
}

#[test]
fn ssl_cert_file_is_the_default_trust_store() {
    let pki = Pki::new("cli-env-file");
    let dir = ca_dir(&pki, "env-file");
    let server = good_server(&pki, server::fixed(200, b"env"));
    let (code, out, err) = run(https_get()
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "env"), "{err}");
}

#[test]
fn ssl_cert_dir_and_capath_are_read() {
    let pki = Pki::new("cli-dir");
    let dir = ca_dir(&pki, "dir");
    let server = good_server(&pki, server::fixed(200, b"dir"));
    let (code, _, err) = run(https_get()
        .env("SSL_CERT_DIR", &dir)
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(https_get()
        .arg("--capath")
        .arg(arg(&dir))
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn wrong_host_exits_60_with_a_one_line_reason() {
    let pki = Pki::new("cli-wrong");
    let dir = ca_dir(&pki, "wrong");
    let server = good_server(&pki, server::fixed(200, b"secret"));
    let (code, out, err) = run(https_get()
        .arg("--cacert")
        .arg(arg(&dir.join("ca.pem")))
        .args(target(&server, "wrong.test")));
    assert_eq!(code, 60);
    assert!(out.is_empty(), "no body may be printed: {out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("certificate verify failed: hostname mismatch")
            && err.contains("'wrong.test'")
            && err.contains("good.test"),
        "{err}"
    );
}

#[test]
fn expired_certificate_exits_60_saying_it_has_expired() {
    let pki = Pki::new("cli-expired");
    let dir = ca_dir(&pki, "expired");
    let spec = LeafSpec::new(&["good.test"]).valid(
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
    );
    let server = TestServer::https(&pki.leaf(&spec), Versions::Both, server::fixed(200, b""));
    let (code, _, err) = run(https_get()
        .arg("--cacert")
        .arg(arg(&dir.join("ca.pem")))
        .args(target(&server, "good.test")));
    assert_eq!(code, 60);
    assert!(
        err.contains(
            "certificate verify failed: certificate has expired (notAfter 2021-01-01T00:00:00Z"
        ),
        "{err}"
    );
}

#[test]
fn missing_trust_store_exits_77_naming_the_fixes_and_connects_nowhere() {
    let pki = Pki::new("cli-no-store");
    let server = good_server(&pki, server::fixed(200, b""));
    let (code, _, err) = run(https_get()
        .env("SSL_CERT_FILE", "/nonexistent/bundle.pem")
        .args(target(&server, "good.test")));
    assert_eq!(code, 77, "{err}");
    for word in ["SSL_CERT_FILE", "SSL_CERT_DIR", "--cacert", "--capath"] {
        assert!(err.contains(word), "{err}");
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn empty_cacert_file_or_capath_dir_exits_77_without_looking_elsewhere() {
    let pki = Pki::new("cli-empty");
    let dir = ca_dir(&pki, "empty");
    std::fs::write(dir.join("empty.pem"), "").expect("write");
    let empty_dir = dir.join("nothing");
    std::fs::create_dir_all(&empty_dir).expect("mkdir");
    let server = good_server(&pki, server::fixed(200, b""));
    // SSL_CERT_FILE holds the right CA, but an explicitly named empty location must not fall back.
    let (code, _, err) = run(https_get()
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .arg("--cacert")
        .arg(arg(&dir.join("empty.pem")))
        .args(target(&server, "good.test")));
    assert_eq!(code, 77, "{err}");
    let (code, _, err) = run(https_get()
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .arg("--capath")
        .arg(arg(&empty_dir))
        .args(target(&server, "good.test")));
    assert_eq!(code, 77, "{err}");
    assert_eq!(server.connections(), 0);
}

#[test]
fn insecure_fetch_warns_and_succeeds() {
    let pki = Pki::new("cli-insecure");
    let server = good_server(&pki, server::fixed(200, b"unverified body"));
    let (code, out, err) = run(https_get()
        .arg("-k")
        .arg("-v")
        .args(target(&server, "wrong.test")));
    assert_eq!((code, out.as_str()), (0, "unverified body"), "{err}");
    assert!(
        err.contains("WARNING") && err.contains("NOT verified"),
        "{err}"
    );
    assert!(err.contains("verified: NO"), "{err}");
}

#[test]
fn bad_url_exits_3() {
    let (code, _, err) = run(https_get().arg("-k").arg("https://user@good.test/"));
    assert_eq!(code, 3, "{err}");
}

#[test]
fn truncated_body_exits_18() {
    let pki = Pki::new("cli-truncated");
    let dir = ca_dir(&pki, "truncated");
    let server = good_server(
        &pki,
        server::raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort".to_vec(),
            Ending::CloseNotify,
        ),
    );
    let (code, _, err) = run(https_get()
        .arg("--cacert")
        .arg(arg(&dir.join("ca.pem")))
        .args(target(&server, "good.test")));
    assert_eq!(code, 18, "{err}");
}

#[test]
fn malformed_reply_exits_8() {
    let pki = Pki::new("cli-malformed");
    let dir = ca_dir(&pki, "malformed");
    let server = good_server(
        &pki,
        server::raw(b"garbage\r\n\r\n".to_vec(), Ending::CloseNotify),
    );
    let (code, _, err) = run(https_get()
        .arg("--cacert")
        .arg(arg(&dir.join("ca.pem")))
        .args(target(&server, "good.test")));
    assert_eq!(code, 8, "{err}");
}

#[test]
fn fail_flag_exits_22_on_404() {
    let pki = Pki::new("cli-fail");
    let dir = ca_dir(&pki, "fail");
    let server = good_server(&pki, server::fixed(404, b"not here"));
    let ca = arg(&dir.join("ca.pem"));
    let (code, out, _) = run(https_get()
        .args(["-f", "--cacert", &ca])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (22, ""));
    let (code, out, _) = run(https_get()
        .args(["--cacert", &ca])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "not here"));
}

#[test]
fn connection_refused_exits_7() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (code, _, err) = run(https_get()
        .arg("-k")
        .arg(format!("https://127.0.0.1:{port}/")));
    assert_eq!(code, 7, "{err}");
}

#[test]
fn output_file_include_and_post_data() {
    let pki = Pki::new("cli-output");
    let dir = ca_dir(&pki, "output");
    let server = good_server(
        &pki,
        std::sync::Arc::new(
            |request: &server::SeenRequest, out: &mut dyn std::io::Write| {
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\nX-Seen: {}\r\nContent-Length: {}\r\n\r\n",
                    request.body.len(),
                    request.body.len()
                )?;
                out.write_all(&request.body)?;
                Ok(Ending::CloseNotify)
            },
        ),
    );
    let file = dir.join("out.txt");
    let (code, out, err) = run(https_get()
        .args([
            "--cacert",
            &arg(&dir.join("ca.pem")),
            "-i",
            "-d",
            "a=1&b=2",
            "-H",
            "X-Test: yes",
            "-o",
            &arg(&file),
        ])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let written = std::fs::read_to_string(&file).expect("output file");
    assert!(
        written.starts_with("HTTP/1.1 200 OK\r\n") && written.contains("X-Seen: 7\r\n"),
        "{written}"
    );
    assert!(written.ends_with("\r\n\r\na=1&b=2"), "{written}");
    let seen = &server.requests()[0];
    assert!(
        seen.head.starts_with("POST /path HTTP/1.1") && seen.head.contains("X-Test: yes"),
        "{}",
        seen.head
    );
}

#[test]
fn redirects_are_followed_with_l_and_https_to_http_is_refused() {
    let pki = Pki::new("cli-redirect");
    let dir = ca_dir(&pki, "redirect");
    let ca = arg(&dir.join("ca.pem"));
    let server = good_server(
        &pki,
        std::sync::Arc::new(
            |request: &server::SeenRequest, out: &mut dyn std::io::Write| {
                if request.head.starts_with("GET /path ") {
                    out.write_all(
                        b"HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n",
                    )?;
                } else if request.head.starts_with("GET /final ") {
                    out.write_all(b"HTTP/1.1 301 Moved\r\nLocation: http://good.test/plain\r\nContent-Length: 0\r\n\r\n")?;
                }
                Ok(Ending::CloseNotify)
            },
        ),
    );
    let (code, out, _) = run(https_get()
        .args(["--cacert", &ca])
        .args(target(&server, "good.test")));
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "without -L the 302 is the answer"
    );
    let (code, _, err) = run(https_get()
        .args(["-L", "--cacert", &ca])
        .args(target(&server, "good.test")));
    assert_eq!(code, 1);
    assert!(
        err.contains("refused a redirect from https to http://good.test/plain"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 3, "/path, /path again, /final");
}

#[test]
fn max_filesize_exits_63_and_writes_nothing_beyond_it() {
    let pki = Pki::new("cli-max-filesize");
    let dir = ca_dir(&pki, "max-filesize");
    let server = good_server(&pki, server::fixed(200, b"0123456789abcdef"));
    let ca = arg(&dir.join("ca.pem"));
    let (code, out, err) = run(https_get()
        .args(["--cacert", &ca, "--max-filesize", "10"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 63, "{err}");
    assert!(
        out.is_empty(),
        "a Content-Length over the limit is refused before any byte: {out}"
    );
    assert!(err.contains("response body exceeds 10 bytes"), "{err}");
}

#[test]
fn an_insecure_fetch_over_max_filesize_exits_63_and_writes_nothing() {
    // The unverified context takes no options, so the CLI applies the limit itself; a
    // Content-Length over it is refused before any byte, as the component does.
    let pki = Pki::new("cli-insecure-max-filesize");
    let server = good_server(&pki, server::fixed(200, b"0123456789abcdef"));
    let (code, out, err) = run(https_get()
        .args(["-k", "-i", "--max-filesize", "10"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 63, "{err}");
    assert!(
        out.is_empty(),
        "nothing is written, not even the head: {out}"
    );
    assert!(err.contains("response body exceeds 10 bytes"), "{err}");
}

#[test]
fn an_insecure_chunked_body_over_max_filesize_exits_63_and_writes_nothing_beyond_it() {
    let pki = Pki::new("cli-insecure-max-filesize-chunked");
    let server = good_server(
        &pki,
        server::raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              6\r\n012345\r\n6\r\n6789ab\r\n4\r\ncdef\r\n0\r\n\r\n"
                .to_vec(),
            Ending::CloseNotify,
        ),
    );
    let (code, out, err) = run(https_get()
        .args(["-k", "--max-filesize", "10"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 63, "{err}");
    assert!(
        out.len() <= 10 && "0123456789abcdef".starts_with(&out),
        "at most the first 10 bytes are written: {out:?}"
    );
    assert!(err.contains("response body exceeds 10 bytes"), "{err}");

    // A body exactly at the limit is whole.
    let (code, out, err) = run(https_get()
        .args(["-k", "--max-filesize", "16"])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "0123456789abcdef"), "{err}");
}

#[test]
fn verbose_names_each_certificate_of_the_chain_with_its_expiry() {
    let pki = Pki::new("cli-verbose");
    let server = good_server(&pki, server::fixed(200, b"hi"));
    let dir = ca_dir(&pki, "verbose");
    let (code, _, stderr) = run(https_get()
        .args(["-v", "--cacert", &arg(&dir.join("ca.pem"))])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("server presented 2 certificate(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("0 subject: CN=good.test"), "{stderr}");
    assert!(
        stderr.contains("issuer: CN=cli-verbose intermediate CA"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 subject: CN=cli-verbose intermediate CA"),
        "{stderr}"
    );
    assert!(stderr.contains("expires: 2100-01-01T00:00:00Z"), "{stderr}");
    assert!(stderr.contains("verified: yes"), "{stderr}");
}

#[test]
fn json_prints_the_metadata_for_scripts_and_the_body_goes_to_the_file() {
    let pki = Pki::new("cli-json");
    let server = good_server(&pki, server::fixed(200, b"json body"));
    let dir = ca_dir(&pki, "json");
    let out = dir.join("body");
    let (code, stdout, stderr) = run(https_get()
        .args([
            "--json",
            "-o",
            &arg(&out),
            "--cacert",
            &arg(&dir.join("ca.pem")),
        ])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{stderr}");
    let meta: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(meta["status"], 200);
    assert_eq!(meta["body_bytes"], 9);
    assert_eq!(meta["tls"]["verified"], true);
    assert_eq!(meta["tls"]["version"], "TLSv1.3");
    assert_eq!(meta["tls"]["chain"][0]["names"][0], "good.test");
    assert_eq!(meta["tls"]["chain"][0]["not_after"], "2100-01-01T00:00:00Z");
    assert_eq!(std::fs::read(&out).unwrap(), b"json body");
}

#[test]
fn json_reports_a_failure_as_an_error_object_with_the_exit_code() {
    let pki = Pki::new("cli-json-error");
    let server = good_server(&pki, server::fixed(200, b"never"));
    let dir = ca_dir(&pki, "json-error");
    let (code, stdout, _) = run(https_get()
        .args(["--json", "--cacert", &arg(&dir.join("ca.pem"))])
        .args(target(&server, "wrong.test")));
    assert_eq!(code, 60);
    let meta: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(meta["error"]["exit_code"], 60);
    assert!(
        meta["error"]["message"]
            .as_str()
            .unwrap()
            .contains("wrong.test"),
        "{meta}"
    );
}

/// A fresh `$XDG_CACHE_HOME` for `https-get` (its cache is `verified-https` inside it).
fn cache_home(name: &str) -> PathBuf {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-cache-{name}"));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("temp dir");
    home
}

/// The precompiled artifact (`*.cwasm`) in a cache directory: there is exactly one.
fn cached_artifact(cache: &Path) -> PathBuf {
    let artifacts: Vec<PathBuf> = std::fs::read_dir(cache)
        .expect("the cache directory")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cwasm"))
        .collect();
    assert_eq!(artifacts.len(), 1, "{artifacts:?}");
    artifacts[0].clone()
}

/// The names and contents of the files in `dir`, sorted.
fn dir_contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("a directory")
        .map(|entry| {
            let path = entry.expect("an entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("a file"))
        })
        .collect();
    files.sort();
    files
}

/// The file range of the ELF section `name` (a precompiled artifact is an ELF object).
fn elf_section(elf: &[u8], name: &str) -> std::ops::Range<usize> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF object");
    let (table, entry, count, names) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |index: usize| table + index * entry;
    let strings = u64_at(header(names) + 24);
    (0..count)
        .map(header)
        .find(|&at| {
            let start = strings + u32_at(at);
            elf[start..].starts_with(name.as_bytes()) && elf[start + name.len()] == 0
        })
        .map(|at| u64_at(at + 24)..u64_at(at + 24) + u64_at(at + 32))
        .unwrap_or_else(|| panic!("no section {name}"))
}

#[test]
fn a_fresh_cache_directory_is_created_private_with_a_digest_beside_the_artifact() {
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new("cli-cache-fresh");
    let server = good_server(&pki, server::fixed(200, b"cached"));
    let home = cache_home("fresh");
    let (code, out, err) = run(https_get()
        .env("XDG_CACHE_HOME", &home)
        .arg("-k")
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "cached"), "{err}");
    let cache = home.join("verified-https");
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o700,
        "the cache directory is private: {mode:o}"
    );
    let artifact = cached_artifact(&cache);
    let digest = std::fs::read_to_string(format!("{}.sha256", artifact.display())).unwrap();
    assert_eq!(digest.trim().len(), 64, "a SHA-256 in hex: {digest}");
    let names: Vec<_> = dir_contents(&cache)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names.len(),
        2,
        "the artifact and its digest, nothing partial: {names:?}"
    );
}

#[test]
fn a_tampered_cached_artifact_is_never_loaded_and_the_request_still_succeeds() {
    let pki = Pki::new("cli-cache-tampered");
    let server = good_server(&pki, server::keep_alive(200, b"still fine", 1));
    let home = cache_home("tampered");
    let fetch = || {
        run(https_get()
            .env("XDG_CACHE_HOME", &home)
            .args(["-k", "-v"])
            .args(target(&server, "good.test")))
    };
    let (code, _, err) = fetch();
    assert_eq!(code, 0, "{err}");
    let artifact = cached_artifact(&home.join("verified-https"));

    // Machine code changed in place, under the same name: nothing in the artifact's own
    // format would notice.
    let mut bytes = std::fs::read(&artifact).unwrap();
    let text = elf_section(&bytes, ".text");
    let middle = text.start + text.len() / 2;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0xff;
    }
    std::fs::write(&artifact, &bytes).unwrap();

    let (code, out, err) = fetch();
    assert_eq!((code, out.as_str()), (0, "still fine"), "{err}");
    assert!(
        err.contains("compiled") && err.contains("does not match its SHA-256 digest"),
        "the artifact is refused, and -v says why: {err}"
    );
    assert_ne!(
        std::fs::read(&artifact).unwrap(),
        bytes,
        "the artifact is rewritten"
    );
    let (code, _, err) = fetch();
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("from the cache"),
        "the rewritten artifact is used: {err}"
    );
}

#[test]
fn a_world_writable_cache_directory_is_never_used_and_the_request_still_succeeds() {
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new("cli-cache-writable");
    let server = good_server(&pki, server::keep_alive(200, b"compiled anew", 1));
    let home = cache_home("writable");
    let fetch = || {
        run(https_get()
            .env("XDG_CACHE_HOME", &home)
            .args(["-k", "-v"])
            .args(target(&server, "good.test")))
    };
    // A cache with a good artifact, then opened to everyone: anyone could have replaced it.
    let (code, _, err) = fetch();
    assert_eq!(code, 0, "{err}");
    let cache = home.join("verified-https");
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = dir_contents(&cache);

    let (code, out, err) = fetch();
    assert_eq!((code, out.as_str()), (0, "compiled anew"), "{err}");
    assert!(
        !err.contains("from the cache") && err.contains("writable by group or others"),
        "-v says why the cache was not used: {err}"
    );
    assert_eq!(dir_contents(&cache), before, "nothing is written there");
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o777, "and its mode is left as it was");
}

// The TLS contract's flags: --cert/--key (58), --pinnedpubkey (90), --tlsv1.x/--tls-max (35),
// and -k refusing them all (2).

/// Standard base64 with padding, as `--pinnedpubkey` takes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= group.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// `sha256//BASE64` of the public key of `leaf`'s end-entity certificate.
fn pin_flag(leaf: &Leaf) -> String {
    format!(
        "sha256//{}",
        base64(&public_key_pin(&leaf.chain[0]).expect("a pin"))
    )
}

/// `dir/name` holding `text`, as a flag argument.
fn file(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).expect("writing a file");
    arg(&dir.join(name))
}

#[test]
fn base64_of_the_test_helper_is_standard_padded_base64() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
}

#[test]
fn cert_and_key_are_sent_to_a_server_that_requires_them_and_verbose_says_so() {
    let pki = Pki::new("cli-mtls");
    let (clients, leaf) = client_pki("cli-mtls-clients");
    let server = mtls_server(&pki, &clients, Versions::Both, b"hello, client");
    let dir = ca_dir(&pki, "mtls");
    let cert = file(&dir, "c.pem", &leaf.chain_pem());
    let key = file(&dir, "k.pem", &leaf.key_pem());
    let (code, out, err) = run(https_get()
        .args(["-v", "--cacert", &arg(&dir.join("ca.pem"))])
        .args(["--cert", &cert, "--key", &key])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "hello, client"), "{err}");
    assert!(err.contains("* client certificate: sent"), "{err}");
    assert_eq!(
        server.requests()[0].client_certificate.as_deref(),
        Some(&leaf.chain[0][..])
    );

    let (code, stdout, err) = run(https_get()
        .args(["--json", "--cacert", &arg(&dir.join("ca.pem"))])
        .args(["--cert", &cert, "--key", &key])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
    let meta: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(meta["tls"]["client_certificate_sent"], true);
}

#[test]
fn a_cert_file_holding_the_key_too_needs_no_key_flag() {
    let pki = Pki::new("cli-mtls-one-file");
    let (clients, leaf) = client_pki("cli-mtls-one-file-clients");
    let server = mtls_server(&pki, &clients, Versions::Both, b"hello, client");
    let dir = ca_dir(&pki, "mtls-one-file");
    let both = file(
        &dir,
        "client.pem",
        &format!("{}{}", leaf.chain_pem(), leaf.key_pem()),
    );
    let (code, out, err) = run(https_get()
        .args(["--cacert", &arg(&dir.join("ca.pem")), "--cert", &both])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "hello, client"), "{err}");
    assert_eq!(
        server.requests()[0].client_certificate.as_deref(),
        Some(&leaf.chain[0][..])
    );
}

#[test]
fn without_cert_a_server_that_requires_one_refuses_the_handshake_with_exit_35() {
    let pki = Pki::new("cli-mtls-none");
    let (clients, _) = client_pki("cli-mtls-none-clients");
    let server = mtls_server(&pki, &clients, Versions::Tls13Only, b"hello, client");
    let dir = ca_dir(&pki, "mtls-none");
    let (code, out, err) = run(https_get()
        .args(["--cacert", &arg(&dir.join("ca.pem"))])
        .args(target(&server, "good.test")));
    assert_eq!(code, 35, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("certificate required"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_exits_58_before_connecting() {
    let pki = Pki::new("cli-mtls-mismatch");
    let (clients, leaf) = client_pki("cli-mtls-mismatch-clients");
    let (_, other) = client_pki("cli-mtls-mismatch-others");
    let server = mtls_server(&pki, &clients, Versions::Both, b"hello, client");
    let dir = ca_dir(&pki, "mtls-mismatch");
    let (code, _, err) = run(https_get()
        .args(["--cacert", &arg(&dir.join("ca.pem"))])
        .args(["--cert", &file(&dir, "c.pem", &leaf.chain_pem())])
        .args(["--key", &file(&dir, "other.pem", &other.key_pem())])
        .args(target(&server, "good.test")));
    assert_eq!(code, 58, "{err}");
    assert!(
        err.contains("client certificate unusable")
            && err.contains("does not belong to the certificate"),
        "{err}"
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn an_unreadable_cert_or_key_file_exits_58_naming_it() {
    let pki = Pki::new("cli-mtls-unreadable");
    let (clients, leaf) = client_pki("cli-mtls-unreadable-clients");
    let server = mtls_server(&pki, &clients, Versions::Both, b"hello, client");
    let dir = ca_dir(&pki, "mtls-unreadable");
    let cert = file(&dir, "c.pem", &leaf.chain_pem());
    let missing = arg(&dir.join("missing.pem"));
    for (flags, named) in [
        (vec!["--cert", &missing], "--cert"),
        (vec!["--cert", &cert, "--key", &missing], "--key"),
    ] {
        let (code, _, err) = run(https_get()
            .args(["--cacert", &arg(&dir.join("ca.pem"))])
            .args(&flags)
            .args(target(&server, "good.test")));
        assert_eq!(code, 58, "{err}");
        assert!(
            err.contains(&format!("cannot read {named} {missing}")),
            "{err}"
        );
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_pinned_key_that_matches_or_is_one_of_several_passes_and_a_mismatch_exits_90() {
    let pki = Pki::new("cli-pins");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let stranger = Pki::new("cli-pins-stranger").leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"pinned"));
    let dir = ca_dir(&pki, "pins");
    let ca = arg(&dir.join("ca.pem"));
    let (pin, other) = (pin_flag(&leaf), pin_flag(&stranger));
    for pins in [pin.clone(), format!("{other};{pin}")] {
        let (code, out, err) = run(https_get()
            .args(["-v", "--cacert", &ca, "--pinnedpubkey", &pins])
            .args(target(&server, "good.test")));
        assert_eq!((code, out.as_str()), (0, "pinned"), "{pins}: {err}");
        assert!(err.contains("* client certificate: not sent"), "{err}");
    }
    let (code, out, err) = run(https_get()
        .args(["--cacert", &ca, "--pinnedpubkey", &other])
        .args(target(&server, "good.test")));
    assert_eq!(code, 90, "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_pin_on_a_chain_that_does_not_verify_is_still_exit_60() {
    let pki = Pki::new("cli-pins-unverified");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"never"));
    let dir = ca_dir(&Pki::new("cli-pins-another-ca"), "pins-unverified");
    let (code, out, err) = run(https_get()
        .args(["--cacert", &arg(&dir.join("ca.pem"))])
        .args(["--pinnedpubkey", &pin_flag(&leaf)])
        .args(target(&server, "good.test")));
    assert_eq!(
        code, 60,
        "the pin matches, but the chain is not trusted: {err}"
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("certificate verify failed"), "{err}");
}

#[test]
fn a_malformed_pin_exits_2_before_connecting() {
    let pki = Pki::new("cli-pins-malformed");
    let server = good_server(&pki, server::fixed(200, b"never"));
    let dir = ca_dir(&pki, "pins-malformed");
    let (code, _, err) = run(https_get()
        .args(["--cacert", &arg(&dir.join("ca.pem"))])
        .args(["--pinnedpubkey", "sha256//tooshort="])
        .args(target(&server, "good.test")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not sha256//BASE64"), "{err}");
    assert_eq!(server.connections(), 0);
}

#[test]
fn tlsv1_3_against_a_tls12_only_server_fails_the_handshake_with_exit_35() {
    let pki = Pki::new("cli-tls13");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Tls12Only,
        server::fixed(200, b"v"),
    );
    let dir = ca_dir(&pki, "tls13");
    let ca = arg(&dir.join("ca.pem"));
    let (code, _, err) = run(https_get()
        .args(["--cacert", &ca, "--tlsv1.3"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 35, "{err}");
    assert!(err.contains("protocol version"), "{err}");
    let (code, out, err) = run(https_get()
        .args(["--cacert", &ca, "--tlsv1.2"])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "v"), "{err}");
}

#[test]
fn tls_max_1_2_negotiates_tls12_with_a_server_that_speaks_both() {
    let pki = Pki::new("cli-tls-max");
    let server = good_server(&pki, server::fixed(200, b"v"));
    let dir = ca_dir(&pki, "tls-max");
    let ca = arg(&dir.join("ca.pem"));
    let (code, _, err) = run(https_get()
        .args(["-v", "--cacert", &ca, "--tls-max", "1.2"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("* TLSv1.2 "), "{err}");
    let (code, stdout, err) = run(https_get()
        .args(["--json", "--cacert", &ca, "--tls-max", "1.2"])
        .args(target(&server, "good.test")));
    assert_eq!(code, 0, "{err}");
    let meta: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(meta["tls"]["version"], "TLSv1.2");
    assert_eq!(meta["tls"]["client_certificate_sent"], false);
}

#[test]
fn insecure_refuses_pinnedpubkey_and_every_tls_option_with_exit_2() {
    let pki = Pki::new("cli-insecure-tls-flags");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"never"));
    let dir = ca_dir(&pki, "insecure-tls-flags");
    let cert = file(&dir, "c.pem", &leaf.chain_pem());
    let pin = pin_flag(&leaf);
    for flags in [
        vec!["--pinnedpubkey", pin.as_str()],
        vec!["--cert", &cert],
        vec!["--tlsv1.3"],
        vec!["--tls-max", "1.2"],
    ] {
        let (code, out, err) = run(https_get()
            .arg("-k")
            .args(&flags)
            .args(target(&server, "good.test")));
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains(&format!("{} cannot be used with -k/--insecure", flags[0])),
            "{err}"
        );
    }
    assert_eq!(server.connections(), 0);
}
