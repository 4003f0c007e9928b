//! HTTP/1.1 through the component over real TLS: request bodies, the three body framings,
//! truncation as an error, a 64 MiB body in bounded memory, and clear errors for bad input.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use verified_https_host::ClientInstance;
use verified_https_host::{ErrorCode, Header, HostTrust, Request};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, Handler, SeenRequest, TestServer, Versions};

use crate::support::{client, fetch, request_to, resolve_to_loopback};

/// A verified client and an HTTPS server for good.test answering with `handler`.
fn setup(handler: Handler) -> (ClientInstance, TestServer) {
    let pki = Pki::new("http");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        handler,
    );
    (client(HostTrust::Anchors(vec![pki.root_der()])), server)
}

fn get(server: &TestServer) -> Request {
    request_to(server, "GET", "good.test", "/")
}

#[test]
fn post_body_and_headers_reach_the_server() {
    let (mut client, server) = setup(Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
        write!(
            out,
            "HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n",
            request.body.len()
        )?;
        out.write_all(&request.body)?;
        Ok(Ending::CloseNotify)
    }));
    let mut request = request_to(&server, "POST", "good.test", "/submit?x=1");
    request.body = Some(b"name=value&other=1".to_vec());
    request.headers.push(Header {
        name: "X-Token".into(),
        value: b"abc".to_vec(),
    });
    let (response, body) = fetch(&mut client, true, &request).expect("POST succeeds");
    assert_eq!(
        (response.status, response.reason.as_str()),
        (201, "Created")
    );
    assert_eq!(body, b"name=value&other=1");
    let seen = &server.requests()[0];
    assert!(
        seen.head.starts_with("POST /submit?x=1 HTTP/1.1\r\n"),
        "{}",
        seen.head
    );
    assert!(
        seen.head
            .contains(&format!("Host: good.test:{}\r\n", server.port()))
    );
    assert!(seen.head.contains("Content-Length: 18\r\n"));
    assert!(seen.head.contains("X-Token: abc\r\n"));
    assert_eq!(seen.body, b"name=value&other=1");
}

#[test]
fn large_request_body_is_sent_whole() {
    let (mut client, server) = setup(Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            request.body.len()
        )?;
        out.write_all(&request.body)?;
        Ok(Ending::CloseNotify)
    }));
    let body: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 253) as u8).collect();
    let mut request = request_to(&server, "PUT", "good.test", "/upload");
    request.body = Some(body.clone());
    let (_, echoed) = fetch(&mut client, true, &request).expect("PUT succeeds");
    assert_eq!(server.requests()[0].body.len(), body.len());
    assert!(echoed == body, "the echoed body differs");
}

#[test]
fn any_method_is_sent_as_given() {
    let (mut client, server) = setup(server::fixed(200, b""));
    let request = request_to(&server, "PROPFIND", "good.test", "/dav");
    fetch(&mut client, true, &request).expect("PROPFIND succeeds");
    assert!(
        server.requests()[0]
            .head
            .starts_with("PROPFIND /dav HTTP/1.1\r\n")
    );
}

#[test]
fn chunked_response_is_decoded_and_trailers_skipped() {
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
    let (mut client, server) = setup(server::raw(wire.to_vec(), Ending::CloseNotify));
    let (_, body) = fetch(&mut client, true, &get(&server)).expect("chunked body");
    assert_eq!(body, b"hello, world");
}

#[test]
fn close_delimited_response_ending_with_close_notify_is_complete() {
    let wire = b"HTTP/1.1 200 OK\r\n\r\nuntil the end".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let (_, body) = fetch(&mut client, true, &get(&server)).expect("clean close ends the body");
    assert_eq!(body, b"until the end");
}

#[test]
fn close_delimited_response_without_close_notify_is_incomplete() {
    let wire = b"HTTP/1.1 200 OK\r\n\r\nmaybe cut".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::Abrupt));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(
        matches!(err, ErrorCode::HttpResponseIncomplete(_)),
        "{err:?}"
    );
}

