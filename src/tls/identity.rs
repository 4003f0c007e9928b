//! The client's own certificate (mutual TLS): a chain and the key that signs for it, checked to
//! belong together when the context is created; and the resolver that hands it to rustls,
//! remembering whether a handshake sent it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::sign::{CertifiedKey, SigningKey};
use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Result};

/// A certificate chain and the key that signs for it.
#[derive(Debug, Clone)]
pub struct ClientIdentity(Arc<CertifiedKey>);

impl ClientIdentity {
    /// From PEM text holding the chain (end-entity first) and the private key (PKCS#8, SEC1 or
    /// PKCS#1).
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        let mut chain = Vec::new();
        let mut key = None;
        for section in <(SectionKind, Vec<u8>) as PemObject>::pem_slice_iter(pem) {
            let (kind, der) =
                section.map_err(|e| invalid(format!("the PEM could not be read: {e}")))?;
            match kind {
                SectionKind::Certificate => chain.push(der),
                SectionKind::PrivateKey => key = Some(PrivateKeyDer::Pkcs8(der.into())),
                SectionKind::EcPrivateKey => key = Some(PrivateKeyDer::Sec1(der.into())),
                SectionKind::RsaPrivateKey => key = Some(PrivateKeyDer::Pkcs1(der.into())),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| invalid("the PEM holds no private key".into()))?;
        Self::from_chain_and_key(chain, key)
    }

    /// From DER: the chain (end-entity first) and the key (PKCS#8, SEC1 or PKCS#1, told apart
    /// by their structure).
    pub fn from_der(chain: Vec<Vec<u8>>, key: Vec<u8>) -> Result<Self> {
        let key = PrivateKeyDer::try_from(key).map_err(|why| {
            invalid(format!(
                "the private key is not PKCS#8, SEC1 or PKCS#1: {why}"
            ))
        })?;
        Self::from_chain_and_key(chain, key)
    }

    /// A chain whose signatures come from `key`, a key kept elsewhere (the host's).
    pub fn with_signing_key(chain: Vec<Vec<u8>>, key: Arc<dyn SigningKey>) -> Result<Self> {
        Self::certified(chain, key)
    }

    fn from_chain_and_key(chain: Vec<Vec<u8>>, key: PrivateKeyDer<'static>) -> Result<Self> {
        let key = rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| invalid(format!("the private key cannot be used: {e}")))?;
        Self::certified(chain, key)
    }

    fn certified(chain: Vec<Vec<u8>>, key: Arc<dyn SigningKey>) -> Result<Self> {
        if chain.is_empty() {
            return Err(invalid("no certificate was given".into()));
        }
        let chain: Vec<CertificateDer<'static>> =
            chain.into_iter().map(CertificateDer::from).collect();
        let certified = CertifiedKey::new(chain, key);
        match certified.keys_match() {
            Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
                Ok(ClientIdentity(Arc::new(certified)))
            }
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(
                invalid("the private key does not belong to the certificate".into()),
            ),
            Err(e) => Err(invalid(format!("the certificate cannot be used: {e}"))),
        }
    }
}

fn invalid(why: String) -> Error {
    Error::InvalidClientIdentity(why)
}

/// Hands the client's identity to rustls when a server asks, and remembers that it did.
#[derive(Debug)]
pub(crate) struct IdentityResolver {
    identity: Arc<CertifiedKey>,
    sent: AtomicBool,
}

impl IdentityResolver {
    /// A resolver for `identity`.
    pub(crate) fn new(identity: ClientIdentity) -> Self {
        IdentityResolver {
            identity: identity.0,
            sent: AtomicBool::new(false),
        }
    }

    /// Whether the certificate was sent since the last call (handshakes of a context run one at
    /// a time, so this is the last handshake's answer).
    pub(crate) fn take_sent(&self) -> bool {
        self.sent.swap(false, Ordering::Relaxed)
    }
}

