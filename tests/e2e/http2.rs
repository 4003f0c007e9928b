//! HTTP/2 by ALPN, end to end: the host-crypto build (the one with the feature http2) in
//! real wasmtime against Debian's nginx with h2 on, a Rust h2 server (testkit), and hostile
//! servers that send raw frames after a real TLS handshake (testkit's `hostile`); the self-contained build, which
//! has no HTTP/2, refusing to offer it; and `https-get --http2` as a user runs it.

use std::sync::Arc;

use verified_https_host::runtime::Runtime;
use verified_https_host::{
    ClientInstance, ContextHandle, ContextOptions, ErrorCode, HostConfig, HostTrust, Http2Error,
    Request, TrustAnchors,
};
use verified_https_testkit::h2_server::{H2Reply, H2Server, SeenH2Request, frame, hostile};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::{LeafSpec, Pki};

use crate::cli::{ca_dir, https_get, run};
use crate::support::{fetch_through, lending_runtime, request_to, request_to_port, runtime};

/// A client of `runtime` trusting `pki`'s root, and a verified context that offers h2.
fn h2_client(runtime: &Runtime, pki: &Pki) -> (ClientInstance, ContextHandle) {
    let mut client = ClientInstance::new(
        runtime,
        HostConfig::loopback(HostTrust::Anchors(vec![pki.root_der()])),
    )
    .expect("instantiating the component");
    let context = client
        .context(&ContextOptions::trusting(TrustAnchors::Host))
        .expect("no trap")
        .expect("a context");
    client
        .offer_http2(context, true)
        .expect("no trap")
        .expect("the host-crypto build has HTTP/2");
    (client, context)
}

/// nginx for good.test with h2 on, serving `file` at /www/file.bin (and gzip for text), in a
/// directory of its own (`name`: tests run at the same time).
fn nginx_h2(name: &str, pki: &Pki, file: &[u8]) -> Nginx {
    Nginx::start(
        name,
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        &NginxSpec {
            http2: true,
            www: vec![
                ("file.bin".into(), file.to_vec()),
                ("text.txt".into(), b"hello over h2 ".repeat(500)),
            ],
            www_directives: vec![
                "gzip on;".into(),
                "gzip_types text/plain;".into(),
                "gzip_min_length 1;".into(),
            ],
            ..NginxSpec::default()
        },
        "hello from nginx over h2",
    )
    .expect("nginx (make test installs Debian's nginx-light, which has http_v2)")
}