#[test]
fn close_notify_in_the_middle_of_a_content_length_body_is_incomplete() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(
        matches!(&err, ErrorCode::HttpResponseIncomplete(m) if m.contains("91 bytes")),
        "{err:?}"
    );
}

#[test]
fn unfinished_chunked_body_is_incomplete() {
    let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(
        matches!(err, ErrorCode::HttpResponseIncomplete(_)),
        "{err:?}"
    );
}

#[test]
fn head_response_has_no_body_even_with_content_length() {
    let (mut client, server) = setup(server::raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec(),
        Ending::CloseNotify,
    ));
    let (response, body) = fetch(
        &mut client,
        true,
        &request_to(&server, "HEAD", "good.test", "/"),
    )
    .expect("HEAD succeeds");
    assert_eq!(response.status, 200);
    assert!(body.is_empty());
}

#[test]
fn connection_reset_mid_body_is_connection_terminated() {
    let (mut client, server) = setup(Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")?;
        out.write_all(&[b'r'; 1000])?;
        out.flush()?;
        std::thread::sleep(Duration::from_millis(100));
        Ok(Ending::Reset)
    }));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::ConnectionTerminated(_)), "{err:?}");
}

#[test]
fn head_response_followed_by_a_body_does_not_poison_the_next_request() {
    let (mut client, server) = setup(Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
        if request.head.starts_with("HEAD ") {
            // A wrong server: a body after a HEAD response, shaped like a response itself.
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\n")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(50));
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX")?;
        } else {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal")?;
        }
        Ok(Ending::KeepAlive)
    }));
    let context = client.default_context().expect("no trap").expect("context");
    let head = client
        .send(context, &request_to(&server, "HEAD", "good.test", "/"))
        .expect("no trap")
        .expect("HEAD");
    assert!(
        client
            .read_to_end(&head)
            .expect("no trap")
            .expect("no body")
            .is_empty()
    );
    std::thread::sleep(Duration::from_millis(100));
    let response = client
        .send(context, &get(&server))
        .expect("no trap")
        .expect("GET");
    assert_eq!(
        client
            .read_to_end(&response)
            .expect("no trap")
            .expect("body"),
        b"real"
    );
    assert_eq!(server.connections(), 2, "the HEAD connection is not reused");
}

#[test]
fn interim_100_continue_is_skipped() {
    let wire =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let (response, body) = fetch(&mut client, true, &get(&server)).expect("final response");
    assert_eq!((response.status, body.as_slice()), (200, &b"ok"[..]));
}

#[test]
fn garbage_instead_of_http_is_a_protocol_error() {
    let (mut client, server) = setup(server::raw(
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec(),
        Ending::CloseNotify,
    ));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::HttpProtocolError(_)), "{err:?}");
}

#[test]
fn transfer_encoding_with_content_length_is_refused() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let (mut client, server) = setup(server::raw(wire.to_vec(), Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::HttpProtocolError(_)), "{err:?}");
}

#[test]
fn oversized_header_section_is_refused() {
    let mut wire = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    wire.resize(wire.len() + 1024 * 1024, b'a');
    wire.extend_from_slice(b"\r\n\r\n");
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(
        matches!(err, ErrorCode::HttpResponseHeaderSectionSize(_)),
        "{err:?}"
    );
}

/// A verified context for `server`'s PKI root with `limits`.
fn context_with_limits(
    client: &mut ClientInstance,
    root: Vec<u8>,
    limits: verified_https_host::Limits,
) -> verified_https_host::ContextHandle {
    client
        .context(&verified_https_host::ContextOptions {
            limits,
            ..verified_https_host::ContextOptions::trusting(verified_https_host::TrustAnchors::Der(
                vec![root],
            ))
        })
        .expect("no trap")
        .expect("context")
}

