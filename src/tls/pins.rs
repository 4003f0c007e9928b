//! Public-key pinning (curl's `--pinnedpubkey sha256//…`): the server's end-entity key must be
//! one of the pinned ones, checked after chain and name verification succeeded, never instead.

use std::sync::Arc;

use ring::digest::{SHA256, digest};
use rustls_pki_types::CertificateDer;

use crate::error::{Error, Result};

/// The SHA-256 digest of a certificate's SubjectPublicKeyInfo (DER, outer SEQUENCE included).
pub fn public_key_pin(cert: &CertificateDer<'_>) -> std::result::Result<Vec<u8>, rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    Ok(digest(&SHA256, parsed.subject_public_key_info().as_ref())
        .as_ref()
        .to_vec())
}

/// The pinned keys of a context; none means no pinning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pins(Vec<Vec<u8>>);

impl Pins {
    /// Pins from SHA-256 digests; each must be 32 bytes.
    pub(crate) fn new(pins: Vec<Vec<u8>>) -> Result<Self> {
        if let Some(bad) = pins.iter().find(|pin| pin.len() != 32) {
            return Err(Error::InvalidRequest(format!(
                "a pinned public key is a SHA-256 digest of 32 bytes, not {}",
                bad.len()
            )));
        }
        Ok(Pins(pins))
    }

    /// Checks the end-entity certificate's key against the pins (none: nothing to check).
    pub(crate) fn check(
        &self,
        end_entity: &CertificateDer<'_>,
    ) -> std::result::Result<(), rustls::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        let presented = public_key_pin(end_entity)?;
        if self.0.contains(&presented) {
            return Ok(());
        }
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                presented,
                pinned: self.0.clone(),
            }))),
        ))
    }
}

/// The error carried through rustls when the server's key is not pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMismatch {
    /// The digest of the server's key.
    pub presented: Vec<u8>,
    /// The digests pinned.
    pub pinned: Vec<Vec<u8>>,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server's public key is not pinned")
    }
}

impl std::error::Error for PinMismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        cert.der().clone()
    }

    #[test]
    fn a_pin_is_the_sha256_of_the_subject_public_key_info() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        use rcgen::PublicKeyData;
        let expected = digest(&SHA256, &key.subject_public_key_info())
            .as_ref()
            .to_vec();
        assert_eq!(public_key_pin(cert.der()).unwrap(), expected);
    }

    #[test]
    fn any_of_several_pins_matches_and_none_is_a_mismatch() {
        let (mine, other) = (cert(), cert());
        let pins = Pins::new(vec![
            public_key_pin(&other).unwrap(),
            public_key_pin(&mine).unwrap(),
        ])
        .unwrap();
        assert!(pins.check(&mine).is_ok());
        let only_other = Pins::new(vec![public_key_pin(&other).unwrap()]).unwrap();
        assert!(only_other.check(&mine).is_err());
        assert!(
            Pins::default().check(&mine).is_ok(),
            "no pins: nothing to check"
        );
    }

    #[test]
    fn a_pin_of_the_wrong_length_is_refused() {
        assert!(matches!(
            Pins::new(vec![vec![0; 31]]),
            Err(Error::InvalidRequest(_))
        ));
    }
}
