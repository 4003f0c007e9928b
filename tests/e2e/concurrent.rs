//! The async build (`target/verified-https-async.wasm`) under WASI 0.3: many requests of one
//! instance and one context at once, each with its own deadlines; bodies read from their
//! streams as they arrive; a dropped stream ends only its own request.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use verified_https_host::async_client::{
    AsyncClientInstance, AsyncFailure, AsyncOutcome, AsyncRequest, AsyncRuntime,
};
use verified_https_host::runtime::default_component_path;
use verified_https_host::{
    CertificateError, ConnectOverride, ContextOptions, ErrorCode, HostConfig, HostTrust,
    RequestOptions, TrustAnchors,
};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{Ending, Handler, SeenRequest, TestServer, Versions};

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

/// An instance of the async component on loopback trusting `pki`, and a verified context.
fn client(pki: &Pki) -> (AsyncClientInstance, wasmtime::component::ResourceAny) {
    let config = HostConfig::loopback(HostTrust::Anchors(vec![pki.root_der()]));
    let mut client = AsyncClientInstance::new(runtime(), config).expect("instantiating");
    let context = client
        .default_context()
        .expect("no trap")
        .expect("a context");
    (client, context)
}

/// A GET of `path` on `server` for good.test, connecting to 127.0.0.1, with a read timeout.
fn get(server: &TestServer, path: &str, read_timeout_ms: Option<u64>) -> AsyncRequest {
    AsyncRequest {
        method: "GET".into(),
        url: format!("https://good.test:{}{path}", server.port()),
        headers: Vec::new(),
        body: None,
        options: RequestOptions {
            connect_timeout_ms: Some(10_000),
            handshake_timeout_ms: None,
            read_timeout_ms,
            timeout_ms: Some(60_000),
            connect_overrides: vec![ConnectOverride {
                host: "good.test".into(),
                port: server.port(),
                address: "127.0.0.1".into(),
            }],
            redirects: None,
            accept_encoding: None,
            proxy: None,
        },
        drop_body_after: None,
    }
}

/// A server for good.test whose handler is `handler`.
fn server(pki: &Pki, handler: Handler) -> TestServer {
    TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        handler,
    )
}

/// Answers with a body of `pieces` pieces of `size` bytes (each filled with the request
/// path's last byte), `gap` apart; `cut` is set when a write fails (the client closed).
fn in_pieces(pieces: usize, size: usize, gap: Duration, cut: Arc<AtomicBool>) -> Handler {
    Arc::new(move |seen: &SeenRequest, out: &mut dyn Write| {
        let fill = seen
            .head
            .split_whitespace()
            .nth(1)
            .and_then(|path| path.bytes().last())
            .unwrap_or(b'x');
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            pieces * size
        );
        out.write_all(head.as_bytes())?;
        out.flush()?;
        for _ in 0..pieces {
            std::thread::sleep(gap);
            let written = out.write_all(&vec![fill; size]).and_then(|()| out.flush());
            if written.is_err() {
                cut.store(true, Ordering::SeqCst);
                return written.map(|()| Ending::Abrupt);
            }
        }
        Ok(Ending::CloseNotify)
    })
}

/// Says nothing for `silence`, then closes.
fn silent(silence: Duration) -> Handler {
    Arc::new(move |_: &SeenRequest, _: &mut dyn Write| {
        std::thread::sleep(silence);
        Ok(Ending::Abrupt)
    })
}

fn ok(outcome: &Result<AsyncOutcome, AsyncFailure>) -> &AsyncOutcome {
    match outcome {
        Ok(outcome) => outcome,
        Err(failure) => panic!("the request failed: {failure:?}"),
    }
}