#[test]
fn endless_chunked_body_stops_at_the_body_limit() {
    let pki = Pki::new("limits");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
            out.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let chunk = [b'z'; 4096];
            loop {
                // Ends when the client gives up and the write fails.
                write!(out, "1000\r\n")?;
                out.write_all(&chunk)?;
                out.write_all(b"\r\n")?;
            }
        }),
    );
    let mut client = client(HostTrust::Anchors(vec![]));
    let mut limits = verified_https_host::default_limits();
    limits.max_body_bytes = Some(1_000_000);
    let context = context_with_limits(&mut client, pki.root_der(), limits);
    let response = client
        .send(context, &get(&server))
        .expect("no trap")
        .expect("head");
    let mut delivered = 0;
    let err = loop {
        match client.read_body(&response, 64 * 1024).expect("no trap") {
            Ok(Some(piece)) => delivered += piece.len(),
            Ok(None) => panic!("an endless body cannot end"),
            Err(err) => break err,
        }
    };
    assert_eq!(err, ErrorCode::HttpResponseBodySize(1_000_000));
    assert!(
        delivered <= 1_000_000,
        "{delivered} bytes delivered past the limit"
    );
}

#[test]
fn header_count_and_status_line_limits_have_their_own_errors() {
    let pki = Pki::new("head-limits");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let many = TestServer::https(
        &leaf,
        Versions::Both,
        server::raw(
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Ending::CloseNotify,
        ),
    );
    let long = TestServer::https(
        &leaf,
        Versions::Both,
        server::raw(
            format!("HTTP/1.1 200 {}\r\n\r\n", "x".repeat(200)).into_bytes(),
            Ending::CloseNotify,
        ),
    );
    let mut client = client(HostTrust::Anchors(vec![]));
    let mut limits = verified_https_host::default_limits();
    limits.max_header_count = Some(3);
    limits.max_status_line_bytes = Some(100);
    let context = context_with_limits(&mut client, pki.root_der(), limits);
    let err = client
        .send(context, &get(&many))
        .expect("no trap")
        .unwrap_err();
    assert_eq!(err, ErrorCode::HttpResponseHeaderCount(3));
    let err = client
        .send(context, &get(&long))
        .expect("no trap")
        .unwrap_err();
    assert_eq!(err, ErrorCode::HttpResponseStatusLineSize(100));
}

#[test]
fn body_of_64_mib_streams_in_bounded_memory() {
    const SIZE: usize = 64 * 1024 * 1024;
    let (mut client, server) = setup(Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
        write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n")?;
        let block: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..SIZE / block.len() {
            out.write_all(&block)?;
        }
        Ok(Ending::CloseNotify)
    }));
    let context = client.default_context().expect("no trap").expect("context");
    let response = client
        .send(context, &get(&server))
        .expect("no trap")
        .expect("response");
    let (mut total, mut checksum) = (0usize, 0u64);
    while let Some(piece) = client
        .read_body(&response, 64 * 1024)
        .expect("no trap")
        .expect("body")
    {
        assert!(piece.len() <= 64 * 1024);
        for (i, &byte) in piece.iter().enumerate() {
            assert_eq!(
                byte,
                ((total + i) % (64 * 1024) % 251) as u8,
                "byte {}",
                total + i
            );
        }
        checksum = checksum.wrapping_add(piece.iter().map(|&b| u64::from(b)).sum::<u64>());
        total += piece.len();
    }
    assert_eq!(total, SIZE);
    assert!(checksum > 0);
    let peak = client.peak_memory_bytes();
    eprintln!("peak linear memory while streaming 64 MiB: {peak} bytes");
    assert!(
        peak < 4 * 1024 * 1024,
        "linear memory grew to {peak} bytes for a 64 MiB body"
    );
}

#[test]
fn plain_http_works_and_reports_no_tls() {
    let server = TestServer::http(server::fixed(200, b"plain"));
    let mut client = client(HostTrust::Anchors(vec![]));
    let mut request = get(&server);
    request.url = server.url("http", "good.test", "/");
    let context = client.unverified_context().expect("no trap");
    let response = client
        .send(context, &request)
        .expect("no trap")
        .expect("plain HTTP");
    assert_eq!(
        client
            .read_to_end(&response)
            .expect("no trap")
            .expect("body"),
        b"plain"
    );
    assert!(response.tls.is_none());
}

