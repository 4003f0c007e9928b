//! The whole TLS contract beyond verifying the server: the client's own certificate (the
//! caller's key, or a key the host keeps), version bounds, and public-key pinning, against
//! rustls servers and nginx on loopback.

use rustls_pki_types::pem::PemObject;
use verified_https::tls::pins::public_key_pin;
use verified_https_host::{
    CertificateError, ClientIdentity, ClientInstance, ContextOptions, DerIdentity, ErrorCode,
    HostTrust, TlsVersion, TrustAnchors,
};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::{Leaf, LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::support::{client, client_pki, fetch_through, mtls_server, request_to, request_to_port};

/// Context options trusting `pki`'s root, with everything else at its default.
fn options(pki: &Pki) -> ContextOptions {
    ContextOptions::trusting(TrustAnchors::Der(vec![pki.root_der()]))
}

/// The caller's identity as DER.
fn der_identity(leaf: &Leaf) -> ClientIdentity {
    ClientIdentity::Der(DerIdentity {
        chain: leaf.chain.iter().map(|c| c.to_vec()).collect(),
        key: leaf.key.secret_der().to_vec(),
    })
}

fn context(
    client: &mut ClientInstance,
    options: &ContextOptions,
) -> verified_https_host::ContextHandle {
    client
        .context(options)
        .expect("no trap")
        .expect("a context")
}

#[test]
fn a_server_that_requires_a_client_certificate_accepts_the_caller_s_key() {
    let pki = Pki::new("mtls");
    let (clients, leaf) = client_pki("clients");
    let server = mtls_server(&pki, &clients, Versions::Both, b"hello, client");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    for identity in [
        der_identity(&leaf),
        ClientIdentity::Pem(format!("{}{}", leaf.chain_pem(), leaf.key_pem()).into_bytes()),
    ] {
        let ctx = context(
            &mut client,
            &ContextOptions {
                client_identity: Some(identity),
                ..options(&pki)
            },
        );
        let (response, body) = fetch_through(
            &mut client,
            ctx,
            &request_to(&server, "GET", "good.test", "/"),
        )
        .expect("accepted");
        assert_eq!(
            (response.status, body.as_slice()),
            (200, &b"hello, client"[..])
        );
        assert!(response.tls.expect("TLS").client_certificate_sent);
    }
    let seen = server.requests();
    assert!(
        seen.iter()
            .all(|r| r.client_certificate.as_deref() == Some(&leaf.chain[0][..]))
    );
}

#[test]
fn without_a_client_certificate_the_server_s_refusal_reaches_the_caller_as_its_alert() {
    let pki = Pki::new("mtls-none");
    let (clients, _) = client_pki("clients");
    let server = mtls_server(&pki, &clients, Versions::Tls13Only, b"hello, client");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let ctx = context(&mut client, &options(&pki));
    let err = fetch_through(
        &mut client,
        ctx,
        &request_to(&server, "GET", "good.test", "/"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ErrorCode::TlsAlertReceived("certificate required".into())
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_fails_at_context_creation() {
    let pki = Pki::new("mtls-mismatch");
    let (_, leaf) = client_pki("clients");
    let (_, other) = client_pki("clients");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let err = client
        .context(&ContextOptions {
            client_identity: Some(ClientIdentity::Der(DerIdentity {
                chain: leaf.chain.iter().map(|c| c.to_vec()).collect(),
                key: other.key.secret_der().to_vec(),
            })),
            ..options(&pki)
        })
        .expect("no trap")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        err,
        ErrorCode::InvalidClientIdentity(
            "the private key does not belong to the certificate".into()
        )
    );
}

#[test]
fn a_host_key_needs_the_host_keys_build() {
    let pki = Pki::new("mtls-host-key");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let err = client
        .context(&ContextOptions {
            client_identity: Some(ClientIdentity::Host),
            ..options(&pki)
        })
        .expect("no trap")
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, ErrorCode::InvalidClientIdentity(why) if why.contains("host-keys")));
}

#[test]
fn a_pinned_key_may_be_one_of_several_and_a_mismatch_is_its_own_error() {
    let pki = Pki::new("pins");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let stranger = Pki::new("pins-stranger").leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"pinned"));
    let pin = public_key_pin(&leaf.chain[0]).expect("a pin");
    let other_pin = public_key_pin(&stranger.chain[0]).expect("a pin");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let request = request_to(&server, "GET", "good.test", "/");
    for pins in [vec![pin.clone()], vec![other_pin.clone(), pin.clone()]] {
        let ctx = context(
            &mut client,
            &ContextOptions {
                pinned_public_keys: pins,
                ..options(&pki)
            },
        );
        let (_, body) = fetch_through(&mut client, ctx, &request).expect("pinned");
        assert_eq!(body, b"pinned");
    }
    let ctx = context(
        &mut client,
        &ContextOptions {
            pinned_public_keys: vec![other_pin.clone()],
            ..options(&pki)
        },
    );
    let err = fetch_through(&mut client, ctx, &request).unwrap_err();
    let ErrorCode::PinMismatch(mismatch) = err else {
        panic!("expected a pin mismatch, got {err:?}");
    };
    assert_eq!(
        (mismatch.presented, mismatch.pinned),
        (pin, vec![other_pin])
    );
}

