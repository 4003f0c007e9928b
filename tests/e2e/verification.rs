//! The verification matrix: each case served by a real rustls server on loopback, fetched by the
//! component in wasmtime, once through the default (verified) context, expecting the exact
//! error case, and once through the unverified context, expecting success with
//! `verified: false`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use verified_https_host::{CertificateError, ErrorCode, HostTrust, TlsInfo};
use verified_https_testkit::pki::{self, Leaf, LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::support::{client, client_at, fetch, request_to};

/// One row of the matrix.
struct Case {
    leaf: Leaf,
    versions: Versions,
    /// The host name (or IP literal) in the URL.
    host: &'static str,
    /// A fixed wall clock for the component, if any.
    clock: Option<SystemTime>,
}

impl Case {
    fn new(leaf: Leaf, host: &'static str) -> Self {
        Case {
            leaf,
            versions: Versions::Both,
            host,
            clock: None,
        }
    }

    /// Fetches through the verified context, trusting `pki`'s root; returns the TLS details or
    /// the error. Then checks the unverified context succeeds and says it did not verify.
    fn run(&self, pki: &Pki) -> Result<TlsInfo, ErrorCode> {
        let server = TestServer::https(&self.leaf, self.versions, server::fixed(200, b"matrix"));
        let trust = HostTrust::Anchors(vec![pki.root_der()]);
        let mut client = match self.clock {
            Some(time) => client_at(trust, time),
            None => client(trust),
        };
        let request = request_to(&server, "GET", self.host, "/");
        let verified = fetch(&mut client, true, &request).map(|(response, body)| {
            assert_eq!(body, b"matrix");
            response.tls.expect("https has TLS details")
        });
        if let Ok(tls) = &verified {
            assert!(tls.verified, "a verified context reports verified: true");
        }

        let (response, body) =
            fetch(&mut client, false, &request).expect("the unverified context connects");
        assert_eq!((response.status, body.as_slice()), (200, &b"matrix"[..]));
        let tls = response.tls.expect("https has TLS details");
        assert!(
            !tls.verified,
            "the unverified context must report verified: false"
        );
        verified
    }
}

fn expect_certificate_error(result: Result<TlsInfo, ErrorCode>) -> CertificateError {
    match result {
        Err(ErrorCode::TlsCertificateError(err)) => err,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

fn unix(year: i32, month: u8, day: u8) -> SystemTime {
    let date = rcgen::date_time_ymd(year, month, day);
    UNIX_EPOCH + Duration::from_secs(date.unix_timestamp() as u64)
}

#[test]
fn valid_chain_through_an_intermediate_is_verified() {
    let pki = Pki::new("valid");
    let tls = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test")
        .run(&pki)
        .expect("a valid chain is accepted");
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(tls.peer_certificates.len(), 2, "leaf and intermediate");
}

#[test]
fn expired_certificate_is_refused_with_its_not_after() {
    let pki = Pki::new("expired");
    let spec = LeafSpec::new(&["good.test"]).valid(
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
    );
    let err = expect_certificate_error(Case::new(pki.leaf(&spec), "good.test").run(&pki));
    let CertificateError::Expired(payload) = err else {
        panic!("expected expired, got {err:?}");
    };
    assert_eq!(
        payload.limit,
        rcgen::date_time_ymd(2021, 1, 1).unix_timestamp() as u64
    );
}

#[test]
fn certificate_not_yet_valid_is_refused_with_its_not_before() {
    let pki = Pki::new("future");
    let spec = LeafSpec::new(&["good.test"]).valid(
        rcgen::date_time_ymd(2090, 1, 1),
        rcgen::date_time_ymd(2100, 1, 1),
    );
    let err = expect_certificate_error(Case::new(pki.leaf(&spec), "good.test").run(&pki));
    let CertificateError::NotYetValid(payload) = err else {
        panic!("expected not-yet-valid, got {err:?}");
    };
    assert_eq!(
        payload.limit,
        rcgen::date_time_ymd(2090, 1, 1).unix_timestamp() as u64
    );
}

#[test]
fn injected_clock_after_not_after_makes_a_valid_certificate_expired() {
    let pki = Pki::new("clock-late");
    let mut case = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test");
    case.clock = Some(unix(2101, 6, 1));
    let err = expect_certificate_error(case.run(&pki));
    let CertificateError::Expired(payload) = err else {
        panic!("expected expired, got {err:?}");
    };
    assert_eq!(
        payload.time_used,
        rcgen::date_time_ymd(2101, 6, 1).unix_timestamp() as u64
    );
    assert_eq!(
        payload.limit,
        rcgen::date_time_ymd(2100, 1, 1).unix_timestamp() as u64
    );
}

#[test]
fn injected_clock_before_not_before_makes_a_valid_certificate_not_yet_valid() {
    let pki = Pki::new("clock-early");
    let mut case = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test");
    case.clock = Some(unix(2023, 6, 1));
    let err = expect_certificate_error(case.run(&pki));
    let CertificateError::NotYetValid(payload) = err else {
        panic!("expected not-yet-valid, got {err:?}");
    };
    assert_eq!(
        payload.time_used,
        rcgen::date_time_ymd(2023, 6, 1).unix_timestamp() as u64
    );
}

#[test]
fn injected_clock_inside_validity_is_accepted() {
    let pki = Pki::new("clock-inside");
    let mut case = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test");
    case.clock = Some(unix(2050, 1, 1));
    case.run(&pki).expect("valid at the injected time");
}

#[test]
fn wrong_host_name_is_refused_naming_expected_and_presented() {
    let pki = Pki::new("wrong-host");
    let err = expect_certificate_error(
        Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "wrong.test").run(&pki),
    );
    let CertificateError::NameMismatch(names) = err else {
        panic!("expected name mismatch, got {err:?}");
    };
    assert_eq!(names.expected, "wrong.test");
    assert_eq!(names.presented, vec!["good.test".to_owned()]);
}

#[test]
fn self_signed_certificate_is_refused_as_self_signed() {
    let pki = Pki::new("self-signed");
    let leaf = pki::self_signed(&LeafSpec::new(&["good.test"]));
    let err = expect_certificate_error(Case::new(leaf, "good.test").run(&pki));
    assert_eq!(err, CertificateError::SelfSigned);
}

#[test]
fn chain_to_an_unknown_root_is_refused_as_unknown_issuer() {
    let trusted = Pki::new("trusted");
    let other = Pki::new("other");
    let leaf = other.leaf(&LeafSpec::new(&["good.test"]));
    let err = expect_certificate_error(Case::new(leaf, "good.test").run(&trusted));
    assert_eq!(err, CertificateError::UnknownIssuer);
}

#[test]
fn missing_intermediate_is_refused_as_unknown_issuer() {
    let pki = Pki::new("no-intermediate");
    let leaf = pki.leaf_without_intermediate(&LeafSpec::new(&["good.test"]));
    let err = expect_certificate_error(Case::new(leaf, "good.test").run(&pki));
    assert_eq!(err, CertificateError::UnknownIssuer);
}

#[test]
fn ip_address_san_is_verified_for_an_ip_url() {
    let pki = Pki::new("ip-san");
    Case::new(pki.leaf(&LeafSpec::new(&["127.0.0.1"])), "127.0.0.1")
        .run(&pki)
        .expect("an IP SAN matches an IP URL");
}

#[test]
fn dns_only_certificate_is_refused_for_an_ip_url() {
    let pki = Pki::new("ip-mismatch");
    let err = expect_certificate_error(
        Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "127.0.0.1").run(&pki),
    );
    let CertificateError::NameMismatch(names) = err else {
        panic!("expected name mismatch, got {err:?}");
    };
    assert_eq!(names.expected, "127.0.0.1");
}

#[test]
fn wildcard_matches_exactly_one_label() {
    let pki = Pki::new("wildcard");
    let leaf = pki.leaf(&LeafSpec::new(&["*.wild.test"]));
    Case::new(leaf.clone(), "a.wild.test")
        .run(&pki)
        .expect("*.wild.test covers a.wild.test");
    let err = expect_certificate_error(Case::new(leaf, "a.b.wild.test").run(&pki));
    assert!(matches!(err, CertificateError::NameMismatch(_)), "{err:?}");
}

#[test]
fn leaf_without_server_auth_purpose_is_refused_as_invalid_purpose() {
    let pki = Pki::new("client-auth");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]).client_auth_only());
    let err = expect_certificate_error(Case::new(leaf, "good.test").run(&pki));
    assert_eq!(err, CertificateError::InvalidPurpose);
}