#[test]
fn invalid_urls_are_refused_before_connecting() {
    let (mut client, server) = setup(server::fixed(200, b""));
    for url in [
        "not a url",
        "ftp://good.test/",
        "https://user:pw@good.test/",
    ] {
        let mut request = get(&server);
        request.url = url.into();
        let err = fetch(&mut client, true, &request).unwrap_err();
        assert!(matches!(err, ErrorCode::InvalidUrl(_)), "{url}: {err:?}");
    }
    assert_eq!(server.connections(), 0);
}

#[test]
fn header_injection_is_an_invalid_request() {
    let (mut client, server) = setup(server::fixed(200, b""));
    let mut request = get(&server);
    request.headers.push(Header {
        name: "X-A".into(),
        value: b"1\r\nX-Injected: 2".to_vec(),
    });
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(matches!(err, ErrorCode::InvalidRequest(_)), "{err:?}");
}

#[test]
fn closed_port_is_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut client = client(HostTrust::Anchors(vec![Pki::new("refused").root_der()]));
    let mut request = verified_https_host::instance::get(&format!("https://127.0.0.1:{port}/"));
    request.options.connect_timeout_ms = Some(5_000);
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert!(matches!(err, ErrorCode::ConnectionRefused(_)), "{err:?}");
}

#[test]
fn silent_server_times_out_within_the_limit() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        std::thread::sleep(Duration::from_secs(3));
        drop(stream);
    });
    let mut client = client(HostTrust::Anchors(vec![Pki::new("silent").root_der()]));
    let mut request = verified_https_host::instance::get(&format!("https://127.0.0.1:{port}/"));
    request.options.timeout_ms = Some(500);
    let started = Instant::now();
    let err = fetch(&mut client, true, &request).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err, ErrorCode::HttpResponseTimeout);
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_millis(2_500),
        "{waited:?}"
    );
    holder.join().expect("holder thread");
}

/// A TCP listener that accepts one connection and runs `behave` on it, on its own thread.
fn hostile(
    behave: impl FnOnce(std::net::TcpStream) + Send + 'static,
) -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let thread = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        behave(stream);
    });
    (port, thread)
}

/// Fetches through a verified context and returns the error and how long it took.
fn timed_failure(request: &Request) -> (ErrorCode, Duration) {
    let mut client = client(HostTrust::Anchors(vec![Pki::new("timeouts").root_der()]));
    let started = Instant::now();
    let err = fetch(&mut client, true, request).unwrap_err();
    (err, started.elapsed())
}

#[test]
fn stalled_handshake_times_out_within_the_handshake_limit() {
    let (port, server) = hostile(|stream| {
        std::thread::sleep(Duration::from_secs(3));
        drop(stream);
    });
    let mut request = verified_https_host::instance::get(&format!("https://127.0.0.1:{port}/"));
    request.options.handshake_timeout_ms = Some(400);
    let (err, waited) = timed_failure(&request);
    assert_eq!(err, ErrorCode::HttpResponseTimeout);
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_millis(2_000),
        "{waited:?}"
    );
    server.join().expect("server thread");
}

#[test]
fn server_silent_mid_body_times_out_within_the_read_limit() {
    let (mut client, server) = setup(Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst bytes")?;
        out.flush()?;
        std::thread::sleep(Duration::from_secs(3));
        Ok(Ending::Abrupt)
    }));
    let mut request = get(&server);
    request.options.read_timeout_ms = Some(400);
    let context = client.default_context().expect("no trap").expect("context");
    let response = client
        .send(context, &request)
        .expect("no trap")
        .expect("head arrives");
    let started = Instant::now();
    let first = client
        .read_body(&response, 1024)
        .expect("no trap")
        .expect("first bytes");
    assert_eq!(first.as_deref(), Some(&b"first bytes"[..]));
    let err = client
        .read_body(&response, 1024)
        .expect("no trap")
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err, ErrorCode::HttpResponseTimeout);
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_millis(2_000),
        "{waited:?}"
    );
}