/// A megabyte that is not all one byte.
fn file() -> Vec<u8> {
    (0..1_048_576u32).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn nginx_with_h2_is_spoken_to_in_http2_and_alpn_says_h2() {
    let pki = Pki::new("http2-nginx");
    let file = file();
    let nginx = nginx_h2("http2-1", &pki, &file);
    let (mut client, context) = h2_client(lending_runtime(), &pki);

    let request = request_to_port(nginx.port(), "GET", "good.test", "/");
    let (response, body) = fetch_through(&mut client, context, &request).expect("h2 fetch");
    let tls = response.tls.expect("https");
    assert_eq!(tls.alpn.as_deref(), Some("h2"));
    assert!(tls.verified);
    assert_eq!(response.status, 200);
    assert_eq!(body, b"hello from nginx over h2");

    // A megabyte, read in pieces through the 64 KiB flow-control window.
    let request = request_to_port(nginx.port(), "GET", "good.test", "/www/file.bin");
    let (response, body) = fetch_through(&mut client, context, &request).expect("bulk");
    assert_eq!(response.tls.unwrap().alpn.as_deref(), Some("h2"));
    assert_eq!(body.len(), file.len());
    assert!(body == file, "the body differs from the file");

    // Content decoding is the same over h2.
    let mut request = request_to_port(nginx.port(), "GET", "good.test", "/www/text.txt");
    request.options.accept_encoding = Some(vec![verified_https_host::ContentCoding::Gzip]);
    let (response, body) = fetch_through(&mut client, context, &request).expect("gzip");
    assert_eq!(
        response.content_decoded,
        vec![verified_https_host::ContentCoding::Gzip]
    );
    assert_eq!(body, b"hello over h2 ".repeat(500));
}

#[test]
fn without_offer_http2_the_same_nginx_is_spoken_to_in_http11() {
    let pki = Pki::new("http2-nginx-h1");
    let nginx = nginx_h2("http2-2", &pki, b"x");
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    client.offer_http2(context, false).unwrap().unwrap();
    let request = request_to_port(nginx.port(), "GET", "good.test", "/");
    let (response, body) = fetch_through(&mut client, context, &request).expect("h1 fetch");
    assert_eq!(response.tls.unwrap().alpn.as_deref(), Some("http/1.1"));
    assert_eq!(body, b"hello from nginx over h2");
}

#[test]
fn a_streamed_upload_goes_over_http11_even_when_h2_is_offered() {
    let pki = Pki::new("http2-upload");
    let nginx = nginx_h2("http2-3", &pki, b"x");
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    let request = request_to_port(nginx.port(), "POST", "good.test", "/");
    let body = client
        .begin_request(context, &request, Some(5))
        .unwrap()
        .expect("begun");
    client.write_body(&body, b"hello").unwrap().unwrap();
    let response = client.finish_body(body).unwrap().expect("answered");
    assert_eq!(response.tls.unwrap().alpn.as_deref(), Some("http/1.1"));
}

/// The Rust h2 server for good.test: `/redirect` sends to `/`; everything else echoes the
/// request's body with a trailer.
fn h2_server(pki: &Pki) -> H2Server {
    H2Server::start(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Arc::new(|seen: &SeenH2Request| match seen.path.as_str() {
            "/redirect" => H2Reply {
                status: 302,
                headers: vec![("location".into(), "/".into())],
                ..H2Reply::default()
            },
            _ => H2Reply {
                status: 200,
                headers: vec![("x-method".into(), seen.method.clone())],
                body: [b"echo: ".as_slice(), &seen.body].concat(),
                trailers: vec![("x-checksum".into(), "dropped".into())],
                ..H2Reply::default()
            },
        }),
    )
}

fn h2_request(server: &H2Server, method: &str, path: &str) -> Request {
    request_to_port(server.port(), method, "good.test", path)
}

#[test]
fn a_rust_h2_server_sees_authority_without_host_and_gets_a_body_given_whole() {
    let pki = Pki::new("http2-rust");
    let server = h2_server(&pki);
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    let mut request = h2_request(&server, "POST", "/submit?x=1");
    request.body = Some(b"a body given whole".to_vec());
    request.headers.push(verified_https_host::Header {
        name: "Keep-Alive".into(),
        value: b"timeout=5".to_vec(),
    });
    let (response, body) = fetch_through(&mut client, context, &request).expect("h2 POST");
    assert_eq!(response.tls.unwrap().alpn.as_deref(), Some("h2"));
    assert_eq!(response.status, 200);
    assert_eq!(body, b"echo: a body given whole");

    let seen = server.requests();
    let seen = seen.last().expect("a request");
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.authority.as_deref(),
        Some(format!("good.test:{}", server.port()).as_str())
    );
    assert_eq!(seen.path, "/submit?x=1");
    let names: Vec<&str> = seen.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert!(!names.contains(&"host"), "{names:?}");
    assert!(!names.contains(&"keep-alive"), "{names:?}");
    assert!(names.contains(&"user-agent"), "{names:?}");
}