impl ResolvesClientCert for IdentityResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // rustls sends the certificate only if the key can sign with a scheme the server offers.
        let usable = self.identity.key.choose_scheme(sigschemes).is_some();
        self.sent.store(usable, Ordering::Relaxed);
        usable.then(|| self.identity.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate and its key pair, made with `algorithm`.
    fn certificate(
        algorithm: &'static rcgen::SignatureAlgorithm,
    ) -> (rcgen::Certificate, rcgen::KeyPair) {
        let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert, key)
    }

    #[test]
    fn a_pem_chain_with_its_pkcs8_key_is_an_identity() {
        let (cert, key) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let pem = format!("{}{}", cert.pem(), key.serialize_pem());
        ClientIdentity::from_pem(pem.as_bytes()).unwrap();
        ClientIdentity::from_der(vec![cert.der().to_vec()], key.serialize_der()).unwrap();
    }

    /// The TLVs inside a DER SEQUENCE: (tag, contents).
    fn children(der: &[u8]) -> Vec<(u8, &[u8])> {
        let tlv = |input: &[u8]| -> (u8, usize, usize) {
            let (tag, first) = (input[0], input[1]);
            if first < 0x80 {
                (tag, 2, first as usize)
            } else {
                let n = (first & 0x7f) as usize;
                let len = input[2..2 + n]
                    .iter()
                    .fold(0, |acc, b| acc << 8 | *b as usize);
                (tag, 2 + n, len)
            }
        };
        let (_, header, len) = tlv(der);
        let mut rest = &der[header..header + len];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let (tag, header, len) = tlv(rest);
            out.push((tag, &rest[header..header + len]));
            rest = &rest[header + len..];
        }
        out
    }

    #[test]
    fn a_sec1_ec_private_key_is_read_too() {
        let (cert, key) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let pkcs8 = key.serialize_der();
        // PKCS#8 wraps the SEC1 ECPrivateKey in its privateKey OCTET STRING.
        let (_, sec1) = children(&pkcs8)[2];
        let identity = ClientIdentity::from_der(vec![cert.der().to_vec()], sec1.to_vec());
        assert!(identity.is_ok(), "{identity:?}");
        let pem = format!(
            "{}-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            cert.pem(),
            crate::error::Base64(sec1)
        );
        assert!(ClientIdentity::from_pem(pem.as_bytes()).is_ok());
    }

    #[test]
    fn a_malformed_pem_block_is_an_identity_error() {
        let (cert, _) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let pem = format!(
            "{}-----BEGIN EC PRIVATE KEY-----\nnot base64\n-----END EC PRIVATE KEY-----\n",
            cert.pem()
        );
        assert!(matches!(
            ClientIdentity::from_pem(pem.as_bytes()),
            Err(Error::InvalidClientIdentity(_))
        ));
    }

    #[test]
    fn a_key_that_does_not_belong_to_the_certificate_is_refused_at_creation() {
        let (cert, _) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let (_, other) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let err =
            ClientIdentity::from_der(vec![cert.der().to_vec()], other.serialize_der()).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidClientIdentity(
                "the private key does not belong to the certificate".into()
            )
        );
    }

    #[test]
    fn a_pem_without_a_key_or_a_chain_without_certificates_is_refused() {
        let (cert, key) = certificate(&rcgen::PKCS_ED25519);
        assert!(matches!(
            ClientIdentity::from_pem(cert.pem().as_bytes()),
            Err(Error::InvalidClientIdentity(why)) if why.contains("no private key")
        ));
        assert!(matches!(
            ClientIdentity::from_der(vec![], key.serialize_der()),
            Err(Error::InvalidClientIdentity(_))
        ));
        assert!(matches!(
            ClientIdentity::from_der(vec![cert.der().to_vec()], b"not a key".to_vec()),
            Err(Error::InvalidClientIdentity(_))
        ));
    }
}