#[test]
fn trickling_server_hits_the_whole_request_timeout() {
    let (mut client, server) = setup(Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n")?;
        for _ in 0..60 {
            out.write_all(b"x")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(Ending::CloseNotify)
    }));
    let mut request = get(&server);
    request.options.read_timeout_ms = Some(1_000);
    request.options.timeout_ms = Some(1_200);
    let started = Instant::now();
    let err = fetch(&mut client, true, &request).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(
        err,
        ErrorCode::HttpResponseTimeout,
        "each byte beats the read timeout; the total does not"
    );
    assert!(
        waited >= Duration::from_millis(1_100) && waited < Duration::from_millis(2_800),
        "{waited:?}"
    );
}

#[test]
fn server_closing_after_the_request_is_connection_terminated() {
    let (mut client, server) = setup(raw_close_without_answer());
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::ConnectionTerminated(_)), "{err:?}");
}

fn raw_close_without_answer() -> Handler {
    Arc::new(|_: &SeenRequest, _: &mut dyn Write| Ok(Ending::CloseNotify))
}

#[test]
fn a_loop_of_requests_to_one_server_makes_one_connection() {
    let (mut client, server) = setup(server::keep_alive(200, b"again", usize::MAX));
    let context = client.default_context().expect("no trap").expect("context");
    for _ in 0..20 {
        let response = client
            .send(context, &get(&server))
            .expect("no trap")
            .expect("response");
        assert_eq!(
            client
                .read_to_end(&response)
                .expect("no trap")
                .expect("body"),
            b"again"
        );
        client.drop_response(response).expect("no trap");
    }
    assert_eq!(server.requests().len(), 20);
    assert_eq!(
        server.connections(),
        1,
        "one TCP connection and one TLS handshake"
    );
}

#[test]
fn a_connection_the_server_closed_is_replaced_for_idempotent_requests() {
    // The server closes every connection after 3 requests, without saying so in the response.
    let (mut client, server) = setup(server::keep_alive(200, b"ok", 3));
    let context = client.default_context().expect("no trap").expect("context");
    for _ in 0..7 {
        let response = client
            .send(context, &get(&server))
            .expect("no trap")
            .expect("response");
        assert_eq!(
            client
                .read_to_end(&response)
                .expect("no trap")
                .expect("body"),
            b"ok"
        );
    }
    assert_eq!(server.requests().len(), 7);
    assert_eq!(server.connections(), 3);
}

#[test]
fn a_connection_is_not_reused_before_its_body_is_read_or_after_connection_close() {
    let (mut client, server) = setup(Arc::new(|_: &SeenRequest, out: &mut dyn Write| {
        out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")?;
        Ok(Ending::KeepAlive)
    }));
    let context = client.default_context().expect("no trap").expect("context");
    for _ in 0..3 {
        let response = client
            .send(context, &get(&server))
            .expect("no trap")
            .expect("response");
        client
            .read_to_end(&response)
            .expect("no trap")
            .expect("body");
    }
    assert_eq!(server.connections(), 3, "Connection: close forbids reuse");
    let (mut client, server) = setup(server::keep_alive(200, b"unread", usize::MAX));
    let context = client.default_context().expect("no trap").expect("context");
    let first = client
        .send(context, &get(&server))
        .expect("no trap")
        .expect("response");
    let second = client
        .send(context, &get(&server))
        .expect("no trap")
        .expect("response");
    assert_eq!(
        client.read_to_end(&second).expect("no trap").expect("body"),
        b"unread"
    );
    drop(first);
    assert_eq!(
        server.connections(),
        2,
        "a connection with an unread body is not idle"
    );
}

fn follow(
    max_redirects: u32,
    allow_https_to_http: bool,
) -> Option<verified_https_host::RedirectPolicy> {
    Some(verified_https_host::RedirectPolicy {
        max_redirects,
        allow_https_to_http,
    })
}