#[test]
fn concurrent_requests_on_one_context_interleave_their_body_pieces() {
    let pki = Pki::new("async-interleave");
    let cut = Arc::new(AtomicBool::new(false));
    let server = server(
        &pki,
        in_pieces(3, 1000, Duration::from_millis(300), cut.clone()),
    );
    let (mut client, context) = client(&pki);
    let outcomes = client
        .send_concurrently(
            context,
            vec![get(&server, "/a", None), get(&server, "/b", None)],
        )
        .expect("no trap");
    let (a, b) = (ok(&outcomes[0]), ok(&outcomes[1]));
    assert_eq!(a.body, vec![b'a'; 3000]);
    assert_eq!(b.body, vec![b'b'; 3000]);
    assert!(matches!(a.body_end, Some(Ok(()))), "{:?}", a.body_end);
    assert!(matches!(b.body_end, Some(Ok(()))), "{:?}", b.body_end);
    // One after the other they would take 1.8 s at least; at once, 0.9 s and a little.
    let slowest = a.done_after.max(b.done_after);
    assert!(slowest < Duration::from_millis(1_500), "{slowest:?}");
    // Each body's first piece arrived before the other's last one: they were read in turns.
    let (a_first, a_last) = (a.pieces[0].0, a.pieces[a.pieces.len() - 1].0);
    let (b_first, b_last) = (b.pieces[0].0, b.pieces[b.pieces.len() - 1].0);
    assert!(
        a_first < b_last && b_first < a_last,
        "{:?} {:?}",
        a.pieces,
        b.pieces
    );
    assert_eq!(
        server.connections(),
        2,
        "one connection per request at once"
    );
    assert!(!cut.load(Ordering::SeqCst));
}

