//! TLS policy: the rustls client configuration of a verified or an unverified context.
//!
//! Both use rustls with the ring provider, TLS 1.2 and 1.3, ALPN `http/1.1`, and
//! ChaCha20-Poly1305 suites first (inside wasm, ring's ChaCha20 is about five times faster than
//! its AES-GCM, which has no hardware support there).

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};

use crate::error::{Error, Result};
use crate::trust::AnchorSource;
use crate::verified_chains::{VerifiedChains, chain_key, window};

/// The ALPN protocol the client offers.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// What a context does about TLS: its rustls configuration and, when it verifies, the verifier
/// inside that configuration (kept so that `verify_chain` runs the handshake's own code).
#[derive(Debug, Clone)]
pub struct Policy {
    /// The client configuration every connection of the context uses.
    pub config: Arc<ClientConfig>,
    verifier: Option<Arc<SelfSignedAwareVerifier>>,
}

impl Policy {
    /// Verifies chain and name against `roots`, checking revocation against `crls` (DER; none
    /// means no revocation checking). A certificate whose issuer has no CRL here is not checked.
    pub fn verified(
        roots: RootCertStore,
        crls: Vec<Vec<u8>>,
        source: AnchorSource,
    ) -> Result<Self> {
        let provider = Arc::new(provider());
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .with_crls(crls.into_iter().map(CertificateRevocationListDer::from))
            .allow_unknown_revocation_status()
            .build()
            .map_err(|err| match err {
                VerifierBuilderError::InvalidCrl(crl) => {
                    source.error(format!("a certificate revocation list is invalid: {crl:?}"))
                }
                other => source.error(other.to_string()),
            })?;
        let verifier = Arc::new(SelfSignedAwareVerifier {
            webpki,
            verified: Mutex::default(),
        });
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| Error::Internal(err.to_string()))?;
        // Not dangerous: the verifier wraps WebPkiServerVerifier and changes only an error's name.
        let config = finish(
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone()),
        );
        Ok(Policy {
            config: Arc::new(config),
            verifier: Some(verifier),
        })
    }

    /// TLS with handshake signatures checked, but no chain or name verification.
    pub fn unverified() -> Self {
        let provider = Arc::new(provider());
        let verifier = Arc::new(danger::NoChainVerification {
            algorithms: provider.signature_verification_algorithms,
        });
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions");
        Policy {
            config: Arc::new(finish(
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier),
            )),
            verifier: None,
        }
    }

    /// Whether this policy verifies chains and names.
    pub fn verifies(&self) -> bool {
        self.verifier.is_some()
    }

    /// Verifies `chain` (DER, end-entity first) for `server_name` at `now`, with the verifier
    /// that handshakes use.
    pub fn verify_chain(&self, chain: &[Vec<u8>], server_name: &str, now: UnixTime) -> Result<()> {
        let verifier = self.verifier.as_ref().ok_or_else(|| {
            Error::InvalidRequest("the unverified context does not verify certificates".into())
        })?;
        let (end_entity, intermediates) = chain
            .split_first()
            .ok_or_else(|| Error::InvalidRequest("the chain is empty".into()))?;
        let bare = server_name
            .strip_prefix('[')
            .and_then(|name| name.strip_suffix(']'))
            .unwrap_or(server_name);
        let name = ServerName::try_from(bare)
            .map_err(|err| Error::InvalidRequest(format!("server name {server_name:?}: {err}")))?;
        let intermediates: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .map(|der| CertificateDer::from(der.as_slice()))
            .collect();
        verifier
            .verify_server_cert(
                &CertificateDer::from(end_entity.as_slice()),
                &intermediates,
                &name,
                &[],
                now,
            )
            .map(|_| ())
            .map_err(Error::from_tls)
    }
}

fn finish(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>,
) -> ClientConfig {
    let mut config = builder.with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    config
}