/// A handler redirecting `/start` to `location` with `status`, and answering `/end` with 200.
fn redirecting(status: u16, location: String) -> Handler {
    Arc::new(move |request: &SeenRequest, out: &mut dyn Write| {
        if request.head.contains(" /start ") {
            write!(
                out,
                "HTTP/1.1 {status} R\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
            )?;
        } else {
            let line = request.head.lines().next().unwrap_or_default().to_owned();
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{line}",
                line.len()
            )?;
        }
        Ok(Ending::KeepAlive)
    })
}

#[test]
fn redirects_are_returned_unless_a_policy_follows_them() {
    let (mut client, server) = setup(redirecting(302, "/end".into()));
    let mut request = request_to(&server, "GET", "good.test", "/start");
    let (response, _) = fetch(&mut client, true, &request).expect("the 302 itself");
    assert_eq!(response.status, 302);
    request.options.redirects = follow(5, false);
    let (response, body) = fetch(&mut client, true, &request).expect("followed");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"GET /end HTTP/1.1"[..])
    );
    assert!(response.url.ends_with("/end"), "{}", response.url);
}

#[test]
fn a_redirect_within_the_origin_reuses_the_connection_even_with_a_small_body() {
    let (mut client, server) = setup(redirecting(301, "/end".into()));
    let mut request = request_to(&server, "GET", "good.test", "/start");
    request.options.redirects = follow(5, false);
    let (response, body) = fetch(&mut client, true, &request).expect("followed");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"GET /end HTTP/1.1"[..])
    );
    assert_eq!(
        server.connections(),
        1,
        "the redirect and its target on one connection"
    );

    // A redirect with a body (kept under 64 KiB) still frees its connection.
    let page = "x".repeat(10_000);
    let (mut client, server) = setup(Arc::new(
        move |request: &SeenRequest, out: &mut dyn Write| {
            if request.head.contains(" /start ") {
                write!(
                    out,
                    "HTTP/1.1 302 R\r\nLocation: /end\r\nContent-Length: {}\r\n\r\n{page}",
                    page.len()
                )?;
            } else {
                out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?;
            }
            Ok(Ending::KeepAlive)
        },
    ));
    let mut request = request_to(&server, "GET", "good.test", "/start");
    request.options.redirects = follow(5, false);
    let (_, body) = fetch(&mut client, true, &request).expect("followed");
    assert_eq!(body, b"ok");
    assert_eq!(server.connections(), 1);
}

#[test]
fn post_303_becomes_get_and_307_keeps_the_body() {
    for (status, expected) in [(303, "GET /end HTTP/1.1"), (307, "POST /end HTTP/1.1")] {
        let (mut client, server) = setup(redirecting(status, "/end".into()));
        let mut request = request_to(&server, "POST", "good.test", "/start");
        request.body = Some(b"payload".to_vec());
        request.options.redirects = follow(5, false);
        let (_, body) = fetch(&mut client, true, &request).expect("followed");
        assert_eq!(String::from_utf8_lossy(&body), expected);
        let last = server.requests().pop().expect("requests");
        assert_eq!(last.body.is_empty(), status == 303, "{status}: {last:?}");
    }
}

/// A server for good.test redirecting `/start` to another origin (other.test, a second server
/// with the same certificate): the client, the first server, the target, and a request for
/// `/start` that reaches both on loopback.
fn cross_origin_redirect(label: &str) -> (ClientInstance, TestServer, TestServer, Request) {
    let pki = Pki::new(label);
    let leaf = pki.leaf(&LeafSpec::new(&["good.test", "other.test"]));
    let target = TestServer::https(&leaf, Versions::Both, redirecting(200, String::new()));
    let location = format!("https://other.test:{}/end", target.port());
    let first = TestServer::https(&leaf, Versions::Both, redirecting(302, location));
    let client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let mut request = request_to(&first, "GET", "good.test", "/start");
    resolve_to_loopback(&mut request, "other.test", target.port());
    (client, first, target, request)
}