#[test]
fn unverified_context_still_checks_the_handshake_signature() {
    let pki = Pki::new("impostor");
    let genuine = pki.leaf(&LeafSpec::new(&["good.test"]));
    let impostor = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::start(
        Some(server::impostor_config(&genuine, &impostor)),
        server::fixed(200, b"should never be read"),
    );
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let request = request_to(&server, "GET", "good.test", "/");
    for verified in [true, false] {
        let err = fetch(&mut client, verified, &request).unwrap_err();
        assert_eq!(
            err,
            ErrorCode::TlsCertificateError(CertificateError::BadSignature),
            "verified context: {verified}"
        );
    }
    assert!(
        server.requests().is_empty(),
        "no request may be sent to an impostor"
    );
}

#[test]
fn tls12_only_server_is_verified_with_chacha20() {
    let pki = Pki::new("tls12");
    let mut case = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test");
    case.versions = Versions::Tls12Only;
    let tls = case.run(&pki).expect("TLS 1.2 is supported");
    assert_eq!(tls.version, "TLSv1.2");
    assert_eq!(
        tls.cipher_suite,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
    );
}

#[test]
fn tls13_only_server_is_verified_with_chacha20() {
    let pki = Pki::new("tls13");
    let mut case = Case::new(pki.leaf(&LeafSpec::new(&["good.test"])), "good.test");
    case.versions = Versions::Tls13Only;
    let tls = case.run(&pki).expect("TLS 1.3 is supported");
    assert_eq!(tls.version, "TLSv1.3");
    assert_eq!(tls.cipher_suite, "TLS13_CHACHA20_POLY1305_SHA256");
}

