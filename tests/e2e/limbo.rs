//! x509-limbo through the component: the whole suite through `verify-chain`, and the testcases
//! that carry the leaf's private key served by a loopback TLS server and fetched, where the
//! handshake's verdict must agree with `verify-chain`'s.

use std::path::PathBuf;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use verified_https_conformance::{self as conformance, Outcome, Prepared, Testcase, Verdict};
use verified_https_host::{ClientInstance, HostTrust};
use verified_https_testkit::pki::Leaf;
use verified_https_testkit::server::{self, TestServer};

use crate::support::{client, request_to};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
}

fn cases() -> Vec<Testcase> {
    conformance::load(&testdata().join("limbo.json.gz"))
        .expect("limbo.json.gz from ../shared/testdata")
}

#[test]
fn limbo_suite_matches_with_no_unexplained_divergence() {
    let known = conformance::load_divergences(&[
        &testdata().join("limbo-divergences-rustls-webpki-0.103.13.json"),
        &conformance::our_divergences_path(),
    ])
    .expect("divergence lists");
    let mut client = client(HostTrust::Anchors(Vec::new()));
    let report = conformance::run(&mut client, &cases(), &known).expect("no trap");
    let unexplained: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.outcome == Outcome::Unexplained)
        .map(|r| format!("{} expected {} got {:?}", r.id, r.expected, r.actual))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{}\n{unexplained:#?}",
        report.summary()
    );
    // limbo's own rustls harness matches 9,703 of 9,780.
    assert!(
        report.count(Outcome::Match) >= 9_703,
        "{}",
        report.summary()
    );
}

/// The handshake's verdict for a key-bearing testcase, or why it cannot be served.
fn handshake_verdict(
    client: &mut ClientInstance,
    case: &Testcase,
    prepared: &Prepared,
) -> Result<Verdict, String> {
    let key_pem = case.peer_certificate_key.as_deref().ok_or("no key")?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| format!("key: {e}"))?;
    let leaf = Leaf {
        chain: prepared
            .chain
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect(),
        key,
    };
    let config = server::try_server_config(&leaf, server::Versions::Both)?;
    let server = TestServer::start(Some(config), server::fixed(200, b"limbo"));
    let request = request_to(&server, "GET", &prepared.name, "/");
    let context = match conformance::context_for(client, prepared).expect("no trap") {
        Ok(context) => context,
        Err(verdict) => return Ok(verdict),
    };
    let verdict = match client.send(context, &request).expect("no trap") {
        Ok(response) => {
            assert_eq!(response.status, 200);
            client.drop_response(response).expect("no trap");
            Verdict::Success
        }
        Err(err) => Verdict::Failure(client.describe_error(&err).expect("no trap")),
    };
    client.drop_context(context).expect("no trap");
    Ok(verdict)
}

#[test]
fn limbo_key_bearing_cases_agree_end_to_end_over_tls() {
    let mut client = client(HostTrust::Anchors(Vec::new()));
    let (mut agreed, mut not_served) = (0, Vec::new());
    for case in cases().iter().filter(|c| c.peer_certificate_key.is_some()) {
        if conformance::skip_reason(case).is_some() {
            continue;
        }
        let prepared = conformance::prepare(case).expect("a usable testcase");
        if url::Url::parse(&crate::support::url_for(&prepared.name, 443, "/")).is_err() {
            not_served.push(format!(
                "{}: name {:?} is not a URL host",
                case.id, prepared.name
            ));
            continue;
        }
        let by_chain = conformance::verify(&mut client, &prepared).expect("no trap");
        match handshake_verdict(&mut client, case, &prepared) {
            Ok(by_handshake) => {
                assert_eq!(
                    by_handshake.word(),
                    by_chain.word(),
                    "{}: handshake {by_handshake:?} but verify-chain {by_chain:?}",
                    case.id
                );
                agreed += 1;
            }
            Err(why) => not_served.push(format!("{}: {why}", case.id)),
        }
    }
    eprintln!("{agreed} key-bearing testcases agree end to end; not served: {not_served:#?}");
    // Only keys that no TLS stack should sign with (P-192, DSA, weak RSA) cannot be served.
    assert!(
        not_served
            .iter()
            .all(|why| why.starts_with("webpki::forbidden-")),
        "{not_served:#?}"
    );
    assert!(
        agreed >= 169,
        "only {agreed} agreed; not served: {not_served:#?}"
    );
}

#[test]
fn verify_chain_of_the_unverified_context_is_refused() {
    let mut client = client(HostTrust::Anchors(Vec::new()));
    let context = client.unverified_context().expect("no trap");
    let err = client
        .verify_chain(context, &[vec![0x30]], "good.test")
        .expect("no trap")
        .expect_err("the unverified context vouches for nothing");
    assert!(
        matches!(err, verified_https_host::ErrorCode::InvalidRequest(_)),
        "{err:?}"
    );
}