#[test]
fn credentials_are_dropped_when_a_redirect_changes_origin() {
    let (mut client, first, target, mut request) = cross_origin_redirect("redirect-origin");
    request.headers.push(Header {
        name: "Authorization".into(),
        value: b"Bearer secret".to_vec(),
    });
    request.headers.push(Header {
        name: "Cookie".into(),
        value: b"session=1".to_vec(),
    });
    request.options.redirects = follow(5, false);
    fetch(&mut client, true, &request).expect("followed");
    assert!(
        first.requests()[0]
            .head
            .contains("Authorization: Bearer secret")
    );
    let seen = &target.requests()[0].head;
    assert!(
        !seen.contains("Authorization") && !seen.contains("Cookie"),
        "{seen}"
    );
}

#[test]
fn redirect_loops_end_in_too_many_redirects() {
    let (mut client, server) = setup(redirecting(302, "/start".into()));
    let mut request = request_to(&server, "GET", "good.test", "/start");
    request.options.redirects = follow(3, false);
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert_eq!(err, ErrorCode::TooManyRedirects(3));
    assert_eq!(
        server.requests().len(),
        4,
        "the first request and three redirects"
    );
}

#[test]
fn https_to_http_redirect_is_refused_unless_explicitly_allowed() {
    let plain = TestServer::http(server::fixed(200, b"plain"));
    let location = format!("http://127.0.0.1:{}/end", plain.port());
    let (mut client, server) = setup(redirecting(302, location.clone()));
    let mut request = request_to(&server, "GET", "good.test", "/start");
    request.options.redirects = follow(5, false);
    let err = fetch(&mut client, true, &request).unwrap_err();
    assert_eq!(err, ErrorCode::InsecureRedirect(location));
    assert_eq!(plain.connections(), 0);
    request.options.redirects = follow(5, true);
    let (response, body) = fetch(&mut client, true, &request).expect("allowed");
    assert_eq!(
        (body.as_slice(), response.tls.is_none()),
        (&b"plain"[..], true)
    );
}

/// Whether an error is the one a hostile server should cause.
type ExpectedError = fn(&ErrorCode) -> bool;

#[test]
fn after_each_hostile_server_the_next_request_on_a_fresh_context_works() {
    let pki = Pki::new("health");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let mut huge_header = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    huge_header.resize(huge_header.len() + 1024 * 1024, b'a');
    huge_header.extend_from_slice(b"\r\n\r\n");
    let hostile: Vec<(Handler, ExpectedError)> = vec![
        (
            server::raw(b"garbage\r\n\r\n".to_vec(), Ending::CloseNotify),
            |e| matches!(e, ErrorCode::HttpProtocolError(_)),
        ),
        (server::raw(huge_header, Ending::CloseNotify), |e| {
            matches!(e, ErrorCode::HttpResponseHeaderSectionSize(_))
        }),
        (
            server::raw(
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab".to_vec(),
                Ending::Abrupt,
            ),
            |e| matches!(e, ErrorCode::HttpResponseIncomplete(_)),
        ),
        (
            server::raw(
                b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nab".to_vec(),
                Ending::Reset,
            ),
            |e| matches!(e, ErrorCode::ConnectionTerminated(_)),
        ),
        (raw_close_without_answer(), |e| {
            matches!(e, ErrorCode::ConnectionTerminated(_))
        }),
    ];
    let good = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"healthy"));
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    for (handler, expected) in hostile {
        let bad = TestServer::https(&leaf, Versions::Both, handler);
        let err = fetch(&mut client, true, &get(&bad)).unwrap_err();
        assert!(expected(&err), "unexpected {err:?}");
        let (_, body) = fetch(&mut client, true, &get(&good)).expect("the next request works");
        assert_eq!(body, b"healthy");
    }
}

#[test]
fn the_instance_stays_healthy_after_a_failure() {
    let (mut client, bad) = setup(server::raw(b"garbage\r\n\r\n".to_vec(), Ending::Abrupt));
    fetch(&mut client, true, &get(&bad)).unwrap_err();
    let good = TestServer::https(
        &Pki::new("after").leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"fine"),
    );
    let (_, body) = fetch(&mut client, false, &get(&good)).expect("the next request works");
    assert_eq!(body, b"fine");
}