/// A context remembers the chains it verified (to skip re-verifying them on new connections),
/// but only inside their validity and only for the name they were verified for.
#[test]
fn a_remembered_chain_is_verified_again_outside_its_validity_and_for_another_name() {
    let pki = Pki::new("remembered");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"again"));
    let mut client = client_at(HostTrust::Anchors(vec![pki.root_der()]), unix(2050, 1, 1));
    let context = client.default_context().expect("no trap").expect("context");
    let fetch = |client: &mut verified_https_host::ClientInstance, host: &str| {
        let response = client
            .send(context, &request_to(&server, "GET", host, "/"))
            .expect("no trap")?;
        let body = client.read_to_end(&response).expect("no trap");
        client.drop_response(response).expect("no trap");
        body
    };
    // Verified, then (a new connection: the server closes each one) remembered.
    assert_eq!(fetch(&mut client, "good.test").expect("verified"), b"again");
    assert_eq!(
        fetch(&mut client, "good.test").expect("remembered"),
        b"again"
    );
    let err = expect_certificate_error(fetch(&mut client, "other.test").map(|_| unreachable!()));
    assert!(
        matches!(err, CertificateError::NameMismatch(_)),
        "another name is verified on its own: {err:?}"
    );
    client.set_wall_clock(Some(unix(2101, 6, 1)));
    let err = expect_certificate_error(fetch(&mut client, "good.test").map(|_| unreachable!()));
    assert!(
        matches!(err, CertificateError::Expired(_)),
        "outside the validity the chain is verified again: {err:?}"
    );
    assert!(
        server.connections() >= 4,
        "each fetch had its own handshake"
    );
}
