//! The lent provider over a lender that computes with ring natively, against a rustls server
//! on loopback: every suite, every group, and the lender's answers decide (a lender that
//! refuses every signature fails the handshake).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ring::{aead, agreement, rand, signature};
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{TestServer, Versions, fixed};

use super::*;

/// ring natively, counting what it is asked; `refuse_signatures` answers every verification
/// with "invalid".
#[derive(Debug, Default)]
struct RingLender {
    seals: AtomicUsize,
    opens: AtomicUsize,
    shares: AtomicUsize,
    verifications: AtomicUsize,
    refuse_signatures: bool,
}

struct RingKey {
    key: aead::LessSafeKey,
    lender: &'static RingLender,
}

impl LentAeadKey for RingKey {
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.lender.seals.fetch_add(1, Ordering::Relaxed);
        let mut out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                &mut out,
            )
            .unwrap();
        out
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.lender.opens.fetch_add(1, Ordering::Relaxed);
        let mut out = ciphertext.to_vec();
        let len = self
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(*nonce),
                aead::Aad::from(aad),
                &mut out,
            )
            .ok()?
            .len();
        out.truncate(len);
        Some(out)
    }
}

struct RingShare {
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

impl LentKeyShare for RingShare {
    fn public_key(&self) -> Vec<u8> {
        self.public.clone()
    }

    fn agree(self: Box<Self>, peer: &[u8]) -> Option<Vec<u8>> {
        let peer = agreement::UnparsedPublicKey::new(self.private.algorithm(), peer);
        agreement::agree_ephemeral(self.private, &peer, |secret| secret.to_vec()).ok()
    }
}

impl CryptoLender for &'static RingLender {
    fn aead_key(
        &self,
        algorithm: AeadAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn LentAeadKey>, String> {
        let algorithm = match algorithm {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        };
        let key = aead::UnboundKey::new(algorithm, key).map_err(|_| "a key of the wrong length")?;
        Ok(Box::new(RingKey {
            key: aead::LessSafeKey::new(key),
            lender: self,
        }))
    }

    fn start_key_exchange(&self, group: KeyExchangeGroup) -> Result<Box<dyn LentKeyShare>, String> {
        self.shares.fetch_add(1, Ordering::Relaxed);
        let algorithm = match group {
            KeyExchangeGroup::X25519 => &agreement::X25519,
            KeyExchangeGroup::Secp256r1 => &agreement::ECDH_P256,
            KeyExchangeGroup::Secp384r1 => &agreement::ECDH_P384,
        };
        let private =
            agreement::EphemeralPrivateKey::generate(algorithm, &rand::SystemRandom::new())
                .map_err(|_| "no randomness")?;
        let public = private.compute_public_key().unwrap().as_ref().to_vec();
        Ok(Box::new(RingShare { private, public }))
    }

    fn verify_signature(
        &self,
        algorithm: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        use SignatureAlgorithm as S;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let algorithm: &dyn signature::VerificationAlgorithm = match algorithm {
            S::EcdsaP256Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
            S::EcdsaP256Sha384 => &signature::ECDSA_P256_SHA384_ASN1,
            S::EcdsaP384Sha256 => &signature::ECDSA_P384_SHA256_ASN1,
            S::EcdsaP384Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
            S::Ed25519 => &signature::ED25519,
            S::RsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
            S::RsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
            S::RsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
            S::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            S::RsaPkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            S::RsaPkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        };
        !self.refuse_signatures
            && signature::UnparsedPublicKey::new(algorithm, public_key)
                .verify(message, signature)
                .is_ok()
    }
}

/// A lender of its own for one test (its counters are that test's).
fn lender(refuse_signatures: bool) -> &'static &'static RingLender {
    let lender: &'static RingLender = Box::leak(Box::new(RingLender {
        refuse_signatures,
        ..RingLender::default()
    }));
    Box::leak(Box::new(lender))
}