#[test]
fn a_caller_s_host_header_is_dropped_on_a_redirect_to_another_origin() {
    let (mut client, first, target, mut request) = cross_origin_redirect("redirect-host");
    request.headers.push(Header {
        name: "Host".into(),
        value: format!("good.test:{}", first.port()).into_bytes(),
    });
    request.options.redirects = follow(5, false);
    fetch(&mut client, true, &request).expect("followed");
    let seen = &target.requests()[0].head;
    assert!(
        seen.contains(&format!("host: other.test:{}", target.port()))
            || seen.contains(&format!("Host: other.test:{}", target.port())),
        "the new origin's own Host: {seen}"
    );
    assert!(!seen.contains("good.test"), "{seen}");
}

#[test]
fn endless_interim_responses_stop_at_the_limit_with_their_own_error() {
    let wire = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(10_000);
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let started = Instant::now();
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert_eq!(err, ErrorCode::TooManyInterimResponses(16));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_whole_request_timeout_is_one_deadline_across_redirects() {
    // Each hop answers after 300 ms with a redirect to the next; ten hops take 3 s.
    let handler = Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
        std::thread::sleep(Duration::from_millis(300));
        let hop: u32 = request
            .head
            .split_whitespace()
            .nth(1)
            .and_then(|path| path.strip_prefix("/hop"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if hop < 10 {
            write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: /hop{}\r\nContent-Length: 0\r\n\r\n",
                hop + 1
            )?;
        } else {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?;
        }
        Ok(Ending::KeepAlive)
    });
    let (mut client, server) = setup(handler);
    let mut request = request_to(&server, "GET", "good.test", "/hop0");
    request.options.redirects = follow(20, false);
    request.options.timeout_ms = Some(1_000);
    let started = Instant::now();
    let err = fetch(&mut client, true, &request).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err, ErrorCode::HttpResponseTimeout);
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_millis(1_800),
        "{waited:?}"
    );
}

#[test]
fn a_nul_in_a_response_header_is_a_protocol_error() {
    let wire = b"HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 2\r\n\r\nok".to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::HttpProtocolError(_)), "{err:?}");
}

#[test]
fn a_chunk_size_past_64_bits_is_a_protocol_error() {
    let wire =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\nx\r\n0\r\n\r\n"
            .to_vec();
    let (mut client, server) = setup(server::raw(wire, Ending::CloseNotify));
    let err = fetch(&mut client, true, &get(&server)).unwrap_err();
    assert!(matches!(err, ErrorCode::HttpProtocolError(_)), "{err:?}");
}

#[test]
fn an_ipv6_literal_url_is_fetched_and_verified_for_its_address() {
    let pki = Pki::new("ipv6");
    let server = TestServer::https_ipv6(
        &pki.leaf(&LeafSpec::new(&["::1"])),
        Versions::Both,
        server::fixed(200, b"over ipv6"),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let mut request =
        verified_https_host::instance::get(&format!("https://[::1]:{}/v6", server.port()));
    request.options.timeout_ms = Some(30_000);
    let (response, body) = fetch(&mut client, true, &request).expect("verified over ::1");
    assert_eq!(body, b"over ipv6");
    assert!(response.tls.expect("TLS").verified);
    assert!(
        server.requests()[0]
            .head
            .contains(&format!("[::1]:{}", server.port())),
        "{}",
        server.requests()[0].head
    );
}

#[test]
fn an_idna_url_is_sent_and_verified_in_its_ascii_form() {
    let pki = Pki::new("idna");
    let ascii = "xn--bcher-kva.test";
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&[ascii])),
        Versions::Both,
        server::fixed(200, b"buecher"),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let mut request = request_to(&server, "GET", ascii, "/");
    request.url = format!("https://bücher.test:{}/", server.port());
    let (response, body) = fetch(&mut client, true, &request).expect("verified as xn--bcher-kva");
    assert_eq!(body, b"buecher");
    assert!(response.tls.expect("TLS").verified);
    assert!(
        server.requests()[0]
            .head
            .contains(&format!("{ascii}:{}", server.port())),
        "{}",
        server.requests()[0].head
    );
}
