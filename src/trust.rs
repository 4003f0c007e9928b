//! Trust anchors: DER or PEM certificates turned into a root store, strictly. An empty store or
//! a certificate that does not parse is an error now, never a handshake failure later and never
//! a reason to use other roots.

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{Error, Result};

/// Who chose the anchors; it decides which error a bad store is reported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorSource {
    /// The host, through the `trust` import (`trust-store-unavailable`).
    Host,
    /// The caller of `create-context` (`invalid-trust-anchors`).
    Caller,
}

impl AnchorSource {
    /// The error for a problem with anchors (or revocation lists) from this source.
    pub fn error(self, why: String) -> Error {
        match self {
            AnchorSource::Host => Error::TrustStoreUnavailable(why),
            AnchorSource::Caller => Error::InvalidTrustAnchors(why),
        }
    }
}

/// Builds a root store from DER certificates; every one must be a usable trust anchor.
pub fn roots_from_der(certs: Vec<Vec<u8>>, source: AnchorSource) -> Result<RootCertStore> {
    if certs.is_empty() {
        return Err(source.error("no trust anchors were supplied".into()));
    }
    let total = certs.len();
    let mut roots = RootCertStore::empty();
    for (index, der) in certs.into_iter().enumerate() {
        roots.add(CertificateDer::from(der)).map_err(|err| {
            source.error(format!(
                "trust anchor {} of {total} is not a usable X.509 certificate: {err}",
                index + 1
            ))
        })?;
    }
    Ok(roots)
}

/// Builds a root store from PEM text: every `CERTIFICATE` block, and at least one.
pub fn roots_from_pem(pem: &[u8], source: AnchorSource) -> Result<RootCertStore> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .map(|cert| cert.map(|c| c.to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|err| source.error(format!("PEM could not be read: {err}")))?;
    if certs.is_empty() {
        return Err(source.error("the PEM text holds no CERTIFICATE block".into()));
    }
    roots_from_der(certs, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca() -> rcgen::Certificate {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap()
    }

    fn ca_der() -> Vec<u8> {
        ca().der().to_vec()
    }

    #[test]
    fn empty_list_is_trust_store_unavailable() {
        assert!(matches!(
            roots_from_der(vec![], AnchorSource::Host),
            Err(Error::TrustStoreUnavailable(_))
        ));
    }

    #[test]
    fn garbage_der_is_refused_naming_its_position() {
        let err =
            roots_from_der(vec![ca_der(), b"garbage".to_vec()], AnchorSource::Host).unwrap_err();
        assert!(
            matches!(&err, Error::TrustStoreUnavailable(m) if m.contains("2 of 2")),
            "{err}"
        );
    }

    #[test]
    fn caller_anchors_report_invalid_trust_anchors() {
        assert!(matches!(
            roots_from_pem(b"no pem here", AnchorSource::Caller),
            Err(Error::InvalidTrustAnchors(_))
        ));
    }

    #[test]
    fn pem_blocks_become_anchors() {
        let text = format!("{}junk between\n{}", ca().pem(), ca().pem());
        let roots = roots_from_pem(text.as_bytes(), AnchorSource::Caller).unwrap();
        assert_eq!(roots.len(), 2);
    }
}
