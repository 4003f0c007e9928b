//! `https-get` as a user runs it: flags, trust-store discovery, messages and curl's exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, TestServer, Versions};

/// The built `https-get`, beside this test binary's directory (target/release).
fn https_get() -> Command {
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
fn ca_dir(pki: &Pki, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("ca.pem"), pki.root_pem()).expect("write ca.pem");
    dir
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("running https-get");
    (
        status.code().expect("exit code"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// `--resolve HOST:PORT:127.0.0.1` and the URL for `host` on `server`.
fn target(server: &TestServer, host: &str) -> [String; 3] {
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
