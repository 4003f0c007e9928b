//! TLS policy: the rustls client configuration of a verified or an unverified context.
//!
//! Both use rustls with [`super::provider`] and ALPN `http/1.1`; a verified context may bound
//! the TLS versions (1.2 and 1.3 by default), present a client certificate and pin the
//! server's key ([`TlsOptions`]).

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};

use super::danger;
use super::identity::{ClientIdentity, IdentityResolver};
use super::pins::Pins;
use super::provider::provider;
use super::resumption::{VerifiedSessionStore, VerifiedWindows};
use super::verifier::SelfSignedAwareVerifier;
use crate::error::{Error, Result};
use crate::trust::AnchorSource;

/// The ALPN protocol the client offers.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";
/// The ALPN protocol of HTTP/2, offered before `http/1.1` by [`Policy::offering_http2`].
#[cfg(feature = "http2")]
pub const ALPN_H2: &[u8] = b"h2";

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// The version as people write it: `TLS 1.2`, `TLS 1.3`.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        }
    }
}

/// What a verified context asks of TLS beyond whom to trust.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// The lowest version accepted. Defaults to TLS 1.2.
    pub min_version: Option<TlsVersion>,
    /// The highest version offered. Defaults to TLS 1.3.
    pub max_version: Option<TlsVersion>,
    /// The client's certificate, for servers that ask for one. Defaults to none (a server that
    /// asks gets none).
    pub client_identity: Option<ClientIdentity>,
    /// SHA-256 digests of SubjectPublicKeyInfos, one of which the server's key must be,
    /// checked after chain and name verification. Defaults to none: no pinning.
    pub pinned_public_keys: Vec<Vec<u8>>,
}

/// What a context does about TLS: its rustls configuration and, when it verifies, the verifier
/// inside that configuration (kept so that `verify_chain` runs the handshake's own code).
#[derive(Debug, Clone)]
pub struct Policy {
    /// The client configuration every connection of the context uses.
    pub config: Arc<ClientConfig>,
    verification: Option<Verification>,
    identity: Option<Arc<IdentityResolver>>,
}

/// What a verifying policy keeps beside its configuration: the verifier the handshakes use and
/// the session store that decides when a session may be resumed.
#[derive(Debug, Clone)]
struct Verification {
    verifier: Arc<SelfSignedAwareVerifier>,
    sessions: Arc<VerifiedSessionStore>,
}

impl Policy {
    /// Verifies chain and name against `roots`, checking revocation against `crls` (DER; none
    /// means no revocation checking; a certificate whose issuer has no CRL here is not
    /// checked), with the versions, client certificate and pins of `options`.
    pub fn verified(
        roots: RootCertStore,
        crls: Vec<Vec<u8>>,
        source: AnchorSource,
        options: &TlsOptions,
    ) -> Result<Self> {
        let versions = protocol_versions(options)?;
        let pins = Pins::new(options.pinned_public_keys.clone())?;
        let provider = provider();
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
        let windows = Arc::new(VerifiedWindows::default());
        let verifier = Arc::new(SelfSignedAwareVerifier::new(webpki, windows.clone(), pins));
        let sessions = Arc::new(VerifiedSessionStore::new(windows));
        let builder = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|err| Error::Internal(err.to_string()))?;
        let identity = options
            .client_identity
            .clone()
            .map(|identity| Arc::new(IdentityResolver::new(identity)));
        // Not dangerous: the verifier wraps WebPkiServerVerifier; it renames an error and adds
        // the pin check after a successful verification.
        let mut config = finish(
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone()),
            identity.clone(),
        );
        config.resumption = rustls::client::Resumption::store(sessions.clone());
        Ok(Policy {
            config: Arc::new(config),
            verification: Some(Verification { verifier, sessions }),
            identity,
        })
    }

    /// The same policy (trust, verification, sessions, identity) offering `h2` and then
    /// `http/1.1` by ALPN, for a request that asks for HTTP/2.
    #[cfg(feature = "http2")]
    pub fn offering_http2(&self) -> Policy {
        let mut config = ClientConfig::clone(&self.config);
        config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        Policy {
            config: Arc::new(config),
            ..self.clone()
        }
    }

    /// TLS with handshake signatures checked, but no chain or name verification.
    pub fn unverified() -> Self {
        let provider = provider();
        let verifier = Arc::new(danger::NoChainVerification {
            algorithms: provider.signature_verification_algorithms,
        });
        #[allow(
            clippy::expect_used,
            reason = "the provider is ours and has suites for both default versions (a unit test builds it)"
        )]
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions");
        Policy {
            config: Arc::new(finish(
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(verifier),
                None,
            )),
            verification: None,
            identity: None,
        }
    }

    /// Whether the last handshake sent the client's certificate (handshakes of a context run
    /// one at a time); asking resets the answer.
    pub fn take_client_certificate_sent(&self) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|resolver| resolver.take_sent())
    }

    /// Whether this policy verifies chains and names.
    pub fn verifies(&self) -> bool {
        self.verification.is_some()
    }

    /// Verifies `chain` (DER, end-entity first) for `server_name` at `now`, with the verifier
    /// that handshakes use.
    pub fn verify_chain(&self, chain: &[Vec<u8>], server_name: &str, now: UnixTime) -> Result<()> {
        let verifier = self
            .verification
            .as_ref()
            .map(|v| &v.verifier)
            .ok_or_else(|| {
                Error::InvalidRequest("the unverified context does not verify certificates".into())
            })?;
        if chain.is_empty() {
            return Err(Error::InvalidRequest("the chain is empty".into()));
        }
        let bare = server_name
            .strip_prefix('[')
            .and_then(|name| name.strip_suffix(']'))
            .unwrap_or(server_name);
        let name = ServerName::try_from(bare)
            .map_err(|err| Error::InvalidRequest(format!("server name {server_name:?}: {err}")))?;
        let chain: Vec<CertificateDer<'_>> = chain
            .iter()
            .map(|der| CertificateDer::from(der.as_slice()))
            .collect();
        verify_presented(verifier, &chain, &name, now).map_err(Error::from_tls)
    }
}

