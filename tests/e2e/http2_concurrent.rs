//! HTTP/2 in the async build (`target/verified-https-async.wasm`) under WASI 0.3: concurrent
//! requests of one context to one origin share one connection, each a stream of its own, its
//! body read with flow control as it arrives; a slow stream holds up no other; a dropped
//! body resets only its stream; a GOAWAY below open streams sends those requests again on a
//! new connection; the same against nginx with h2; hostile frames meet their errors.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use verified_https_host::async_client::{
    AsyncClientInstance, AsyncFailure, AsyncOutcome, AsyncRequest, AsyncRuntime,
};
use verified_https_host::runtime::default_component_path;
use verified_https_host::{ConnectOverride, ErrorCode, Http2Error, RequestOptions};
use verified_https_host::{HostConfig, HostTrust};
use verified_https_testkit::h2_goaway::GoAwayServer;
use verified_https_testkit::h2_server::{H2Reply, H2Server, SeenH2Request, frame, hostile};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::{LeafSpec, Pki};

/// The async component, compiled once per test process.
fn runtime() -> &'static AsyncRuntime {
    static RUNTIME: OnceLock<AsyncRuntime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let component = default_component_path().with_file_name("verified-https-async.wasm");
        assert!(
            component.exists(),
            "the async component is not built at {}; run `make component` first",
            component.display()
        );
        AsyncRuntime::load(&component).expect("loading the async component")
    })
}

/// An instance of the async component on loopback trusting `pki`, and a verified context
/// that offers h2.
fn h2_client(pki: &Pki) -> (AsyncClientInstance, wasmtime::component::ResourceAny) {
    let config = HostConfig::loopback(HostTrust::Anchors(vec![pki.root_der()]));
    let mut client = AsyncClientInstance::new(runtime(), config).expect("instantiating");
    let context = client
        .default_context()
        .expect("no trap")
        .expect("a context");
    client
        .offer_http2(context, true)
        .expect("no trap")
        .expect("the async build has HTTP/2");
    (client, context)
}

/// A GET of `path` on 127.0.0.1 `port` for good.test.
fn get(port: u16, path: &str) -> AsyncRequest {
    AsyncRequest {
        method: "GET".into(),
        url: format!("https://good.test:{port}{path}"),
        headers: Vec::new(),
        body: None,
        options: RequestOptions {
            connect_timeout_ms: Some(10_000),
            handshake_timeout_ms: None,
            read_timeout_ms: None,
            timeout_ms: Some(60_000),
            connect_overrides: vec![ConnectOverride {
                host: "good.test".into(),
                port,
                address: "127.0.0.1".into(),
            }],
            redirects: None,
            accept_encoding: None,
            proxy: None,
        },
        drop_body_after: None,
    }
}

/// The body the Rust h2 server answers `path` with: `size` bytes of the path's last byte.
fn body_for(path: &str, size: usize) -> Vec<u8> {
    vec![path.bytes().last().unwrap_or(b'x'); size]
}

/// The Rust h2 server for good.test: each path answered with [`body_for`] of `size` bytes,
/// `/slow` after `slow` and `/big` with `big` bytes.
fn h2_server(pki: &Pki, size: usize, slow: Duration, big: usize) -> H2Server {
    H2Server::start(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Arc::new(move |seen: &SeenH2Request| H2Reply {
            status: 200,
            body: body_for(&seen.path, if seen.path == "/big" { big } else { size }),
            delay: if seen.path == "/slow" {
                slow
            } else {
                Duration::ZERO
            },
            ..H2Reply::default()
        }),
    )
}

fn ok(outcome: &Result<AsyncOutcome, AsyncFailure>) -> &AsyncOutcome {
    match outcome {
        Ok(outcome) => outcome,
        Err(failure) => panic!("the request failed: {failure:?}"),
    }
}

fn paths() -> Vec<String> {
    (0..8).map(|i| format!("/{i}")).collect()
}

#[test]
fn eight_requests_at_once_share_one_h2_connection_and_their_bodies_interleave() {
    let pki = Pki::new("h2-eight");
    // Each body is four times the window the client announces: it arrives as it is read.
    let server = h2_server(&pki, 256 * 1024, Duration::ZERO, 0);
    let (mut client, context) = h2_client(&pki);
    let requests = paths().iter().map(|p| get(server.port(), p)).collect();
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    for (outcome, path) in outcomes.iter().zip(paths()) {
        let outcome = ok(outcome);
        assert_eq!(outcome.status, 200);
        assert!(
            outcome.body == body_for(&path, 256 * 1024),
            "{path}: {} bytes",
            outcome.body.len()
        );
        assert!(
            matches!(outcome.body_end, Some(Ok(()))),
            "{:?}",
            outcome.body_end
        );
    }
    assert_eq!(server.connections(), 1, "one connection for all eight");
    assert_eq!(server.requests().len(), 8);
    // Every body's first piece arrived before any body's last: they were read in turns.
    let outcomes: Vec<_> = outcomes.iter().map(ok).collect();
    let first_pieces = outcomes.iter().map(|o| o.pieces[0].0).max().unwrap();
    let last_pieces = outcomes
        .iter()
        .map(|o| o.pieces[o.pieces.len() - 1].0)
        .min()
        .unwrap();
    assert!(
        first_pieces < last_pieces,
        "{first_pieces:?} vs {last_pieces:?}"
    );
}

