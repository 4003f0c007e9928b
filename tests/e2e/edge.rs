//! The edge function (a `wasi:http` incoming handler composed with the client and trust-files)
//! served by the edge host (host-test/edge, wasmtime-wasi-http), calling upstream HTTPS servers on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use verified_https_edge::EdgeHost;
use verified_https_host::runtime::default_component_path;
use verified_https_testkit::pki::{self, LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

fn edge_function() -> PathBuf {
    let path = default_component_path()
        .parent()
        .expect("the component's directory")
        .join("composed/edge-function.wasm");
    assert!(
        path.exists(),
        "{} is not built; run `make compose`",
        path.display()
    );
    path
}

/// Serves the edge function trusting only `pki`'s root (through trust-files).
fn serve_trusting(pki: &Pki, name: &str) -> (EdgeHost, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("edge-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), pki.root_pem()).unwrap();
    let host = EdgeHost::serve(
        &edge_function(),
        "127.0.0.1:0".parse().unwrap(),
        vec![(dir.clone(), "/etc/ssl/certs".into())],
    )
    .expect("serving the edge function");
    (host, dir)
}

/// A request to the function naming `upstream`; the status and the raw body.
fn call(host: &EdgeHost, upstream: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(host.addr()).expect("connecting to the edge host");
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: edge.test\r\nupstream: {upstream}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("reading the answer");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, answer)
}

#[test]
fn the_function_answers_with_a_verified_upstream_call() {
    let pki = Pki::new("edge-upstream");
    let upstream = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"upstream says hello"),
    );
    let (host, dir) = serve_trusting(&pki, "good");
    let (status, answer) = call(&host, &upstream.url("https", "127.0.0.1", "/api"));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("upstream says hello"), "{answer}");
    assert_eq!(upstream.connections(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_upstream_with_a_bad_certificate_gives_a_502_naming_the_certificate_error() {
    let pki = Pki::new("edge-trusted");
    let (host, dir) = serve_trusting(&pki, "bad");
    // Someone else's CA, and a certificate for another name.
    let stranger = TestServer::https(
        &Pki::new("edge-stranger").leaf(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be relayed"),
    );
    let (status, answer) = call(&host, &stranger.url("https", "127.0.0.1", "/"));
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer.contains("certificate verify failed: unable to get local issuer certificate"),
        "{answer}"
    );
    assert!(!answer.contains("must not be relayed"));

    let wrong_name = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["elsewhere.test"])),
        Versions::Both,
        server::fixed(200, b"must not be relayed"),
    );
    let (status, answer) = call(&host, &wrong_name.url("https", "127.0.0.1", "/"));
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer.contains(
            "certificate verify failed: hostname mismatch, certificate is not valid for \
             '127.0.0.1' (it is valid for elsewhere.test)"
        ),
        "{answer}"
    );

    let self_signed = TestServer::https(
        &pki::self_signed(&LeafSpec::new(&["127.0.0.1"])),
        Versions::Both,
        server::fixed(200, b"must not be relayed"),
    );
    let (status, answer) = call(&host, &self_signed.url("https", "127.0.0.1", "/"));
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer.contains("certificate verify failed: self-signed certificate"),
        "{answer}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_request_without_an_upstream_is_a_400() {
    let pki = Pki::new("edge-none");
    let (host, dir) = serve_trusting(&pki, "none");
    let mut tcp = TcpStream::connect(host.addr()).unwrap();
    write!(
        tcp,
        "GET / HTTP/1.1\r\nHost: edge.test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    std::fs::remove_dir_all(dir).unwrap();
}
