//! An unmodified `wasi:http` 0.3 guest (host-test/components/commands/wasi-http-fetch, built
//! against the published WIT alone) under the stock wasmtime CLI: alone, its requests go
//! through the host's `wasi:http/client` and the host's TLS (a fixed bundle: a CA the user
//! chose is refused); composed with the client's wasi-http build and trust-files (`make
//! compose`: `target/composed/wasi-http-fetch.wasm`), the same guest's HTTPS is verified
//! inside the component with the anchors of the directory given with `--dir`, and refusals
//! come back as `wasi:http` error codes, the detail on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use verified_https_host::runtime::default_component_path;
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, TestServer, Versions};

use crate::composed::composed;
use crate::stock_cli::{
    certs_dir, numbered_body, run_with_limit, stderr, trust_directory, wasmtime_cli,
};

/// The guest as built, before any composition.
fn guest_alone() -> PathBuf {
    let path = default_component_path()
        .parent()
        .expect("the component's directory")
        .join("wasm32-wasip2/release/wasi-http-fetch.wasm");
    assert!(
        path.exists(),
        "{} is not built; run `make guests` (make test does)",
        path.display()
    );
    path
}

/// `wasmtime run -S p3 -S http -S inherit-network [--dir TRUST::/etc/ssl/certs] COMPONENT
/// ARGS…`: WASIp3 with the host's `wasi:http`, as a user runs a wasi:http command.
fn run_wasi_http(component: &Path, trust: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(wasmtime_cli());
    command.args(["run", "-S", "p3", "-S", "http", "-S", "inherit-network"]);
    if let Some(trust) = trust {
        command.arg("--dir").arg(certs_dir(trust));
    }
    run_with_limit(command.arg(component).args(args))
}

/// The composed guest with `args`, the trust directory holding `files`; what it printed is
/// shown (`--nocapture`).
fn run_composed(trust_name: &str, files: &[(&str, &str)], args: &[&str]) -> Output {
    let trust = trust_directory(trust_name, files);
    let output = run_wasi_http(&composed("wasi-http-fetch.wasm"), Some(&trust), args);
    println!(
        "wasi-http-fetch {}: exit {:?}, {} bytes on stdout, stderr:\n{}",
        args.join(" "),
        output.status.code(),
        output.stdout.len(),
        stderr(&output)
    );
    output
}

/// A refusal as the composed guest reports it: exit 1, nothing on stdout, and on stderr the
/// guest's line with the `wasi:http` error `code` and the client's line with its `detail`.
fn assert_refused(output: &Output, code: &str, detail: &str) {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains(&format!("error-code: {code}\n")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("verified-https: ") && line.contains(detail)),
        "{stderr}"
    );
}

#[test]
fn the_wasi_http_guest_alone_fetches_plain_http_through_the_host() {
    let body = numbered_body(100_000);
    let server = TestServer::http(server::fixed(200, body));
    let url = server.url("http", "127.0.0.1", "/plain?q=1");
    let output = run_wasi_http(&guest_alone(), None, &[&url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout == body, "{} bytes", output.stdout.len());
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].head.starts_with("GET /plain?q=1 HTTP/1.1\r\n"),
        "{}",
        requests[0].head
    );
}

#[test]
fn the_wasi_http_guest_alone_meets_the_hosts_tls_which_refuses_a_ca_the_user_chose() {
    let pki = Pki::new("wasi-http-host-tls");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be shown"),
    );
    let output = run_wasi_http(
        &guest_alone(),
        None,
        &[&server.url("https", "127.0.0.1", "/")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    // The host's TLS (a fixed bundle) says only "protocol error", whatever went wrong.
    assert!(
        stderr(&output).contains("error-code: ErrorCode::TlsProtocolError"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_composed_wasi_http_guest_fetches_a_verified_body_byte_identical() {
    let pki = Pki::new("wasi-http-ok");
    let body = numbered_body(300_000);
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, body),
    );
    let output = run_composed(
        "wasi-http-ok",
        &[("ca.pem", &pki.root_pem())],
        &[&server.url("https", "127.0.0.1", "/data?n=300000")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout == body, "{} bytes", output.stdout.len());
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0]
            .head
            .starts_with("GET /data?n=300000 HTTP/1.1\r\n"),
        "{}",
        requests[0].head
    );
    assert!(
        requests[0]
            .head
            .contains(&format!("\r\nHost: 127.0.0.1:{}\r\n", server.port())),
        "{}",
        requests[0].head
    );
}

#[test]
fn the_composed_wasi_http_guests_three_sends_to_a_slow_server_run_at_once() {
    let pki = Pki::new("wasi-http-at-once");
    let slow: server::Handler = std::sync::Arc::new(|request, out| {
        std::thread::sleep(Duration::from_secs(1));
        let path = request.head.split(' ').nth(1).unwrap_or("?").to_owned();
        let body = format!("answer to {path}\n");
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        Ok(Ending::CloseNotify)
    });
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        slow,
    );
    let urls: Vec<String> = ["/a", "/b", "/c"]
        .iter()
        .map(|path| server.url("https", "127.0.0.1", path))
        .collect();
    let args: Vec<&str> = urls.iter().map(String::as_str).collect();
    let start = Instant::now();
    let output = run_composed("wasi-http-at-once", &[("ca.pem", &pki.root_pem())], &args);
    let elapsed = start.elapsed();
    println!("three sends to a server that answers each after 1 s: {elapsed:?}");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "answer to /a\nanswer to /b\nanswer to /c\n"
    );
    assert_eq!(server.connections(), 3);
    // One after the other they take 3 s of the server's time alone; at once, about 1 s and the
    // command's start-up.
    assert!(elapsed < Duration::from_millis(2_500), "{elapsed:?}");
}

