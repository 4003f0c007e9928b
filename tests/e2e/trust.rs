//! The trust import: no usable anchors is an error before any connection, there is no
//! fallback, and anchors the caller supplies replace the host's instead of joining them.

use verified_https_host::{CertificateError, ContextOptions, ErrorCode, HostTrust, TrustAnchors};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::support::{client, fetch, request_to};

fn good_server(pki: &Pki) -> TestServer {
    TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"trusted"),
    )
}

/// The default context must fail with trust-store-unavailable, and the server sees nothing.
fn assert_no_default_context(trust: HostTrust) {
    let pki = Pki::new("no-trust");
    let server = good_server(&pki);
    let mut client = client(trust);
    let err = client
        .default_context()
        .expect("no trap")
        .expect_err("no context without anchors");
    assert!(
        matches!(err, ErrorCode::TrustStoreUnavailable(_)),
        "{err:?}"
    );
    // The same request through a fallback would connect; there is none.
    let err = fetch(
        &mut client,
        true,
        &request_to(&server, "GET", "good.test", "/"),
    )
    .unwrap_err();
    assert!(
        matches!(err, ErrorCode::TrustStoreUnavailable(_)),
        "{err:?}"
    );
    assert_eq!(
        server.connections(),
        0,
        "no connection may be made without trust anchors"
    );
}

#[test]
fn trust_import_error_is_trust_store_unavailable_before_any_connection() {
    assert_no_default_context(HostTrust::Unavailable("no bundle on this host".into()));
}

#[test]
fn empty_trust_anchor_list_is_trust_store_unavailable_before_any_connection() {
    assert_no_default_context(HostTrust::Anchors(vec![]));
}

#[test]
fn garbage_trust_anchor_is_trust_store_unavailable_before_any_connection() {
    assert_no_default_context(HostTrust::Anchors(vec![b"definitely not DER".to_vec()]));
}

#[test]
fn host_error_message_reaches_the_caller() {
    let mut client = client(HostTrust::Unavailable(
        "SSL_CERT_FILE=/x: no such file".into(),
    ));
    let Err(ErrorCode::TrustStoreUnavailable(why)) = client.default_context().expect("no trap")
    else {
        panic!("expected trust-store-unavailable");
    };
    assert!(why.contains("SSL_CERT_FILE=/x: no such file"), "{why}");
}

#[test]
fn unverified_context_does_not_consult_the_trust_store() {
    let pki = Pki::new("unverified-no-trust");
    let server = good_server(&pki);
    let mut client = client(HostTrust::Unavailable("none".into()));
    let (response, _) = fetch(
        &mut client,
        false,
        &request_to(&server, "GET", "good.test", "/"),
    )
    .expect("the unverified context needs no anchors");
    assert!(!response.tls.expect("TLS").verified);
    assert_eq!(client.trust_calls(), 0);
}

#[test]
fn caller_pem_roots_verify_without_the_host_store() {
    let pki = Pki::new("caller-pem");
    let server = good_server(&pki);
    let mut client = client(HostTrust::Unavailable("the host has none".into()));
    let context = client
        .context(&ContextOptions::trusting(TrustAnchors::Pem(
            pki.root_pem().into_bytes(),
        )))
        .expect("no trap")
        .expect("PEM roots are accepted");
    let response = client
        .send(context, &request_to(&server, "GET", "good.test", "/"))
        .expect("no trap")
        .expect("verified against the caller's root");
    assert!(response.tls.expect("TLS").verified);
    assert_eq!(client.trust_calls(), 0, "the host store is not consulted");
}

#[test]
fn caller_roots_replace_the_host_roots_instead_of_joining_them() {
    let host_pki = Pki::new("host");
    let caller_pki = Pki::new("caller");
    let server = good_server(&host_pki);
    let mut client = client(HostTrust::Anchors(vec![host_pki.root_der()]));
    let context = client
        .context(&ContextOptions::trusting(TrustAnchors::Der(vec![
            caller_pki.root_der(),
        ])))
        .expect("no trap")
        .expect("DER roots are accepted");
    let err = client
        .send(context, &request_to(&server, "GET", "good.test", "/"))
        .expect("no trap")
        .expect_err("the host's root must not be merged in");
    assert_eq!(
        err,
        ErrorCode::TlsCertificateError(CertificateError::UnknownIssuer)
    );
}

#[test]
fn caller_garbage_roots_are_invalid_trust_anchors() {
    let mut client = client(HostTrust::Anchors(vec![]));
    for anchors in [
        TrustAnchors::Pem(b"-----BEGIN CERTIFICATE-----\nnot base64\n".to_vec()),
        TrustAnchors::Pem(b"no PEM at all".to_vec()),
        TrustAnchors::Der(vec![vec![0x30, 0x03, 0x01, 0x01, 0xff]]),
        TrustAnchors::Der(vec![]),
    ] {
        let err = client
            .context(&ContextOptions::trusting(anchors))
            .expect("no trap")
            .expect_err("garbage is refused");
        assert!(matches!(err, ErrorCode::InvalidTrustAnchors(_)), "{err:?}");
    }
}