/// Fetches `/` from a rustls server with the client limited to `suite` (by name) and `group`:
/// the body, or the TLS error.
fn fetch(
    lender: &'static &'static RingLender,
    suite: &str,
    group: rustls::NamedGroup,
) -> Result<Vec<u8>, rustls::Error> {
    let pki = Pki::new("lent");
    let leaf = pki.leaf(&LeafSpec::new(&["lent.test"]));
    let server = TestServer::https(&leaf, Versions::Both, fixed(200, b"lent crypto"));
    let mut provider = lent_provider(lender);
    provider
        .cipher_suites
        .retain(|s| format!("{:?}", s.suite()) == suite);
    provider.kx_groups.retain(|g| g.name() == group);
    assert_eq!(provider.cipher_suites.len(), 1, "{suite}");
    let mut roots = RootCertStore::empty();
    roots.add(pki.root_der().into()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connection =
        ClientConnection::new(Arc::new(config), "lent.test".try_into().unwrap()).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    let mut tls = StreamOwned::new(connection, socket);
    let io = |err: std::io::Error| match err.into_inner().map(|e| e.downcast::<rustls::Error>()) {
        Some(Ok(tls)) => *tls,
        other => panic!("not a TLS error: {other:?}"),
    };
    tls.write_all(b"GET / HTTP/1.1\r\nHost: lent.test\r\nConnection: close\r\n\r\n")
        .map_err(io)?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response).map_err(io)?;
    Ok(response)
}

#[test]
fn every_suite_and_group_runs_on_the_lenders_math() {
    use rustls::NamedGroup as G;
    let suites = [
        "TLS13_CHACHA20_POLY1305_SHA256",
        "TLS13_AES_256_GCM_SHA384",
        "TLS13_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ];
    for suite in suites {
        for group in [G::X25519, G::secp256r1, G::secp384r1] {
            let lender = lender(false);
            let response = fetch(lender, suite, group).unwrap();
            assert!(response.starts_with(b"HTTP/1.1 200"), "{suite} {group:?}");
            assert!(response.ends_with(b"lent crypto"), "{suite} {group:?}");
            let counts = [
                &lender.seals,
                &lender.opens,
                &lender.shares,
                &lender.verifications,
            ]
            .map(|count| count.load(Ordering::Relaxed));
            assert!(
                counts.iter().all(|&n| n > 0),
                "{suite} {group:?}: {counts:?}"
            );
        }
    }
}

#[test]
fn a_signature_the_lender_refuses_fails_the_handshake() {
    let err = fetch(
        lender(true),
        "TLS13_AES_128_GCM_SHA256",
        rustls::NamedGroup::X25519,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
        ),
        "{err:?}"
    );
}

#[test]
fn the_lent_provider_offers_what_rings_does_in_the_same_order() {
    let lent = lent_provider(lender(false));
    let ring = crate::tls::provider::ring_provider();
    let suites = |p: &CryptoProvider| -> Vec<String> {
        p.cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect()
    };
    assert_eq!(suites(&lent), suites(&ring));
    let groups = |p: &CryptoProvider| -> Vec<String> {
        p.kx_groups
            .iter()
            .map(|g| format!("{:?}", g.name()))
            .collect()
    };
    assert_eq!(groups(&lent), groups(&ring));
    let algorithms = lent.signature_verification_algorithms;
    assert_eq!(
        algorithms.all.len(),
        ring.signature_verification_algorithms.all.len()
    );
    for (lent, ring) in algorithms
        .all
        .iter()
        .zip(ring.signature_verification_algorithms.all)
    {
        assert_eq!(lent.public_key_alg_id(), ring.public_key_alg_id());
        assert_eq!(lent.signature_alg_id(), ring.signature_alg_id());
    }
    let schemes = |p: &CryptoProvider| -> Vec<(String, usize)> {
        p.signature_verification_algorithms
            .mapping
            .iter()
            .map(|(scheme, algs)| (format!("{scheme:?}"), algs.len()))
            .collect()
    };
    assert_eq!(schemes(&lent), schemes(&ring));
}