impl Policy {
    /// Whether the chain of a resumed session is still verified now (a resumed handshake does
    /// not verify it). Policies that do not verify accept every session. A chain that no longer
    /// verifies makes the context forget the server's sessions, so that the next handshake with
    /// it is a full one.
    pub fn accepts_resumed(
        &self,
        chain: &[CertificateDer<'_>],
        server_name: &ServerName<'static>,
    ) -> bool {
        let Some(verification) = &self.verification else {
            return true;
        };
        let verified =
            verify_presented(&verification.verifier, chain, server_name, UnixTime::now()).is_ok();
        if !verified {
            verification.sessions.forget(server_name);
        }
        verified
    }
}

/// Runs the handshakes' own verifier over a presented chain, end-entity first.
fn verify_presented(
    verifier: &SelfSignedAwareVerifier,
    chain: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> std::result::Result<(), rustls::Error> {
    let (end_entity, intermediates) = chain
        .split_first()
        .ok_or(rustls::Error::NoCertificatesPresented)?;
    verifier
        .verify_server_cert(end_entity, intermediates, server_name, &[], now)
        .map(|_| ())
}

/// The protocol versions between the bounds of `options`, newest first.
fn protocol_versions(
    options: &TlsOptions,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let min = options.min_version.unwrap_or(TlsVersion::Tls12);
    let max = options.max_version.unwrap_or(TlsVersion::Tls13);
    if min > max {
        return Err(Error::InvalidRequest(format!(
            "the lowest TLS version ({}) is above the highest ({})",
            min.name(),
            max.name()
        )));
    }
    Ok([
        (TlsVersion::Tls13, &rustls::version::TLS13),
        (TlsVersion::Tls12, &rustls::version::TLS12),
    ]
    .into_iter()
    .filter(|(version, _)| (min..=max).contains(version))
    .map(|(_, supported)| supported)
    .collect())
}

/// The configuration with the client's certificate (if any) and ALPN.
fn finish(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>,
    identity: Option<Arc<IdentityResolver>>,
) -> ClientConfig {
    let mut config = match identity {
        Some(resolver) => builder.with_client_cert_resolver(resolver),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    config
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Policy::verified(roots, vec![], AnchorSource::Host, &TlsOptions::default()).unwrap()
    }

    #[test]
    fn verified_policy_offers_http11_and_verifies() {
        let (root, _) = root_and_leaf("a.test");
        let policy = policy_trusting(root);
        assert_eq!(policy.config.alpn_protocols, vec![ALPN_HTTP11.to_vec()]);
        assert!(policy.verifies());
        assert!(!Policy::unverified().verifies());
    }

    #[cfg(feature = "http2")]
    #[test]
    fn a_policy_offering_http2_offers_h2_first_and_keeps_its_verification() {
        let (root, _) = root_and_leaf("a.test");
        let policy = policy_trusting(root).offering_http2();
        assert_eq!(
            policy.config.alpn_protocols,
            vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()]
        );
        assert!(policy.verifies());
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
        let err = Policy::verified(
            roots,
            vec![b"not a CRL".to_vec()],
            AnchorSource::Caller,
            &TlsOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidTrustAnchors(_)), "{err:?}");
    }

    #[test]
    fn version_bounds_choose_the_versions_offered() {
        let names = |min, max| {
            protocol_versions(&TlsOptions {
                min_version: min,
                max_version: max,
                ..TlsOptions::default()
            })
            .map(|versions| {
                versions
                    .iter()
                    .map(|v| format!("{:?}", v.version))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(names(None, None).unwrap(), ["TLSv1_3", "TLSv1_2"]);
        assert_eq!(names(Some(TlsVersion::Tls13), None).unwrap(), ["TLSv1_3"]);
        assert_eq!(names(None, Some(TlsVersion::Tls12)).unwrap(), ["TLSv1_2"]);
        assert!(matches!(
            names(Some(TlsVersion::Tls13), Some(TlsVersion::Tls12)),
            Err(Error::InvalidRequest(_))
        ));
    }
}
