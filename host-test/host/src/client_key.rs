//! A client key the host keeps (in an HSM, a secret store, a file the guest may not read): the
//! host answers the component's `verified:https/identity` import with the certificate chain and
//! makes each handshake's signature itself, so the key never enters the component's memory.
//! Only the `https-client-host-keys` build of the component imports `identity`.

use std::sync::Arc;

use rustls::SignatureScheme;
use rustls::sign::SigningKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The schemes a TLS client key may sign with, most preferred first.
const SCHEMES: [SignatureScheme; 10] = [
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_NISTP521_SHA512,
];

/// A certificate chain and the private key that signs for it, held by the host.
#[derive(Debug, Clone)]
pub struct HostClientKey {
    chain: Vec<Vec<u8>>,
    key: Arc<dyn SigningKey>,
}

impl HostClientKey {
    /// From PEM: the chain (end-entity first) and the private key (PKCS#8, SEC1 or PKCS#1).
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, String> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .map(|cert| cert.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate PEM could not be read: {e}"))?;
        if chain.is_empty() {
            return Err("the certificate PEM holds no CERTIFICATE block".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| format!("the key PEM could not be read: {e}"))?;
        let key = rustls::crypto::ring::sign::any_supported_type(&key)
            .map_err(|e| format!("the private key cannot be used: {e}"))?;
        Ok(HostClientKey { chain, key })
    }

    /// The certificate chain, DER, end-entity first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The TLS signature schemes the key signs with (IANA values).
    pub fn signature_schemes(&self) -> Vec<u16> {
        SCHEMES
            .into_iter()
            .filter(|scheme| self.key.choose_scheme(&[*scheme]).is_some())
            .map(u16::from)
            .collect()
    }

    /// Signs `message` with `scheme`.
    pub fn sign(&self, scheme: u16, message: &[u8]) -> Result<Vec<u8>, String> {
        let signer = self
            .key
            .choose_scheme(&[SignatureScheme::from(scheme)])
            .ok_or_else(|| format!("the key does not sign with scheme {scheme:#06x}"))?;
        signer.sign(message).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ecdsa_key_offers_its_scheme_and_signs_with_it_only() {
        let key = rcgen::KeyPair::generate().expect("a key");
        let cert = rcgen::CertificateParams::new(vec!["client.test".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("a certificate");
        let host_key =
            HostClientKey::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
                .expect("a host key");
        assert_eq!(host_key.chain(), [cert.der().to_vec()]);
        let p256 = u16::from(SignatureScheme::ECDSA_NISTP256_SHA256);
        assert_eq!(host_key.signature_schemes(), [p256]);
        assert!(
            !host_key
                .sign(p256, b"handshake")
                .expect("signed")
                .is_empty()
        );
        assert!(
            host_key
                .sign(u16::from(SignatureScheme::RSA_PSS_SHA256), b"x")
                .is_err()
        );
    }

    #[test]
    fn pem_without_certificates_or_a_key_is_refused() {
        assert!(HostClientKey::from_pem(b"", b"").is_err());
    }
}
