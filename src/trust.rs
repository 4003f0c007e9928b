//! Trust: which anchors and revocation lists a context uses ([`choose`], the one rule), and
//! DER or PEM certificates turned into a root store, strictly. An empty store or a certificate
//! that does not parse is an error now, never a handshake failure later and never a reason to
//! use other roots.

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

/// Where a verified context's anchors come from, as its creator asked (the WIT
/// `trust-anchors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustChoice {
    /// The host's trust store, through the `trust` import.
    Host,
    /// PEM text from the caller holding one or more `CERTIFICATE` blocks.
    Pem(Vec<u8>),
    /// DER certificates from the caller.
    Der(Vec<Vec<u8>>),
}

/// The host's trust store as the core sees it: the glue answers it through the `trust` import.
/// Each answer is the store's contents or why it has none.
pub trait HostTrustStore {
    /// The host's trust anchors (DER certificates).
    fn trust_anchors(&self) -> std::result::Result<Vec<Vec<u8>>, String>;
    /// The host's certificate revocation lists (DER).
    fn revocation_lists(&self) -> std::result::Result<Vec<Vec<u8>>, String>;
}

/// What a verified context trusts: a root store, the revocation lists to check against, and
/// who chose them (it decides which error a bad store is reported as).
#[derive(Debug, Clone)]
pub struct ChosenTrust {
    /// The trust anchors.
    pub roots: RootCertStore,
    /// Certificate revocation lists (DER); none means no revocation checking.
    pub revocation_lists: Vec<Vec<u8>>,
    /// Who chose the anchors.
    pub source: AnchorSource,
}

/// The rule for what a verified context trusts. The host's anchors come with the host's
/// revocation lists and nothing of the caller's; the caller's anchors come with the caller's
/// lists, and then the host is not asked at all. Sources are never merged, and an empty or
/// unreadable store is an error here, before any connection.
pub fn choose(
    choice: TrustChoice,
    caller_revocation_lists: Vec<Vec<u8>>,
    host: &impl HostTrustStore,
) -> Result<ChosenTrust> {
    let caller = |roots| ChosenTrust {
        roots,
        revocation_lists: caller_revocation_lists.clone(),
        source: AnchorSource::Caller,
    };
    match choice {
        TrustChoice::Host if !caller_revocation_lists.is_empty() => {
            Err(Error::InvalidTrustAnchors(
                "revocation lists cannot be added to the host's anchors; the host supplies its own"
                    .into(),
            ))
        }
        TrustChoice::Host => {
            let anchors = host.trust_anchors().map_err(|why| {
                Error::TrustStoreUnavailable(format!("the host has no trust store: {why}"))
            })?;
            let revocation_lists = host.revocation_lists().map_err(|why| {
                Error::TrustStoreUnavailable(format!(
                    "the host's revocation lists are unavailable: {why}"
                ))
            })?;
            Ok(ChosenTrust {
                roots: roots_from_der(anchors, AnchorSource::Host)?,
                revocation_lists,
                source: AnchorSource::Host,
            })
        }
        TrustChoice::Pem(pem) => Ok(caller(roots_from_pem(&pem, AnchorSource::Caller)?)),
        TrustChoice::Der(certs) => Ok(caller(roots_from_der(certs, AnchorSource::Caller)?)),
    }
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

    /// A host store with fixed answers that counts how often it is asked.
    struct FakeHost {
        anchors: std::result::Result<Vec<Vec<u8>>, String>,
        revocation_lists: std::result::Result<Vec<Vec<u8>>, String>,
        asked: std::cell::Cell<u32>,
    }

    impl FakeHost {
        fn new(
            anchors: std::result::Result<Vec<Vec<u8>>, String>,
            revocation_lists: std::result::Result<Vec<Vec<u8>>, String>,
        ) -> Self {
            FakeHost {
                anchors,
                revocation_lists,
                asked: std::cell::Cell::new(0),
            }
        }
    }

    impl HostTrustStore for FakeHost {
        fn trust_anchors(&self) -> std::result::Result<Vec<Vec<u8>>, String> {
            self.asked.set(self.asked.get() + 1);
            self.anchors.clone()
        }
        fn revocation_lists(&self) -> std::result::Result<Vec<Vec<u8>>, String> {
            self.asked.set(self.asked.get() + 1);
            self.revocation_lists.clone()
        }
    }

    #[test]
    fn the_host_choice_takes_the_host_s_anchors_and_revocation_lists() {
        let host = FakeHost::new(Ok(vec![ca_der(), ca_der()]), Ok(vec![b"crl".to_vec()]));
        let chosen = choose(TrustChoice::Host, vec![], &host).unwrap();
        assert_eq!(chosen.roots.len(), 2);
        assert_eq!(chosen.revocation_lists, vec![b"crl".to_vec()]);
        assert_eq!(chosen.source, AnchorSource::Host);
    }

    #[test]
    fn a_host_without_a_store_is_trust_store_unavailable_naming_why() {
        let host = FakeHost::new(Err("no bundle".into()), Ok(vec![]));
        let err = choose(TrustChoice::Host, vec![], &host).unwrap_err();
        assert_eq!(
            err,
            Error::TrustStoreUnavailable("the host has no trust store: no bundle".into())
        );
        let empty = FakeHost::new(Ok(vec![]), Ok(vec![]));
        assert!(matches!(
            choose(TrustChoice::Host, vec![], &empty),
            Err(Error::TrustStoreUnavailable(_))
        ));
        let no_lists = FakeHost::new(Ok(vec![ca_der()]), Err("unreadable".into()));
        assert!(matches!(
            choose(TrustChoice::Host, vec![], &no_lists),
            Err(Error::TrustStoreUnavailable(why)) if why.contains("revocation lists")
        ));
    }

    #[test]
    fn caller_revocation_lists_are_refused_with_the_host_s_anchors_without_asking_the_host() {
        let host = FakeHost::new(Ok(vec![ca_der()]), Ok(vec![]));
        let err = choose(TrustChoice::Host, vec![b"crl".to_vec()], &host).unwrap_err();
        assert!(matches!(err, Error::InvalidTrustAnchors(_)), "{err:?}");
        assert_eq!(host.asked.get(), 0);
    }

    #[test]
    fn caller_anchors_replace_the_host_s_which_is_never_asked() {
        let host = FakeHost::new(
            Ok(vec![ca_der(), ca_der(), ca_der()]),
            Ok(vec![b"host".to_vec()]),
        );
        let pem = ca().pem();
        let chosen = choose(
            TrustChoice::Pem(pem.into_bytes()),
            vec![b"mine".to_vec()],
            &host,
        )
        .unwrap();
        assert_eq!(chosen.roots.len(), 1, "never merged with the host's three");
        assert_eq!(chosen.revocation_lists, vec![b"mine".to_vec()]);
        assert_eq!(chosen.source, AnchorSource::Caller);
        let chosen = choose(TrustChoice::Der(vec![ca_der()]), vec![], &host).unwrap();
        assert_eq!(chosen.roots.len(), 1);
        assert_eq!(host.asked.get(), 0);
    }

    #[test]
    fn bad_caller_anchors_are_invalid_trust_anchors_not_a_host_problem() {
        let host = FakeHost::new(Ok(vec![ca_der()]), Ok(vec![]));
        assert!(matches!(
            choose(TrustChoice::Der(vec![]), vec![], &host),
            Err(Error::InvalidTrustAnchors(_))
        ));
        assert!(matches!(
            choose(TrustChoice::Pem(b"not pem".to_vec()), vec![], &host),
            Err(Error::InvalidTrustAnchors(_))
        ));
    }
}