/// ring's suites (all of them), TLS 1.3 first and ChaCha20-Poly1305 first within each version;
/// ring's key exchange groups and webpki's signature algorithms, as rustls's ring provider has
/// them. Built field by field rather than from `rustls::crypto::ring::default_provider()`: that
/// one also carries a private-key loader, which drags ring's RSA, ECDSA and Ed25519 signing code
/// into the component although a client without client certificates never signs.
fn provider() -> CryptoProvider {
    use ring::cipher_suite as suite;
    CryptoProvider {
        cipher_suites: vec![
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandom,
        key_provider: &NoPrivateKeys,
    }
}

/// The signature algorithms rustls's ring provider verifies with (the same list).
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = {
    use webpki::ring as alg;
    WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::ED25519,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // In TLS 1.2 the curve is not fixed by the scheme; in TLS 1.3 it is.
            (
                SignatureScheme::ECDSA_NISTP384_SHA384,
                &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384],
            ),
            (
                SignatureScheme::ECDSA_NISTP256_SHA256,
                &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256],
            ),
            (SignatureScheme::ED25519, &[alg::ED25519]),
            (
                SignatureScheme::RSA_PSS_SHA512,
                &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA384,
                &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA256,
                &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA512,
                &[alg::RSA_PKCS1_2048_8192_SHA512],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA384,
                &[alg::RSA_PKCS1_2048_8192_SHA384],
            ),
            (
                SignatureScheme::RSA_PKCS1_SHA256,
                &[alg::RSA_PKCS1_2048_8192_SHA256],
            ),
        ],
    }
};

/// Randomness from ring's system source (`wasi:random` inside the component).
#[derive(Debug)]
struct SystemRandom;

impl rustls::crypto::SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> std::result::Result<(), rustls::crypto::GetRandomFailed> {
        use ::ring::rand::SecureRandom as _;
        ::ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

/// The key provider of a client that never presents a certificate of its own: it loads no
/// private keys, so ring's RSA and ECDSA signing code stays out of the component.
#[derive(Debug)]
struct NoPrivateKeys;

impl rustls::crypto::KeyProvider for NoPrivateKeys {
    fn load_private_key(
        &self,
        _key: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> std::result::Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "this client does not use client certificates".into(),
        ))
    }
}

/// The verified context's verifier: rustls-webpki's, reporting a lone self-signed certificate
/// as such instead of as an unknown issuer, and remembering the chains it has verified (see
/// [`crate::verified_chains`]).
#[derive(Debug)]
struct SelfSignedAwareVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    verified: Mutex<VerifiedChains>,
}

/// The error carried through rustls for a lone self-signed certificate.
#[derive(Debug)]
pub struct SelfSignedCertificate;

impl std::fmt::Display for SelfSignedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSignedCertificate {}

impl ServerCertVerifier for SelfSignedAwareVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let presented: Vec<&[u8]> = intermediates.iter().map(|c| c.as_ref()).collect();
        let key = chain_key(&server_name.to_str(), end_entity, &presented);
        let verified = || self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified().contains(&key, now.as_secs()) {
            return Ok(ServerCertVerified::assertion());
        }
        let checked = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|err| match err {
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
                    if intermediates.is_empty() && crate::der::is_self_issued(end_entity) =>
                {
                    rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                        rustls::OtherError(Arc::new(SelfSignedCertificate)),
                    ))
                }
                other => other,
            })?;
        if let Some(window) = window(std::iter::once(end_entity.as_ref()).chain(presented)) {
            verified().insert(key, window);
        }
        Ok(checked)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// What weakens verification lives here, named so that a reviewer sees it.
pub mod danger {
    use super::*;

    /// Accepts any certificate chain for any name, but still checks that the server holds the
    /// key of the certificate it presented (handshake signatures). Used only by
    /// `create-unverified-context`.
    #[derive(Debug)]
    pub struct NoChainVerification {
        /// The signature algorithms used for handshake signatures.
        pub algorithms: WebPkiSupportedAlgorithms,
    }

    impl ServerCertVerifier for NoChainVerification {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> std::result::Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    }
}

/// The TLS details of an established connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.2` or `TLSv1.3`.
    pub version: String,
    /// The IANA name of the suite.
    pub cipher_suite: String,
    /// The ALPN protocol agreed, if any.
    pub alpn: Option<String>,
    /// Whether chain and name were verified.
    pub verified: bool,
    /// The server's certificates as DER, end-entity first.
    pub peer_certificates: Vec<Vec<u8>>,
}

