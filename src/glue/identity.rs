//! The `identity` import as a rustls signing key: the certificate chain comes from the host,
//! and each handshake's signature is made by the host, so the key never enters the component.

use std::sync::Arc;

use rustls::sign::{Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

use super::bindings::verified::https::identity as host_identity;
use crate::error::Error;
use crate::tls::ClientIdentity;

/// The host's chain, signing through the import.
pub(super) fn host_identity() -> Result<ClientIdentity, Error> {
    let chain = host_identity::certificate_chain().map_err(|why| {
        Error::InvalidClientIdentity(format!("the host has no client certificate: {why}"))
    })?;
    let schemes: Vec<SignatureScheme> = host_identity::signature_schemes()
        .into_iter()
        .map(SignatureScheme::from)
        .collect();
    let algorithm = algorithm_of(&schemes).ok_or_else(|| {
        Error::InvalidClientIdentity(format!(
            "the host's key offers no signature scheme TLS can use: {schemes:?}"
        ))
    })?;
    ClientIdentity::with_signing_key(chain, Arc::new(HostKey { schemes, algorithm }))
}

/// The key family of a list of schemes (a key signs with one family).
fn algorithm_of(schemes: &[SignatureScheme]) -> Option<SignatureAlgorithm> {
    use SignatureScheme as S;
    schemes.iter().find_map(|scheme| match scheme {
        S::ECDSA_NISTP256_SHA256 | S::ECDSA_NISTP384_SHA384 | S::ECDSA_NISTP521_SHA512 => {
            Some(SignatureAlgorithm::ECDSA)
        }
        S::RSA_PSS_SHA256
        | S::RSA_PSS_SHA384
        | S::RSA_PSS_SHA512
        | S::RSA_PKCS1_SHA256
        | S::RSA_PKCS1_SHA384
        | S::RSA_PKCS1_SHA512 => Some(SignatureAlgorithm::RSA),
        S::ED25519 => Some(SignatureAlgorithm::ED25519),
        _ => None,
    })
}

/// A key the host keeps, known by the schemes it signs with.
#[derive(Debug)]
struct HostKey {
    schemes: Vec<SignatureScheme>,
    algorithm: SignatureAlgorithm,
}

impl SigningKey for HostKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        self.schemes
            .iter()
            .find(|scheme| offered.contains(scheme))
            .map(|scheme| Box::new(HostSigner(*scheme)) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
}

/// One handshake's signature, made by the host.
#[derive(Debug)]
struct HostSigner(SignatureScheme);

impl Signer for HostSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        host_identity::sign(u16::from(self.0), message)
            .map_err(|why| rustls::Error::General(format!("the host could not sign: {why}")))
    }

    fn scheme(&self) -> SignatureScheme {
        self.0
    }
}