#[test]
fn a_slow_stream_does_not_delay_the_others_on_the_same_connection() {
    let pki = Pki::new("h2-slow");
    let server = h2_server(&pki, 1_000, Duration::from_millis(2_000), 0);
    let (mut client, context) = h2_client(&pki);
    let mut requests = vec![get(server.port(), "/slow")];
    requests.extend(paths().iter().take(7).map(|p| get(server.port(), p)));
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    let slow = ok(&outcomes[0]);
    assert_eq!(slow.body, body_for("/slow", 1_000));
    assert!(
        slow.head_after >= Duration::from_millis(2_000),
        "{:?}",
        slow.head_after
    );
    for outcome in &outcomes[1..] {
        let outcome = ok(outcome);
        assert_eq!(outcome.body.len(), 1_000);
        assert!(
            outcome.done_after + Duration::from_millis(1_000) < slow.head_after,
            "{:?} vs the slow one's {:?}",
            outcome.done_after,
            slow.head_after
        );
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn dropping_one_body_ends_only_its_stream_and_the_others_complete_on_the_same_connection() {
    let pki = Pki::new("h2-drop");
    let server = h2_server(&pki, 100_000, Duration::ZERO, 4 * 1024 * 1024);
    let (mut client, context) = h2_client(&pki);
    let mut dropped = get(server.port(), "/big");
    dropped.drop_body_after = Some(10_000);
    let mut requests = vec![dropped];
    requests.extend(paths().iter().take(7).map(|p| get(server.port(), p)));
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    assert!(
        ok(&outcomes[0]).body_end.is_none(),
        "its stream was dropped"
    );
    for (outcome, path) in outcomes[1..].iter().zip(paths()) {
        let outcome = ok(outcome);
        assert!(outcome.body == body_for(&path, 100_000), "{path}");
        assert!(
            matches!(outcome.body_end, Some(Ok(()))),
            "{:?}",
            outcome.body_end
        );
    }
    // The connection outlives the dropped stream: a later run on the same context goes on
    // it. (The server's record of the RST_STREAM CANCEL, `server.resets()`, shows it in some
    // runs only, so it is not asserted yet: see the report of this change.)
    let later = client
        .send_concurrently(context, vec![get(server.port(), "/0")])
        .expect("no trap");
    assert_eq!(ok(&later[0]).body, body_for("/0", 100_000));
    assert_eq!(server.requests().len(), 9);
    assert_eq!(server.connections(), 1);
}

#[test]
fn streams_above_a_goaways_last_stream_id_are_sent_again_on_a_new_connection() {
    let pki = Pki::new("h2-goaway");
    let body: Vec<u8> = (0..4_000u32).map(|i| (i * 7 % 251) as u8).collect();
    // Streams 1, 3, 5 and 7 are answered; 9 to 15 are above the GOAWAY's last-stream-id.
    let server = GoAwayServer::start(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        8,
        7,
        body.clone(),
    );
    let (mut client, context) = h2_client(&pki);
    let requests = paths().iter().map(|p| get(server.port(), p)).collect();
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    for outcome in &outcomes {
        let outcome = ok(outcome);
        assert_eq!(outcome.status, 200);
        assert!(outcome.body == body, "{} bytes", outcome.body.len());
        assert!(
            matches!(outcome.body_end, Some(Ok(()))),
            "{:?}",
            outcome.body_end
        );
    }
    assert_eq!(
        server.connections(),
        2,
        "the refused four went on a second one"
    );
    let streams = server.streams();
    assert_eq!(
        streams.iter().filter(|(c, _)| *c == 0).count(),
        8,
        "{streams:?}"
    );
    assert_eq!(
        streams.iter().filter(|(c, _)| *c == 1).count(),
        4,
        "{streams:?}"
    );
}

#[test]
fn a_post_refused_by_goaway_is_not_sent_again_and_fails_with_the_goaway() {
    let pki = Pki::new("h2-goaway-post");
    let server = GoAwayServer::start(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        2,
        1,
        b"ok".to_vec(),
    );
    let (mut client, context) = h2_client(&pki);
    let mut post = get(server.port(), "/post");
    post.method = "POST".into();
    // Stream 1 is the GET's (it goes first), stream 3 the POST's, above last-stream-id 1.
    let outcomes = client
        .send_concurrently(context, vec![get(server.port(), "/get"), post])
        .expect("no trap");
    assert_eq!(ok(&outcomes[0]).body, b"ok");
    match &outcomes[1] {
        Err(AsyncFailure {
            error: ErrorCode::Http2Error(Http2Error::GoAway(0)),
            ..
        }) => {}
        other => panic!("expected the GOAWAY's error, got {other:?}"),
    }
    assert_eq!(server.connections(), 1, "nothing was sent again");
}

#[test]
fn eight_requests_at_once_to_nginx_with_h2_share_one_connection() {
    let pki = Pki::new("h2-nginx-eight");
    let file: Vec<u8> = (0..1_048_576u32).map(|i| (i * 7 % 251) as u8).collect();
    let nginx = Nginx::start(
        "h2-concurrent",
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        &NginxSpec {
            http2: true,
            www: vec![("file.bin".into(), file.clone())],
            ..NginxSpec::default()
        },
        "hello from nginx over h2",
    )
    .expect("nginx (make test installs Debian's nginx-light, which has http_v2)");
    let (mut client, context) = h2_client(&pki);
    let requests = (0..8).map(|_| get(nginx.port(), "/www/file.bin")).collect();
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    for outcome in &outcomes {
        let outcome = ok(outcome);
        assert_eq!(outcome.status, 200);
        assert!(outcome.body == file, "{} bytes", outcome.body.len());
        assert!(
            matches!(outcome.body_end, Some(Ok(()))),
            "{:?}",
            outcome.body_end
        );
    }
}

#[test]
fn with_two_in_flight_a_request_starts_only_when_one_has_ended_on_the_same_connection() {
    let pki = Pki::new("h2-in-flight");
    let server = h2_server(&pki, 1_000, Duration::from_millis(300), 0);
    let (mut client, context) = h2_client(&pki);
    let requests = (0..6).map(|_| get(server.port(), "/slow")).collect();
    let outcomes = client
        .send_in_flight(context, requests, 2)
        .expect("no trap");
    let mut heads: Vec<Duration> = outcomes
        .iter()
        .map(|outcome| {
            let outcome = ok(outcome);
            assert_eq!(outcome.body, body_for("/slow", 1_000));
            outcome.head_after
        })
        .collect();
    heads.sort();
    // Two at a time, each answered after 300 ms: heads in pairs near 300, 600 and 900 ms.
    assert!(heads[1] < Duration::from_millis(600), "{heads:?}");
    assert!(heads[2] >= Duration::from_millis(600), "{heads:?}");
    assert!(heads[4] >= Duration::from_millis(900), "{heads:?}");
    assert!(heads[5] < Duration::from_millis(1_500), "{heads:?}");
    assert_eq!(server.connections(), 1);
}

/// The error a request through the async build to a hostile server sending `frames` fails
/// with.
fn async_error_from(pki: &Pki, frames: Vec<u8>, read_timeout_ms: Option<u64>) -> ErrorCode {
    let server = hostile(&pki.leaf(&LeafSpec::new(&["good.test"])), frames);
    let (mut client, context) = h2_client(pki);
    let mut request = get(server.port(), "/");
    request.options.read_timeout_ms = read_timeout_ms;
    let mut outcomes = client
        .send_concurrently(context, vec![request])
        .expect("no trap");
    match outcomes.remove(0) {
        Err(failure) => failure.error,
        Ok(outcome) => panic!("a hostile server's answer is refused: {outcome:?}"),
    }
}

#[test]
fn hostile_h2_servers_meet_their_own_errors_through_the_async_world() {
    const HEADERS: u8 = 0x1;
    const END_HEADERS: u8 = 0x4;
    const STATUS_200: u8 = 0x88;
    let pki = Pki::new("h2-async-hostile");
    let continuation_flood = [
        frame(HEADERS, 0, 1, &[STATUS_200]),
        (0..100).flat_map(|_| frame(0x9, 0, 1, &[])).collect(),
    ]
    .concat();
    let reset_flood = (0..200u32)
        .flat_map(|i| frame(0x3, 0, 2 * i + 101, &0u32.to_be_bytes()))
        .collect();
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
            frame(0x0, 0, 1, &vec![0; 16_385]),
            ErrorCode::Http2Error(Http2Error::FrameTooLarge(16_384)),
        ),
        (
            "pushed stream",
            frame(0x5, END_HEADERS, 1, &[0, 0, 0, 2, 0x82]),
            ErrorCode::Http2Error(Http2Error::PushRefused),
        ),
        // Refused streams are sent again once; the second connection refuses as well.
        (
            "RST_STREAM REFUSED_STREAM",
            frame(0x3, 0, 1, &7u32.to_be_bytes()),
            ErrorCode::Http2Error(Http2Error::StreamReset(7)),
        ),
        (
            "GOAWAY ENHANCE_YOUR_CALM",
            frame(0x7, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 11]),
            ErrorCode::Http2Error(Http2Error::GoAway(11)),
        ),
    ];
    for (name, frames, expected) in cases {
        assert_eq!(async_error_from(&pki, frames, None), expected, "{name}");
    }
}

#[test]
fn a_silent_h2_server_meets_the_read_timeout_of_its_stream() {
    let pki = Pki::new("h2-async-silent");
    let started = std::time::Instant::now();
    let error = async_error_from(&pki, Vec::new(), Some(300));
    assert_eq!(error, ErrorCode::HttpResponseTimeout);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