#[test]
fn the_composed_wasi_http_guest_posts_a_streamed_body_with_its_content_length() {
    let pki = Pki::new("wasi-http-post");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(201, b"stored"),
    );
    let data = "a body the guest writes into its request's stream";
    let output = run_composed(
        "wasi-http-post",
        &[("ca.pem", &pki.root_pem())],
        &["-d", data, &server.url("https", "127.0.0.1", "/upload")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(output.stdout, b"stored");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].head.starts_with("POST /upload HTTP/1.1\r\n"),
        "{}",
        requests[0].head
    );
    assert!(
        requests[0]
            .head
            .contains(&format!("\r\nContent-Length: {}\r\n", data.len())),
        "{}",
        requests[0].head
    );
    assert_eq!(requests[0].body, data.as_bytes());
}

#[test]
fn a_body_cut_short_reaches_the_composed_guest_as_http_response_incomplete_after_its_bytes() {
    let pki = Pki::new("wasi-http-cut");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly these bytes".to_vec(),
            Ending::Abrupt,
        ),
    );
    let output = run_composed(
        "wasi-http-cut",
        &[("ca.pem", &pki.root_pem())],
        &[&server.url("https", "127.0.0.1", "/")],
    );
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(output.stdout, b"only these bytes");
    assert!(
        stderr.contains("error-code: ErrorCode::HttpResponseIncomplete\n"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("verified-https: ")
                && line.contains("response incomplete: ")),
        "{stderr}"
    );
}

#[test]
fn the_composed_wasi_http_guest_refuses_another_name_with_tls_certificate_error_and_the_detail() {
    let pki = Pki::new("wasi-http-name");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["other.test"])),
        Versions::Both,
        server::fixed(200, b"must not be shown"),
    );
    let output = run_composed(
        "wasi-http-name",
        &[("ca.pem", &pki.root_pem())],
        &[&server.url("https", "127.0.0.1", "/")],
    );
    assert_refused(
        &output,
        "ErrorCode::TlsCertificateError",
        "certificate verify failed: hostname mismatch, certificate is not valid for \
         '127.0.0.1' (it is valid for other.test)",
    );
}

#[test]
fn the_composed_wasi_http_guest_refuses_an_unknown_ca_with_tls_certificate_error_and_the_detail() {
    let pki = Pki::new("wasi-http-unknown-ca");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be shown"),
    );
    let chosen = Pki::new("wasi-http-chosen-ca");
    let output = run_composed(
        "wasi-http-unknown-ca",
        &[("ca.pem", &chosen.root_pem())],
        &[&server.url("https", "127.0.0.1", "/")],
    );
    assert_refused(
        &output,
        "ErrorCode::TlsCertificateError",
        "certificate verify failed: unable to get local issuer certificate",
    );
}

#[test]
fn a_server_alert_reaches_the_composed_guest_as_tls_alert_received_with_its_description() {
    let pki = Pki::new("wasi-http-alert");
    let client_ca = Pki::new("wasi-http-alert-clients");
    let config = server::client_auth_config(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Tls13Only,
        &[client_ca.root_der().into()],
    );
    let server = TestServer::start(Some(config), server::fixed(200, b"must not be shown"));
    let output = run_composed(
        "wasi-http-alert",
        &[("ca.pem", &pki.root_pem())],
        &[&server.url("https", "127.0.0.1", "/")],
    );
    assert_refused(
        &output,
        "ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload { alert-id: None, alert-message: \
         Some(\"certificate required\") })",
        "certificate required",
    );
}

#[test]
fn the_composed_wasi_http_guest_without_trust_anchors_is_refused_before_any_connection() {
    let pki = Pki::new("wasi-http-empty");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be fetched"),
    );
    let output = run_composed(
        "wasi-http-empty",
        &[("README", "no certificates")],
        &[&server.url("https", "127.0.0.1", "/")],
    );
    assert_refused(
        &output,
        "ErrorCode::ConfigurationError",
        "no PEM certificates in /etc/ssl/certs",
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn the_composed_wasi_http_guest_imports_the_hosts_http_types_but_not_its_http_client() {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let component =
        wasmtime::component::Component::from_file(&engine, composed("wasi-http-fetch.wasm"))
            .unwrap();
    let imports: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(
        imports.iter().any(|name| name == "wasi:http/types@0.3.0"),
        "{imports:?}"
    );
    let foreign: Vec<_> = imports
        .iter()
        .filter(|name| name.starts_with("wasi:http/client") || !name.starts_with("wasi:"))
        .collect();
    assert!(foreign.is_empty(), "{foreign:?}");
}
