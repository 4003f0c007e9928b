//! Each connection is verified and fresh: a resumed session, a pooled connection or another
//! context's state never stands in for a verification that would fail now, and a connection
//! with stray bytes is never reused.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use verified_https_host::{
    CertificateError, ClientInstance, ContextHandle, ContextOptions, ErrorCode, HostTrust, Request,
    TrustAnchors,
};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, Ending, SeenRequest, TestServer, Versions};

use crate::support::{client, request_to, resolve_to_loopback};

/// `days` days after the Unix epoch, plus `seconds`.
fn at(year: i32, month: u8, day: u8, seconds: i64) -> SystemTime {
    let midnight = rcgen::date_time_ymd(year, month, day).unix_timestamp();
    UNIX_EPOCH + Duration::from_secs((midnight + seconds) as u64)
}

/// Sends `request` through `context`; the status, body and whether it was verified.
fn send(
    client: &mut ClientInstance,
    context: ContextHandle,
    request: &Request,
) -> Result<(u16, Vec<u8>, bool), ErrorCode> {
    let response = client.send(context, request).expect("no trap")?;
    let body = client.read_to_end(&response).expect("no trap")?;
    let verified = response.tls.as_ref().is_some_and(|tls| tls.verified);
    let status = response.status;
    client.drop_response(response).expect("no trap");
    Ok((status, body, verified))
}

#[test]
fn a_resumed_session_is_not_offered_once_the_chain_it_came_from_has_expired() {
    let pki = Pki::new("resumption-expiry");
    // The certificate expires at midnight; TLS 1.3 session tickets live for 24 hours.
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]).valid(
        rcgen::date_time_ymd(2049, 1, 1),
        rcgen::date_time_ymd(2050, 1, 2),
    ));
    // A new connection per request: the server closes each one.
    let server = TestServer::https(&leaf, Versions::Tls13Only, server::fixed(200, b"fresh"));
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    client.set_wall_clock(Some(at(2050, 1, 1, 23 * 3600)));
    let context = client.default_context().expect("no trap").expect("context");
    let request = request_to(&server, "GET", "good.test", "/");

    let first = send(&mut client, context, &request).expect("valid an hour before expiry");
    assert_eq!(first, (200, b"fresh".to_vec(), true));

    // Half an hour after expiry the ticket is still alive, but the chain is not.
    client.set_wall_clock(Some(at(2050, 1, 2, 1800)));
    let err = send(&mut client, context, &request).unwrap_err();
    assert!(
        matches!(
            err,
            ErrorCode::TlsCertificateError(CertificateError::Expired(_))
        ),
        "a full handshake that verifies again, not a resumed session said to be verified: {err:?}"
    );
    assert_eq!(server.resumed(), 0, "no ticket was offered");

    // While the chain is valid, sessions resume as before (the speed of W3 stays).
    client.set_wall_clock(Some(at(2050, 1, 1, 23 * 3600 + 600)));
    let full = send(&mut client, context, &request).expect("verified in full again");
    let resumed = send(&mut client, context, &request).expect("resumed");
    assert_eq!((full.2, resumed.2), (true, true));
    assert_eq!(server.resumed(), 1, "the last handshake resumed");
}

#[test]
fn two_contexts_in_one_instance_share_no_pool_tickets_or_remembered_chains() {
    let pki = Pki::new("two-contexts");
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Tls13Only,
        server::keep_alive(200, b"shared?", 100),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let trusting = client.default_context().expect("no trap").expect("context");
    let request = request_to(&server, "GET", "good.test", "/");
    send(&mut client, trusting, &request).expect("verified");
    send(&mut client, trusting, &request).expect("on the kept-alive connection");
    assert_eq!(server.connections(), 1);

    // A second context that trusts another CA: if it took the first one's idle connection,
    // ticket or remembered chain, this request would succeed.
    let stranger = Pki::new("two-contexts-other");
    let options = ContextOptions::trusting(TrustAnchors::Der(vec![stranger.root_der()]));
    let other = client.context(&options).expect("no trap").expect("context");
    let err = send(&mut client, other, &request).unwrap_err();
    assert_eq!(
        err,
        ErrorCode::TlsCertificateError(CertificateError::UnknownIssuer)
    );
    assert_eq!(server.connections(), 2, "its own connection");
    assert_eq!(server.resumed(), 0, "and a full handshake");
}

#[test]
fn stray_bytes_on_an_idle_connection_retire_it_before_reuse() {
    let pki = Pki::new("stray-bytes");
    // The first answer is a 204 followed, a moment later, by bytes nobody asked for; a client
    // that reused the connection would take them as the answer to its next request.
    let handler = Arc::new(|request: &SeenRequest, out: &mut dyn Write| {
        if request.head.starts_with("GET /first ") {
            out.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(150));
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray")?;
        } else {
            out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh")?;
        }
        out.flush()?;
        Ok(Ending::KeepAlive)
    });
    let server = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        handler,
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let context = client.default_context().expect("no trap").expect("context");
    let first = send(
        &mut client,
        context,
        &request_to(&server, "GET", "good.test", "/first"),
    )
    .expect("204");
    assert_eq!(first.0, 204);
    std::thread::sleep(Duration::from_millis(400));
    let second = send(
        &mut client,
        context,
        &request_to(&server, "GET", "good.test", "/second"),
    )
    .expect("the real answer");
    assert_eq!((second.0, second.1.as_slice()), (200, &b"fresh"[..]));
    assert_eq!(server.connections(), 2, "the idle connection was retired");
}

#[test]
fn a_redirect_to_a_host_the_certificate_does_not_cover_is_a_name_mismatch() {
    let pki = Pki::new("redirect-name");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let target = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"never"));
    let location = format!("https://other.test:{}/end", target.port());
    let first = TestServer::https(
        &leaf,
        Versions::Both,
        Arc::new(move |_: &SeenRequest, out: &mut dyn Write| {
            write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
            )?;
            Ok(Ending::CloseNotify)
        }),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let context = client.default_context().expect("no trap").expect("context");
    let mut request = request_to(&first, "GET", "good.test", "/start");
    resolve_to_loopback(&mut request, "other.test", target.port());
    request.options.redirects = Some(verified_https_host::RedirectPolicy {
        max_redirects: 5,
        allow_https_to_http: false,
    });
    let err = send(&mut client, context, &request).unwrap_err();
    let ErrorCode::TlsCertificateError(CertificateError::NameMismatch(mismatch)) = err else {
        panic!("expected a name mismatch, got {err:?}");
    };
    assert_eq!(mismatch.expected, "other.test");
    assert_eq!(mismatch.presented, vec!["good.test".to_owned()]);
    assert!(target.requests().is_empty(), "nothing was sent to it");
}