#[test]
fn a_pinned_key_on_a_chain_that_does_not_verify_is_still_a_certificate_error() {
    let pki = Pki::new("pins-unverified");
    let leaf = pki.leaf(&LeafSpec::new(&["good.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"never"));
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let ctx = context(
        &mut client,
        &ContextOptions {
            pinned_public_keys: vec![public_key_pin(&leaf.chain[0]).expect("a pin")],
            ..options(&Pki::new("pins-another-ca"))
        },
    );
    let err = fetch_through(
        &mut client,
        ctx,
        &request_to(&server, "GET", "good.test", "/"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ErrorCode::TlsCertificateError(CertificateError::UnknownIssuer)
    );
}

#[test]
fn version_bounds_choose_tls12_or_refuse_a_server_below_the_minimum() {
    let pki = Pki::new("versions");
    let both = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        server::fixed(200, b"v"),
    );
    let tls12_only = TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Tls12Only,
        server::fixed(200, b"v"),
    );
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let at_most_12 = context(
        &mut client,
        &ContextOptions {
            max_version: Some(TlsVersion::Tls12),
            ..options(&pki)
        },
    );
    let (response, _) = fetch_through(
        &mut client,
        at_most_12,
        &request_to(&both, "GET", "good.test", "/"),
    )
    .expect("TLS 1.2");
    assert_eq!(response.tls.expect("TLS").version, "TLSv1.2");
    let at_least_13 = context(
        &mut client,
        &ContextOptions {
            min_version: Some(TlsVersion::Tls13),
            ..options(&pki)
        },
    );
    let err = fetch_through(
        &mut client,
        at_least_13,
        &request_to(&tls12_only, "GET", "good.test", "/"),
    )
    .unwrap_err();
    assert_eq!(err, ErrorCode::TlsAlertReceived("protocol version".into()));
    let err = client
        .context(&ContextOptions {
            min_version: Some(TlsVersion::Tls13),
            max_version: Some(TlsVersion::Tls12),
            ..options(&pki)
        })
        .expect("no trap")
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, ErrorCode::InvalidRequest(_)), "{err:?}");
}

#[test]
fn nginx_requiring_client_certificates_answers_the_caller_s_key_and_refuses_none() {
    let pki = Pki::new("nginx-mtls");
    let (clients, leaf) = client_pki("clients");
    let nginx = Nginx::start(
        "mtls",
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        &NginxSpec {
            client_ca_pem: Some(clients.root_pem()),
            ..NginxSpec::default()
        },
        "hello from nginx",
    )
    .expect("nginx (make test installs Debian's nginx-light)");
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let request = request_to_port(nginx.port(), "GET", "good.test", "/");
    let with_key = context(
        &mut client,
        &ContextOptions {
            client_identity: Some(der_identity(&leaf)),
            ..options(&pki)
        },
    );
    let (response, body) = fetch_through(&mut client, with_key, &request).expect("accepted");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"hello from nginx"[..])
    );
    assert!(response.tls.expect("TLS").client_certificate_sent);

    let without = context(&mut client, &options(&pki));
    let (response, _) = fetch_through(&mut client, without, &request).expect("nginx answers");
    assert_eq!(
        response.status, 400,
        "nginx: No required SSL certificate was sent"
    );
}

/// Runs openssl (the Makefile demands it) with `args` in `dir`.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (make test demands it)");
    assert!(status.success(), "openssl {args:?}");
}

#[test]
fn an_rsa_client_key_in_pkcs1_form_is_accepted() {
    // rcgen makes no RSA keys; openssl does, and writes PKCS#1 with -traditional.
    let dir = std::env::temp_dir().join(format!("verified-https-pkcs1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key8.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=client.test",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=clientAuth",
        ],
    );
    openssl(
        &dir,
        &["rsa", "-in", "key8.pem", "-traditional", "-out", "key1.pem"],
    );
    let cert = std::fs::read_to_string(dir.join("cert.pem")).expect("cert");
    let key = std::fs::read_to_string(dir.join("key1.pem")).expect("key");
    std::fs::remove_dir_all(&dir).expect("cleaned");
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "PKCS#1");
    let cert_der =
        rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).expect("a certificate");

    let pki = Pki::new("pkcs1");
    let config = server::client_auth_config(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        std::slice::from_ref(&cert_der),
    );
    let server = TestServer::start(Some(config), server::fixed(200, b"rsa"));
    let mut client = client(HostTrust::Unavailable("not asked".into()));
    let ctx = context(
        &mut client,
        &ContextOptions {
            client_identity: Some(ClientIdentity::Pem(format!("{cert}{key}").into_bytes())),
            ..options(&pki)
        },
    );
    let (response, _) = fetch_through(
        &mut client,
        ctx,
        &request_to(&server, "GET", "good.test", "/"),
    )
    .expect("accepted");
    assert_eq!(response.status, 200);
    assert_eq!(
        server.requests()[0].client_certificate.as_deref(),
        Some(cert_der.as_ref())
    );
}