#[test]
fn redirects_are_followed_over_h2_as_over_http11() {
    let pki = Pki::new("http2-redirect");
    let server = h2_server(&pki);
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    let mut request = h2_request(&server, "GET", "/redirect");
    request.options.redirects = Some(verified_https_host::RedirectPolicy {
        max_redirects: 3,
        allow_https_to_http: false,
    });
    let (response, body) = fetch_through(&mut client, context, &request).expect("followed");
    assert_eq!(response.status, 200);
    assert!(response.url.ends_with('/'), "{}", response.url);
    assert_eq!(body, b"echo: ");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn the_self_contained_build_has_no_http2_and_says_so() {
    let pki = Pki::new("http2-none");
    let mut client = ClientInstance::new(
        runtime(),
        HostConfig::loopback(HostTrust::Anchors(vec![pki.root_der()])),
    )
    .unwrap();
    let context = client.default_context().unwrap().unwrap();
    let err = client.offer_http2(context, true).unwrap().unwrap_err();
    let ErrorCode::InvalidRequest(why) = &err else {
        panic!("{err:?}");
    };
    assert!(why.contains("has no HTTP/2"), "{why}");
    // Turning it off is always possible.
    client.offer_http2(context, false).unwrap().unwrap();
}

/// The error a request to a hostile server sending `frames` fails with.
fn error_from(frames: Vec<u8>) -> ErrorCode {
    let pki = Pki::new("http2-hostile");
    let server = hostile(&pki.leaf(&LeafSpec::new(&["good.test"])), frames);
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    let request = request_to(&server, "GET", "good.test", "/");
    fetch_through(&mut client, context, &request)
        .map(|(response, _)| response.status)
        .expect_err("a hostile server's answer is refused")
}

const HEADERS: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const STATUS_200: u8 = 0x88;

#[test]
fn hostile_h2_servers_each_meet_their_own_error() {
    let continuation_flood = [
        frame(HEADERS, 0, 1, &[STATUS_200]),
        (0..100).flat_map(|_| frame(0x9, 0, 1, &[])).collect(),
    ]
    .concat();
    let reset_flood = (0..200u32)
        .flat_map(|i| frame(0x3, 0, 2 * i + 101, &0u32.to_be_bytes()))
        .collect();
    let oversized = frame(0x0, 0, 1, &vec![0; 16_385]);
    let push = frame(0x5, END_HEADERS, 1, &[0, 0, 0, 2, 0x82]);
    let reset = frame(0x3, 0, 1, &7u32.to_be_bytes());
    let goaway = frame(0x7, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 11]);
    // One 200-byte field in the dynamic table, referred to 400 times: 1 KiB on the wire, 92
    // KB decoded.
    let mut bomb = vec![STATUS_200, 0x40, 5];
    bomb.extend_from_slice(b"x-big");
    bomb.extend_from_slice(&[0x7f, 200 - 127]);
    bomb.extend_from_slice(&[b'a'; 200]);
    bomb.extend(std::iter::repeat_n(0xbe, 400));
    let bomb = frame(HEADERS, END_HEADERS, 1, &bomb);

    let cases = [
        (
            "CONTINUATION flood",
            continuation_flood,
            ErrorCode::Http2Error(Http2Error::ContinuationFlood(16)),
        ),
        (
            "rapid reset",
            reset_flood,
            ErrorCode::Http2Error(Http2Error::ResetFlood(100)),
        ),
        (
            "oversized frame",
            oversized,
            ErrorCode::Http2Error(Http2Error::FrameTooLarge(16_384)),
        ),
        (
            "pushed stream",
            push,
            ErrorCode::Http2Error(Http2Error::PushRefused),
        ),
        (
            "RST_STREAM REFUSED_STREAM",
            reset,
            ErrorCode::Http2Error(Http2Error::StreamReset(7)),
        ),
        (
            "GOAWAY ENHANCE_YOUR_CALM",
            goaway,
            ErrorCode::Http2Error(Http2Error::GoAway(11)),
        ),
        (
            "HPACK bomb",
            bomb,
            ErrorCode::HttpResponseHeaderSectionSize(65_536),
        ),
    ];
    let mut client = ClientInstance::new(
        lending_runtime(),
        HostConfig::loopback(HostTrust::Unavailable("not asked".into())),
    )
    .unwrap();
    for (name, frames, expected) in cases {
        let err = error_from(frames);
        let message = client.describe_error(&err).unwrap();
        eprintln!("{name}: {message}");
        assert_eq!(err, expected, "{name}: {message}");
    }
}

#[test]
fn a_silent_h2_server_meets_the_read_timeout() {
    let pki = Pki::new("http2-silent");
    let server = hostile(&pki.leaf(&LeafSpec::new(&["good.test"])), Vec::new());
    let (mut client, context) = h2_client(lending_runtime(), &pki);
    let mut request = request_to(&server, "GET", "good.test", "/");
    request.options.read_timeout_ms = Some(300);
    let err = fetch_through(&mut client, context, &request)
        .map(|(response, _)| response.status)
        .expect_err("a silent server times out");
    assert_eq!(err, ErrorCode::HttpResponseTimeout);
}

#[test]
fn https_get_http2_verbose_against_nginx_says_alpn_h2() {
    let pki = Pki::new("http2-cli");
    let nginx = nginx_h2("http2-4", &pki, b"x");
    let ca = ca_dir(&pki, "http2");
    let url = format!("https://good.test:{}/", nginx.port());
    let resolve = format!("good.test:{}:127.0.0.1", nginx.port());
    let (code, stdout, stderr) = run(https_get()
        .args(["--http2", "-v", "--cacert"])
        .arg(ca.join("ca.pem"))
        .args(["--resolve", &resolve, &url]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "hello from nginx over h2");
    assert!(stderr.contains("* ALPN: offering h2,http/1.1"), "{stderr}");
    assert!(stderr.contains("* ALPN: server accepted h2"), "{stderr}");

    // --http1.1 (the default) offers only http/1.1.
    let (code, _, stderr) = run(https_get()
        .args(["--http2", "--http1.1", "-v", "--cacert"])
        .arg(ca.join("ca.pem"))
        .args(["--resolve", &resolve, &url]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("* ALPN: server accepted http/1.1"),
        "{stderr}"
    );

    // The self-contained build has no HTTP/2: exit 2, and why.
    let (code, _, stderr) = run(https_get()
        .args(["--http2", "--cacert"])
        .arg(ca.join("ca.pem"))
        .arg("--component")
        .arg(verified_https_host::runtime::default_component_path())
        .args(["--resolve", &resolve, &url]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("has no HTTP/2"), "{stderr}");
}
