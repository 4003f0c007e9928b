//! Streamed request bodies through the component: a server that hashes every byte it receives
//! (Content-Length and chunked), `Expect: 100-continue` honoured, refused and ignored, a server
//! that gives up mid-upload, a redirect that would need the body again; a 1 GiB upload in
//! bounded linear memory; and `https-get -T` / `--data-binary @FILE`.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use verified_https_host::{
    ClientInstance, ContextHandle, ErrorCode, HostTrust, RedirectPolicy, Request, UploadProgress,
};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, SeenRequest, TestServer, Versions};
use verified_https_testkit::upload::{UploadBehaviour, UploadServer, sha256_hex};

use crate::cli::{ca_dir, https_get, run};
use crate::support::{client, request_to, request_to_port};

/// Deterministic bytes that do not repeat within a piece: piece `i` of the body.
fn piece(i: u64, len: usize) -> Vec<u8> {
    let mut state = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The upload server for good.test and a client trusting it.
fn setup(label: &str, behaviour: UploadBehaviour) -> (ClientInstance, ContextHandle, UploadServer) {
    let pki = Pki::new(label);
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = UploadServer::start(server::server_config(&leaf, Versions::Both), behaviour);
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let context = client.default_context().expect("no trap").expect("context");
    (client, context, server)
}

fn put(server: &UploadServer) -> Request {
    request_to_port(server.port(), "PUT", "good.test", "/upload")
}

/// Streams `pieces` pieces of `len` bytes (size announced if `sized`); the response status and
/// body, and the SHA-256 of what was written.
fn upload(
    client: &mut ClientInstance,
    context: ContextHandle,
    request: &Request,
    pieces: u64,
    len: usize,
    sized: bool,
) -> Result<(u16, String, String, Vec<UploadProgress>), ErrorCode> {
    let size = sized.then_some(pieces * len as u64);
    let body = client
        .begin_request(context, request, size)
        .expect("no trap")?;
    let mut written = Vec::new();
    let mut progress = Vec::new();
    for i in 0..pieces {
        let bytes = piece(i, len);
        let step = client.write_body(&body, &bytes).expect("no trap")?;
        progress.push(step);
        if step == UploadProgress::Answered {
            break;
        }
        written.extend_from_slice(&bytes);
    }
    let response = client.finish_body(body).expect("no trap")?;
    let text = client.read_to_end(&response).expect("no trap")?;
    let digest = sha256_hex(&mut written.as_slice()).expect("hash");
    Ok((
        response.status,
        String::from_utf8_lossy(&text).into_owned(),
        digest,
        progress,
    ))
}

#[test]
fn a_sized_and_a_chunked_body_arrive_whole_with_continue_honoured_for_large_ones() {
    let (mut client, context, server) = setup("upload-accept", UploadBehaviour::Accept);
    // 200 KiB with a Content-Length: below the Expect threshold.
    let (status, hash, sent, _) =
        upload(&mut client, context, &put(&server), 50, 4096, true).expect("small upload");
    assert_eq!((status, hash), (200, sent));
    // 8 MiB chunked (size unknown): announced with Expect, answered with 100 Continue.
    let (status, hash, sent, _) =
        upload(&mut client, context, &put(&server), 128, 65536, false).expect("chunked upload");
    assert_eq!((status, hash), (200, sent));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(!seen[0].expected_continue && seen[0].head.contains("Content-Length: 204800"));
    assert!(seen[1].expected_continue && seen[1].head.contains("Transfer-Encoding: chunked"));
    assert_eq!(seen[1].received, 128 * 65536);
}

#[test]
fn a_refused_expectation_saves_the_upload_and_its_answer_is_the_response() {
    let (mut client, context, server) = setup("upload-refuse", UploadBehaviour::Refuse(417));
    let (status, text, _, progress) =
        upload(&mut client, context, &put(&server), 64, 65536, true).expect("refused upload");
    assert_eq!((status, text.as_str()), (417, "refused"));
    assert_eq!(progress, vec![UploadProgress::Answered]);
    assert_eq!(server.seen()[0].received, 0);
}

#[test]
fn a_server_that_never_answers_the_expectation_gets_the_body_after_a_short_wait() {
    let (mut client, context, server) = setup("upload-ignore", UploadBehaviour::IgnoreExpect);
    let started = Instant::now();
    let (status, hash, sent, _) =
        upload(&mut client, context, &put(&server), 32, 65536, true).expect("upload");
    let elapsed = started.elapsed();
    assert_eq!((status, hash), (200, sent));
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn a_server_that_gives_up_mid_upload_gives_its_answer_or_a_clear_error_never_a_hang() {
    let (mut client, context, server) =
        setup("upload-give-up", UploadBehaviour::GiveUpAfter(1 << 20));
    let started = Instant::now();
    let outcome = upload(&mut client, context, &put(&server), 1024, 65536, true);
    eprintln!(
        "server gave up after 1 MiB of 64 MiB: {outcome:?} in {:?}",
        started.elapsed()
    );
    match outcome {
        Ok((status, text, _, progress)) => {
            assert_eq!((status, text.as_str()), (413, "too large"));
            assert_eq!(progress.last(), Some(&UploadProgress::Answered));
        }
        Err(err) => assert!(matches!(err, ErrorCode::ConnectionTerminated(_)), "{err:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(server.seen()[0].received >= 1 << 20);
}

#[test]
fn a_body_longer_or_shorter_than_its_size_is_refused() {
    let (mut client, context, server) = setup("upload-size", UploadBehaviour::Accept);
    let body = client
        .begin_request(context, &put(&server), Some(10))
        .expect("no trap")
        .expect("begin");
    let err = client
        .write_body(&body, &[7; 11])
        .expect("no trap")
        .unwrap_err();
    assert!(
        matches!(&err, ErrorCode::InvalidRequest(why) if why.contains("longer")),
        "{err:?}"
    );
    let body = client
        .begin_request(context, &put(&server), Some(10))
        .expect("no trap")
        .expect("begin");
    client
        .write_body(&body, &[7; 4])
        .expect("no trap")
        .expect("write");
    let err = client.finish_body(body).expect("no trap").unwrap_err();
    assert!(
        matches!(&err, ErrorCode::InvalidRequest(why) if why.contains("6 bytes short")),
        "{err:?}"
    );
    // A body given whole cannot go with begin-request.
    let mut whole = put(&server);
    whole.body = Some(b"x".to_vec());
    let err = client
        .begin_request(context, &whole, None)
        .expect("no trap")
        .unwrap_err();
    assert!(matches!(err, ErrorCode::InvalidRequest(_)));
}

#[test]
fn a_307_that_would_send_a_streamed_body_again_fails_clearly_and_a_303_is_followed() {
    let pki = Pki::new("upload-redirect");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
            let status = if request.head.starts_with("PUT /307") {
                307
            } else {
                303
            };
            if request.head.starts_with("GET /done") {
                out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")?;
            } else {
                write!(
                    out,
                    "HTTP/1.1 {status} X\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n"
                )?;
            }
            Ok(Ending::KeepAlive)
        }),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let context = client.default_context().expect("no trap").expect("context");
    let follow = |mut request: Request| {
        request.options.redirects = Some(RedirectPolicy {
            max_redirects: 5,
            allow_https_to_http: false,
        });
        request
    };
    for (path, expected) in [("/307", None), ("/303", Some(200))] {
        let request = follow(request_to(&server, "PUT", "good.test", path));
        let body = client
            .begin_request(context, &request, Some(5))
            .expect("no trap")
            .expect("begin");
        client
            .write_body(&body, b"hello")
            .expect("no trap")
            .expect("write");
        match (client.finish_body(body).expect("no trap"), expected) {
            (Err(ErrorCode::BodyNotReplayable(to)), None) => assert!(to.ends_with("/done")),
            (Ok(response), Some(status)) => assert_eq!(response.status, status),
            (other, _) => panic!("{path}: {other:?}"),
        }
    }
    // The 303 and the GET it became went on one connection: the redirect's was reused.
    assert_eq!(
        server.connections(),
        2,
        "one for /307, one for /303 and /done"
    );
}

#[test]
fn a_1_gib_upload_runs_in_bounded_linear_memory() {
    let (mut client, context, server) = setup("upload-1gib", UploadBehaviour::Accept);
    let started = Instant::now();
    let (status, hash, sent, _) =
        upload_without_keeping(&mut client, context, &put(&server), 4096, 256 << 10);
    let peak = client.peak_memory_bytes();
    eprintln!(
        "1 GiB upload: {status} in {:?}, peak linear memory {peak} bytes",
        started.elapsed()
    );
    assert_eq!((status, hash), (200, sent));
    assert!(peak <= 2 << 20, "peak linear memory {peak} bytes");
}

/// As [`upload`], hashing as it goes instead of keeping the body.
fn upload_without_keeping(
    client: &mut ClientInstance,
    context: ContextHandle,
    request: &Request,
    pieces: u64,
    len: usize,
) -> (u16, String, String, ()) {
    use ring::digest::{Context, SHA256};
    let body = client
        .begin_request(context, request, Some(pieces * len as u64))
        .expect("no trap")
        .expect("begin");
    let mut digest = Context::new(&SHA256);
    for i in 0..pieces {
        let bytes = piece(i, len);
        digest.update(&bytes);
        let step = client
            .write_body(&body, &bytes)
            .expect("no trap")
            .expect("write");
        assert_eq!(step, UploadProgress::Sending);
    }
    let response = client.finish_body(body).expect("no trap").expect("finish");
    let text = client
        .read_to_end(&response)
        .expect("no trap")
        .expect("body");
    let hex = digest
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (
        response.status,
        String::from_utf8_lossy(&text).into_owned(),
        hex,
        (),
    )
}

#[test]
fn https_get_streams_a_256_mib_file_with_t_and_data_binary() {
    let pki = Pki::new("upload-cli");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = UploadServer::start(
        server::server_config(&leaf, Versions::Both),
        UploadBehaviour::Accept,
    );
    let dir = ca_dir(&pki, "upload");
    let file = dir.join("256mib.bin");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        for i in 0..256 {
            out.write_all(&piece(i, 1 << 20)).expect("write");
        }
    }
    let expected = sha256_hex(&mut std::fs::File::open(&file).expect("open")).expect("hash");
    let resolve = format!("good.test:{}:127.0.0.1", server.port());
    let url = format!("https://good.test:{}/upload", server.port());
    for flag in ["-T", "--data-binary"] {
        let arg = match flag {
            "-T" => file.display().to_string(),
            _ => format!("@{}", file.display()),
        };
        let started = Instant::now();
        let (code, stdout, stderr) = run(https_get()
            .args(["--cacert"])
            .arg(dir.join("ca.pem"))
            .args(["--resolve", &resolve, flag, &arg, &url]));
        eprintln!("{flag}: 256 MiB in {:?}", started.elapsed());
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, expected, "{flag}");
    }
    let seen = server.seen();
    assert!(seen[0].head.starts_with("PUT /upload "), "{}", seen[0].head);
    assert!(
        seen[1].head.starts_with("POST /upload "),
        "{}",
        seen[1].head
    );
    assert!(
        seen.iter()
            .all(|s| s.expected_continue && s.received == 256 << 20)
    );
    std::fs::remove_file(&file).expect("remove");

    // Refused: the server's answer is the output, and the body never went.
    let refusing = UploadServer::start(
        server::server_config(&leaf, Versions::Both),
        UploadBehaviour::Refuse(413),
    );
    let small = dir.join("2mib.bin");
    std::fs::write(&small, piece(0, 2 << 20)).expect("write");
    let (code, stdout, stderr) = run(https_get()
        .args(["-f", "--cacert"])
        .arg(dir.join("ca.pem"))
        .args([
            "--resolve",
            &format!("good.test:{}:127.0.0.1", refusing.port()),
            "-T",
        ])
        .arg(&small)
        .arg(format!("https://good.test:{}/upload", refusing.port())));
    assert_eq!((code, stdout.as_str()), (22, ""), "{stderr}");
    assert!(stderr.contains("413"), "{stderr}");
    assert_eq!(refusing.seen()[0].received, 0);

    // -L and a 307: the streamed body cannot go again (curl's exit 65).
    let redirecting = TestServer::https(
        &leaf,
        Versions::Both,
        server::raw(
            b"HTTP/1.1 307 X\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n".to_vec(),
            Ending::CloseNotify,
        ),
    );
    let small = dir.join("1kib.bin");
    std::fs::write(&small, piece(1, 1024)).expect("write");
    let (code, _, stderr) = run(https_get()
        .args(["-L", "--cacert"])
        .arg(dir.join("ca.pem"))
        .args([
            "--resolve",
            &format!("good.test:{}:127.0.0.1", redirecting.port()),
            "-T",
        ])
        .arg(&small)
        .arg(redirecting.url("https", "good.test", "/upload")));
    assert_eq!(code, 65, "{stderr}");
    assert!(
        stderr.contains("a streamed body cannot be sent twice"),
        "{stderr}"
    );
}
