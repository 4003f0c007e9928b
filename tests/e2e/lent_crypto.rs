//! Crypto the host lends: the host-crypto build (`target/verified-https-host-crypto.wasm`)
//! beside the self-contained one, against rustls servers that choose each suite, version and
//! group themselves. Both fetch the same bodies; only the host-crypto build makes the host
//! compute (counted by the host), and verification fails exactly as it does inside the
//! component, because the decisions never left it.

use rustls::SupportedCipherSuite;
use rustls::crypto::SupportedKxGroup;
use rustls::crypto::ring::{cipher_suite as suite, kx_group};
use verified_https_host::runtime::{Runtime, default_component_path};
use verified_https_host::{
    ClientInstance, ContextOptions, CryptoCalls, ErrorCode, HostConfig, HostTrust, TlsVersion,
    TrustAnchors,
};
use verified_https_testkit::pki::{self, LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::cli::{ca_dir, https_get, run, target};
use crate::support::{fetch_through, lending_runtime, request_to, runtime};

/// The two artifacts, by name.
fn artifacts() -> [(&'static str, &'static Runtime); 2] {
    [
        ("self-contained", runtime()),
        ("host-crypto", lending_runtime()),
    ]
}

/// GET / from a server for good.test that picks `suites` and `groups` itself; the negotiated
/// suite and the host's crypto counts, or the error.
fn fetch_from(
    runtime: &Runtime,
    pki: &Pki,
    config: std::sync::Arc<rustls::ServerConfig>,
) -> (Result<String, ErrorCode>, CryptoCalls, String) {
    fetch_with(runtime, pki, config, None)
}

/// The same through a context whose highest TLS version is `max_version`.
fn fetch_with(
    runtime: &Runtime,
    pki: &Pki,
    config: std::sync::Arc<rustls::ServerConfig>,
    max_version: Option<TlsVersion>,
) -> (Result<String, ErrorCode>, CryptoCalls, String) {
    let server = TestServer::start(Some(config), server::fixed(200, b"lent or not"));
    let mut client = ClientInstance::new(
        runtime,
        HostConfig::loopback(HostTrust::Anchors(vec![pki.root_der()])),
    )
    .expect("instantiating the component");
    let request = request_to(&server, "GET", "good.test", "/");
    let options = ContextOptions {
        max_version,
        ..ContextOptions::trusting(TrustAnchors::Host)
    };
    let context = client
        .context(&options)
        .expect("no trap")
        .expect("a context");
    let result = fetch_through(&mut client, context, &request).map(|(response, body)| {
        assert_eq!(
            (response.status, body.as_slice()),
            (200, &b"lent or not"[..])
        );
        let tls = response.tls.expect("https has TLS details");
        assert!(tls.verified);
        format!("{} {}", tls.version, tls.cipher_suite)
    });
    let message = match &result {
        Err(err) => client.describe_error(err).expect("no trap"),
        Ok(_) => String::new(),
    };
    (result, client.crypto_calls(), message)
}

/// Checks who computed: the host for the host-crypto build (every kind of call), nobody
/// outside the component for the self-contained one.
fn assert_computed_by(artifact: &str, calls: CryptoCalls, what: &str) {
    if artifact == "host-crypto" {
        assert!(
            calls.seals > 0 && calls.opens > 0 && calls.key_shares > 0 && calls.verifications > 0,
            "{what}: the host computed too little: {calls:?}"
        );
    } else {
        assert_eq!(
            calls,
            CryptoCalls::default(),
            "{what}: the host computed: {calls:?}"
        );
    }
}

#[test]
fn both_builds_fetch_from_servers_that_choose_each_suite_themselves() {
    let cases: [(SupportedCipherSuite, Versions, &str); 6] = [
        (
            suite::TLS13_AES_128_GCM_SHA256,
            Versions::Tls13Only,
            "TLS13_AES_128_GCM_SHA256",
        ),
        (
            suite::TLS13_AES_256_GCM_SHA384,
            Versions::Tls13Only,
            "TLS13_AES_256_GCM_SHA384",
        ),
        (
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            Versions::Tls13Only,
            "TLS13_CHACHA20_POLY1305_SHA256",
        ),
        (
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            Versions::Tls12Only,
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            Versions::Tls12Only,
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        ),
        (
            suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            Versions::Tls12Only,
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
    ];
    let pki = Pki::new("lent-suites");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    for (artifact, runtime) in artifacts() {
        for (suite, versions, name) in &cases {
            let config = server::choosing_config(&leaf, *versions, &[*suite], &[]);
            let (result, calls, message) = fetch_from(runtime, &pki, config);
            let negotiated =
                result.unwrap_or_else(|err| panic!("{artifact} {name}: {message} ({err:?})"));
            assert!(
                negotiated.ends_with(name),
                "{artifact}: {negotiated} is not {name}"
            );
            assert_computed_by(artifact, calls, &format!("{artifact} {name}"));
        }
    }
}

#[test]
fn both_builds_agree_on_each_key_exchange_group_the_server_insists_on() {
    // The client sends an X25519 share first; a server that wants P-256 or P-384 asks again
    // (HelloRetryRequest), so the lent share of each group is made and used.
    let groups: [(&'static dyn SupportedKxGroup, &str); 3] = [
        (kx_group::X25519, "X25519"),
        (kx_group::SECP256R1, "secp256r1"),
        (kx_group::SECP384R1, "secp384r1"),
    ];
    let pki = Pki::new("lent-groups");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    for (artifact, runtime) in artifacts() {
        for (group, name) in groups {
            for versions in [Versions::Tls13Only, Versions::Tls12Only] {
                let suites = [
                    suite::TLS13_AES_256_GCM_SHA384,
                    suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                ];
                let config = server::choosing_config(&leaf, versions, &suites, &[group]);
                let (result, calls, message) = fetch_from(runtime, &pki, config);
                result.unwrap_or_else(|err| panic!("{artifact} {name}: {message} ({err:?})"));
                assert_computed_by(artifact, calls, &format!("{artifact} {name}"));
            }
        }
    }
}

#[test]
fn verification_fails_the_same_way_through_the_lent_crypto() {
    let pki = Pki::new("lent-refusals");
    let other = Pki::new("lent-refusals-other");
    let good = pki.leaf(&LeafSpec::new(&["good.test"]));
    let expired = pki.leaf(&LeafSpec::new(&["good.test"]).valid(
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
    ));
    let impostor = pki.leaf(&LeafSpec::new(&["impostor.test"]));
    let cases: Vec<(&str, std::sync::Arc<rustls::ServerConfig>)> = vec![
        ("expired", server::server_config(&expired, Versions::Both)),
        (
            "wrong name",
            server::server_config(&pki.leaf(&LeafSpec::new(&["other.test"])), Versions::Both),
        ),
        (
            "self-signed",
            server::server_config(
                &pki::self_signed(&LeafSpec::new(&["good.test"])),
                Versions::Both,
            ),
        ),
        (
            "unknown issuer",
            server::server_config(&other.leaf(&LeafSpec::new(&["good.test"])), Versions::Both),
        ),
        (
            "missing intermediate",
            server::server_config(
                &pki.leaf_without_intermediate(&LeafSpec::new(&["good.test"])),
                Versions::Both,
            ),
        ),
        (
            "bad handshake signature",
            server::impostor_config(&good, &impostor),
        ),
    ];
    // Each case in TLS 1.3, then with the client limited to TLS 1.2 (whose handshake signature
    // is the ServerKeyExchange's).
    for (case, config) in cases {
        for max_version in [None, Some(TlsVersion::Tls12)] {
            let outcomes: Vec<_> = artifacts()
                .into_iter()
                .map(|(artifact, runtime)| {
                    let (result, calls, message) =
                        fetch_with(runtime, &pki, config.clone(), max_version);
                    let err = result.expect_err(case);
                    if artifact == "host-crypto" {
                        // In TLS 1.3 the key exchange comes before the certificate; in TLS 1.2
                        // after it, so a refused chain is refused before any lent math. webpki
                        // checks dates and names before signatures; a bad handshake signature
                        // is the host's to find.
                        if max_version.is_none() {
                            assert!(calls.key_shares > 0, "{case}: no lent key share");
                        }
                        if case.starts_with("bad handshake signature") {
                            assert!(calls.verifications > 0, "{case}: the host verified nothing");
                        }
                    }
                    (err, message)
                })
                .collect();
            assert_eq!(
                outcomes[0], outcomes[1],
                "{case} {max_version:?}: the builds disagree"
            );
        }
    }
}

#[test]
fn https_get_runs_on_the_hosts_crypto_by_default_and_says_so() {
    let pki = Pki::new("cli-lent");
    let dir = ca_dir(&pki, "lent");
    let server = TestServer::start(
        Some(server::choosing_config(
            &pki.leaf(&LeafSpec::new(&["good.test"])),
            Versions::Tls13Only,
            &[suite::TLS13_AES_256_GCM_SHA384],
            &[],
        )),
        server::fixed(200, b"lent by default"),
    );
    let cacert = dir.join("ca.pem").display().to_string();
    let (code, out, err) = run(https_get()
        .args(["-v", "--cacert", &cacert])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "lent by default"), "{err}");
    assert!(err.contains("verified-https-host-crypto.wasm"), "{err}");
    assert!(err.contains("TLS13_AES_256_GCM_SHA384"), "{err}");
    assert!(
        err.contains("* crypto: lent by the host (ring, native): "),
        "{err}"
    );
    assert!(!err.contains(" 0 records sealed"), "{err}");

    let self_contained = default_component_path().display().to_string();
    let (code, out, err) = run(https_get()
        .args(["-v", "--cacert", &cacert, "--component", &self_contained])
        .args(target(&server, "good.test")));
    assert_eq!((code, out.as_str()), (0, "lent by default"), "{err}");
    assert!(err.contains("* crypto: inside the component"), "{err}");
}
