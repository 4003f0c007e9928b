//! The edge function (a `wasi:http` incoming handler composed with the client and trust-files)
//! served by the edge host (host-test/edge, wasmtime-wasi-http), calling upstream HTTPS servers on loopback.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use verified_https_edge::{EdgeHost, InstanceLimits};
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
        InstanceLimits::default(),
    )
    .expect("serving the edge function");
    (host, dir)
}

/// A request to the function naming `upstream`; the status and the raw body.
fn call(host: &EdgeHost, upstream: &str) -> (u16, String) {
    call_at(host.addr(), upstream)
}

/// A request naming `upstream` to the edge function served at `addr` (by the edge host, or by
/// `wasmtime serve`: `stock_cli.rs`); the status and the raw answer.
pub(crate) fn call_at(addr: SocketAddr, upstream: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).expect("connecting to the edge function's server");
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

#[test]
fn an_upstream_that_is_not_https_is_refused_with_a_400_and_never_contacted() {
    let pki = Pki::new("edge-plain");
    let (host, dir) = serve_trusting(&pki, "plain");
    // A loopback port that would accept a connection (and never answer): the function must
    // not even try it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for upstream in [
        format!("http://127.0.0.1:{port}/"),
        format!("HTTP://127.0.0.1:{port}/"),
        format!("ftp://127.0.0.1:{port}/"),
        format!("//127.0.0.1:{port}/"),
        format!("127.0.0.1:{port}"),
    ] {
        let (status, answer) = call(&host, &upstream);
        assert_eq!(status, 400, "{upstream}: {answer}");
        assert!(
            answer.contains("the upstream must be an https:// URL"),
            "{upstream}: {answer}"
        );
    }
    assert_eq!(
        listener.accept().map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::WouldBlock),
        "no connection was made"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The test guest that spins (`/spin`) or grows its memory (`/grow`) forever on request, and
/// answers anything else (`make guests`).
fn runaway_guest() -> PathBuf {
    let path = default_component_path()
        .parent()
        .expect("the component's directory")
        .join("guests/runaway.wasm");
    assert!(
        path.exists(),
        "{} is not built; run `make guests`",
        path.display()
    );
    path
}

/// `GET path` on the edge host: the status, the raw answer, and how long it took. Gives up
/// (fails the test) after 30 seconds.
fn get(host: &EdgeHost, path: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(host.addr()).expect("connecting to the edge host");
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        tcp,
        "GET {path} HTTP/1.1\r\nHost: edge.test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("GET {path}: no answer in 30 s ({e}): {answer:?}"));
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("GET {path}: no status line in {answer:?}"));
    (status, answer, started.elapsed())
}

fn serve_runaway(limits: InstanceLimits) -> EdgeHost {
    EdgeHost::serve(
        &runaway_guest(),
        "127.0.0.1:0".parse().unwrap(),
        Vec::new(),
        limits,
    )
    .expect("serving the runaway guest")
}

#[test]
fn a_spinning_instance_is_stopped_at_its_time_limit_with_a_503_and_the_next_request_is_served() {
    let host = serve_runaway(InstanceLimits {
        time: Duration::from_secs(1),
        ..InstanceLimits::default()
    });
    let (status, answer, took) = get(&host, "/spin");
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("time limit of 1 s"), "{answer}");
    assert!(
        took < Duration::from_secs(10),
        "stopped at its deadline: {took:?}"
    );
    let (status, answer, _) = get(&host, "/");
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("still serving\n"), "{answer}");
}

#[test]
fn an_instance_that_outgrows_its_memory_limit_is_stopped_with_a_503_and_the_next_request_is_served()
{
    let host = serve_runaway(InstanceLimits {
        memory_bytes: 16 << 20,
        ..InstanceLimits::default()
    });
    let (status, answer, _) = get(&host, "/grow");
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("memory limit of 16 MiB"), "{answer}");
    let (status, answer, _) = get(&host, "/");
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn spinning_instances_do_not_keep_the_host_from_answering_others() {
    let host = std::sync::Arc::new(serve_runaway(InstanceLimits {
        time: Duration::from_secs(6),
        ..InstanceLimits::default()
    }));
    // More spinners than the host has threads.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let spinners: Vec<_> = (0..threads + 1)
        .map(|_| {
            let host = host.clone();
            std::thread::spawn(move || get(&host, "/spin"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let (status, answer, took) = get(&host, "/");
    assert_eq!(status, 200, "{answer}");
    assert!(
        took < Duration::from_secs(3),
        "answered while the spinners run: {took:?}"
    );
    for spinner in spinners {
        let (status, answer, _) = spinner.join().unwrap();
        assert_eq!(status, 503, "{answer}");
    }
}