#[test]
fn a_stalled_upstream_does_not_delay_the_others_and_times_out_alone() {
    let pki = Pki::new("async-stalled");
    let stalled = server(&pki, silent(Duration::from_secs(4)));
    let fast = server(&pki, verified_https_testkit::server::fixed(200, b"fast"));
    let (mut client, context) = client(&pki);
    let outcomes = client
        .send_concurrently(
            context,
            vec![
                get(&stalled, "/", Some(1_500)),
                get(&fast, "/", None),
                get(&fast, "/", None),
            ],
        )
        .expect("no trap");
    for fast in &outcomes[1..] {
        let fast = ok(fast);
        assert_eq!(fast.body, b"fast");
        assert!(
            fast.done_after < Duration::from_millis(1_000),
            "{:?}",
            fast.done_after
        );
    }
    match &outcomes[0] {
        Err(AsyncFailure {
            error: ErrorCode::HttpResponseTimeout,
            after,
        }) => assert!(
            *after >= Duration::from_millis(1_400) && *after < Duration::from_millis(3_000),
            "{after:?}"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn each_concurrent_request_keeps_its_own_deadline() {
    let pki = Pki::new("async-deadlines");
    let stalled = server(&pki, silent(Duration::from_secs(4)));
    let (mut client, context) = client(&pki);
    let outcomes = client
        .send_concurrently(
            context,
            vec![
                get(&stalled, "/", Some(2_000)),
                get(&stalled, "/", Some(500)),
            ],
        )
        .expect("no trap");
    let waited = |outcome: &Result<AsyncOutcome, AsyncFailure>| match outcome {
        Err(AsyncFailure {
            error: ErrorCode::HttpResponseTimeout,
            after,
        }) => *after,
        other => panic!("expected a timeout, got {other:?}"),
    };
    let (long, short) = (waited(&outcomes[0]), waited(&outcomes[1]));
    assert!(
        short >= Duration::from_millis(450) && short < Duration::from_millis(1_300),
        "{short:?}"
    );
    assert!(
        long >= Duration::from_millis(1_950) && long < Duration::from_millis(3_000),
        "{long:?}"
    );
}

#[test]
fn dropping_a_body_stream_closes_only_its_own_request() {
    let pki = Pki::new("async-cancel");
    let long_cut = Arc::new(AtomicBool::new(false));
    let long = server(
        &pki,
        in_pieces(40, 16 * 1024, Duration::from_millis(50), long_cut.clone()),
    );
    let other_cut = Arc::new(AtomicBool::new(false));
    let other = server(
        &pki,
        in_pieces(10, 1000, Duration::from_millis(150), other_cut.clone()),
    );
    let (mut client, context) = client(&pki);
    let mut dropped = get(&long, "/l", None);
    dropped.drop_body_after = Some(1);
    let outcomes = client
        .send_concurrently(context, vec![dropped, get(&other, "/o", None)])
        .expect("no trap");
    let (dropped, other) = (ok(&outcomes[0]), ok(&outcomes[1]));
    assert!(dropped.body_end.is_none(), "{:?}", dropped.body_end);
    assert!(dropped.body.len() < 40 * 16 * 1024);
    assert_eq!(other.body, vec![b'o'; 10_000]);
    assert!(
        matches!(other.body_end, Some(Ok(()))),
        "{:?}",
        other.body_end
    );
    // While the other request ran (1.5 s), the component closed the dropped one's
    // connection, which the long server's next write found.
    assert!(
        long_cut.load(Ordering::SeqCst),
        "the dropped request's connection stayed open"
    );
    assert!(!other_cut.load(Ordering::SeqCst));
}

#[test]
fn requests_of_later_runs_reuse_the_contexts_idle_connection() {
    let pki = Pki::new("async-pool");
    let server = server(
        &pki,
        verified_https_testkit::server::keep_alive(200, b"again", usize::MAX),
    );
    let (mut client, context) = client(&pki);
    for _ in 0..3 {
        let outcomes = client
            .send_concurrently(context, vec![get(&server, "/", None)])
            .expect("no trap");
        assert_eq!(ok(&outcomes[0]).body, b"again");
    }
    assert_eq!(
        server.connections(),
        1,
        "three requests, one after the other, over one kept-alive connection"
    );
}

#[test]
fn eight_requests_to_a_server_that_answers_each_after_a_second_take_about_a_second() {
    let pki = Pki::new("async-fan-out");
    let slow = server(
        &pki,
        Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
            std::thread::sleep(Duration::from_secs(1));
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")?;
            Ok(Ending::CloseNotify)
        }),
    );
    let (mut client, context) = client(&pki);
    let requests = (0..8).map(|i| get(&slow, &format!("/{i}"), None)).collect();
    let outcomes = client
        .send_concurrently(context, requests)
        .expect("no trap");
    let slowest = outcomes
        .iter()
        .map(|outcome| {
            let outcome = ok(outcome);
            assert_eq!(outcome.body, b"slow");
            outcome.done_after
        })
        .max()
        .expect("eight outcomes");
    // One after the other: 8 s at least.
    assert!(
        slowest >= Duration::from_secs(1) && slowest < Duration::from_millis(2_000),
        "{slowest:?}"
    );
    assert_eq!(slow.connections(), 8);
}

#[test]
fn create_context_takes_the_hosts_context_options_and_verifies_with_exactly_those_anchors() {
    let pki = Pki::new("async-create-context");
    let stranger = Pki::new("async-create-context-stranger");
    let hello = server(
        &pki,
        Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")?;
            Ok(Ending::CloseNotify)
        }),
    );
    // The host's store has nothing: only the context's own anchors can verify the server.
    let config = HostConfig::loopback(HostTrust::Unavailable("not consulted".into()));
    let mut client = AsyncClientInstance::new(runtime(), config).expect("instantiating");
    let own = client
        .create_context(&ContextOptions::trusting(TrustAnchors::Der(vec![
            pki.root_der(),
        ])))
        .expect("no trap")
        .expect("a context");
    let wrong = client
        .create_context(&ContextOptions::trusting(TrustAnchors::Der(vec![
            stranger.root_der(),
        ])))
        .expect("no trap")
        .expect("a context");

    let outcomes = client
        .send_concurrently(own, vec![get(&hello, "/", None)])
        .expect("no trap");
    assert_eq!(ok(&outcomes[0]).body, b"hello");
    let outcomes = client
        .send_concurrently(wrong, vec![get(&hello, "/", None)])
        .expect("no trap");
    assert!(
        matches!(
            &outcomes[0],
            Err(AsyncFailure {
                error: ErrorCode::TlsCertificateError(CertificateError::UnknownIssuer),
                ..
            })
        ),
        "{:?}",
        outcomes[0]
    );

    let refused = client
        .create_context(&ContextOptions::trusting(TrustAnchors::Der(vec![
            b"not a certificate".to_vec(),
        ])))
        .expect("no trap");
    assert!(refused.is_err(), "{refused:?}");
}