impl TlsInfo {
    /// Reads the details off a connection whose handshake is complete.
    pub fn of(conn: &rustls::ClientConnection, verified: bool) -> Self {
        let version = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
            other => format!("{other:?}"),
        };
        TlsInfo {
            version,
            cipher_suite: conn
                .negotiated_cipher_suite()
                .and_then(|suite| suite.suite().as_str())
                .unwrap_or("unknown")
                .to_owned(),
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            verified,
            peer_certificates: conn
                .peer_certificates()
                .unwrap_or_default()
                .iter()
                .map(|c| c.to_vec())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha20_suites_come_first_and_tls13_before_tls12() {
        let names: Vec<String> = provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        assert_eq!(names[0], "TLS13_CHACHA20_POLY1305_SHA256");
        let first_tls12 = provider()
            .cipher_suites
            .iter()
            .position(|s| s.tls13().is_none())
            .unwrap();
        assert!(names[first_tls12].contains("CHACHA20"), "{names:?}");
        let mut ours = names.clone();
        let mut rings: Vec<String> = ring::default_provider()
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        ours.sort();
        rings.sort();
        assert_eq!(ours, rings, "the same suites as ring's defaults, reordered");
        let theirs = ring::default_provider().signature_verification_algorithms;
        assert_eq!(format!("{:?}", SIGNATURE_ALGORITHMS), format!("{theirs:?}"));
    }

    /// A root, and a leaf for `name` issued by it: (root DER, leaf DER).
    fn root_and_leaf(name: &str) -> (Vec<u8>, Vec<u8>) {
        let root_key = rcgen::KeyPair::generate().unwrap();
        let mut root_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key).unwrap();
        let issuer = rcgen::Issuer::new(root_params, root_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        (root.der().to_vec(), leaf.der().to_vec())
    }

    fn policy_trusting(root: Vec<u8>) -> Policy {
        let roots = crate::trust::roots_from_der(vec![root], AnchorSource::Host).unwrap();
        Policy::verified(roots, vec![], AnchorSource::Host).unwrap()
    }

    #[test]
    fn verified_policy_offers_http11_and_verifies() {
        let (root, _) = root_and_leaf("a.test");
        let policy = policy_trusting(root);
        assert_eq!(policy.config.alpn_protocols, vec![ALPN_HTTP11.to_vec()]);
        assert!(policy.verifies());
        assert!(!Policy::unverified().verifies());
    }

    #[test]
    fn verify_chain_accepts_the_right_name_and_refuses_another() {
        let (root, leaf) = root_and_leaf("a.test");
        let policy = policy_trusting(root);
        let now = UnixTime::now();
        policy
            .verify_chain(std::slice::from_ref(&leaf), "a.test", now)
            .unwrap();
        let err = policy.verify_chain(&[leaf], "b.test", now).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Certificate(crate::error::CertificateError::NameMismatch { .. })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn verify_chain_refuses_empty_chains_bad_names_and_the_unverified_policy() {
        let (root, leaf) = root_and_leaf("a.test");
        let now = UnixTime::now();
        let policy = policy_trusting(root);
        assert!(matches!(
            policy.verify_chain(&[], "a.test", now),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            policy.verify_chain(std::slice::from_ref(&leaf), "not a name", now),
            Err(Error::InvalidRequest(_))
        ));
        assert!(matches!(
            Policy::unverified().verify_chain(&[leaf], "a.test", now),
            Err(Error::InvalidRequest(_))
        ));
    }

    #[test]
    fn garbage_revocation_list_is_refused_by_its_source() {
        let (root, _) = root_and_leaf("a.test");
        let roots = crate::trust::roots_from_der(vec![root], AnchorSource::Caller).unwrap();
        let err =
            Policy::verified(roots, vec![b"not a CRL".to_vec()], AnchorSource::Caller).unwrap_err();
        assert!(matches!(err, Error::InvalidTrustAnchors(_)), "{err:?}");
    }
}
