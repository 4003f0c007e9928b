//! The client code built natively over `std::net` (`verified_https::std_net`): the reference the
//! benchmarks compare the component with must behave like it — verify, reuse connections, and
//! keep to its time limits.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use verified_https::blocking::block_on;
use verified_https::client::{Client, ConnectOverride, SendOptions};
use verified_https::error::{CertificateError, Error};
use verified_https::http1::{Body, Request};
use verified_https::limits::Limits;
use verified_https::std_net::StdNetwork;
use verified_https::tls::{Policy, TlsOptions};
use verified_https::trust::{AnchorSource, roots_from_der};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, SeenRequest, TestServer, Versions};

fn native_client(pki: &Pki) -> Client<StdNetwork> {
    let roots = roots_from_der(vec![pki.root_der()], AnchorSource::Host).expect("roots");
    let policy = Policy::verified(
        roots,
        Vec::new(),
        AnchorSource::Host,
        &TlsOptions::default(),
    )
    .expect("policy");
    Client::new(StdNetwork, policy, Limits::default())
}

fn options(server: &TestServer, host: &str) -> SendOptions {
    SendOptions {
        connect_overrides: vec![ConnectOverride {
            host: host.into(),
            port: server.port(),
            address: "127.0.0.1".into(),
        }],
        ..SendOptions::default()
    }
}

fn get() -> Request {
    Request {
        method: "GET".into(),
        headers: Vec::new(),
        body: Body::Empty,
        accept_encoding: None,
    }
}

fn body_of(client: &Client<StdNetwork>, server: &TestServer, host: &str) -> Result<Vec<u8>, Error> {
    let url = server.url("https", host, "/");
    let mut response = block_on(client.send(&url, get(), &options(server, host)))?;
    let mut body = Vec::new();
    while let Some(piece) = block_on(response.read_body(64 * 1024))? {
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

#[test]
fn the_native_client_verifies_and_reuses_its_connection() {
    let pki = Pki::new("native");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::keep_alive(200, b"native", usize::MAX),
    );
    let client = native_client(&pki);
    for _ in 0..3 {
        assert_eq!(
            body_of(&client, &server, "good.test").expect("verified"),
            b"native"
        );
    }
    assert_eq!(
        server.connections(),
        1,
        "three requests over one kept-alive connection"
    );
    match body_of(&client, &server, "wrong.test") {
        Err(Error::Certificate(CertificateError::NameMismatch { expected, .. })) => {
            assert_eq!(expected, "wrong.test");
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
}

#[test]
fn the_native_client_keeps_to_its_read_timeout() {
    let pki = Pki::new("native-silent");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst bytes")?;
            out.flush()?;
            std::thread::sleep(Duration::from_secs(3));
            Ok(Ending::Abrupt)
        }),
    );
    let client = native_client(&pki);
    let mut options = options(&server, "good.test");
    options.timeouts.read_ms = Some(400);
    let url = server.url("https", "good.test", "/");
    let mut response = block_on(client.send(&url, get(), &options)).expect("head arrives");
    let started = Instant::now();
    assert_eq!(
        block_on(response.read_body(1024))
            .expect("first bytes")
            .as_deref(),
        Some(&b"first bytes"[..])
    );
    let err = block_on(response.read_body(1024)).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_millis(2_000),
        "{waited:?}"
    );
}
