//! rustls's errors in the core's vocabulary: the one place they are mapped (exhaustively, so a
//! new rustls case is a decision, not a default).

use rustls_pki_types::ServerName;

use super::pins::PinMismatch;
use super::verifier::SelfSignedCertificate;
use crate::error::{CertificateError, Error};

impl Error {
    /// Maps a rustls error, the one place rustls's vocabulary becomes ours.
    pub fn from_tls(err: rustls::Error) -> Self {
        use rustls::Error as E;
        match err {
            // A chain that verified but whose key is not pinned is its own case.
            E::InvalidCertificate(rustls::CertificateError::Other(other))
                if other.0.downcast_ref::<PinMismatch>().is_some() =>
            {
                match other.0.downcast_ref::<PinMismatch>() {
                    Some(PinMismatch { presented, pinned }) => Error::PinMismatch {
                        presented: presented.clone(),
                        pinned: pinned.clone(),
                    },
                    None => Error::Internal("a pin mismatch that is not one".into()),
                }
            }
            E::InvalidCertificate(cert) => Error::Certificate(CertificateError::from_rustls(cert)),
            E::AlertReceived(alert) => Error::TlsAlert(alert_description(alert)),
            other => Error::TlsProtocol(other.to_string()),
        }
    }
}

impl CertificateError {
    /// Maps rustls's reason for refusing a certificate.
    fn from_rustls(err: rustls::CertificateError) -> Self {
        use rustls::CertificateError as C;
        #[allow(deprecated)]
        match err {
            C::UnknownIssuer => CertificateError::UnknownIssuer,
            C::Expired => CertificateError::Other("certificate has expired".into()),
            C::ExpiredContext { time, not_after } => CertificateError::Expired {
                time: time.as_secs(),
                not_after: not_after.as_secs(),
            },
            C::NotValidYet => CertificateError::Other("certificate is not yet valid".into()),
            C::NotValidYetContext { time, not_before } => CertificateError::NotYetValid {
                time: time.as_secs(),
                not_before: not_before.as_secs(),
            },
            C::NotValidForName => CertificateError::NameMismatch {
                expected: String::new(),
                presented: Vec::new(),
            },
            C::NotValidForNameContext {
                expected,
                presented,
            } => CertificateError::NameMismatch {
                expected: server_name_text(&expected),
                presented: presented
                    .iter()
                    .map(|name| presented_name_text(name))
                    .collect(),
            },
            C::BadSignature => CertificateError::BadSignature,
            C::UnsupportedSignatureAlgorithm
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                CertificateError::UnsupportedSignatureAlgorithm
            }
            C::Revoked => CertificateError::Revoked,
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => CertificateError::InvalidPurpose,
            C::UnhandledCriticalExtension => CertificateError::UnhandledCriticalExtension,
            C::BadEncoding => CertificateError::BadEncoding,
            C::Other(other) if other.0.downcast_ref::<SelfSignedCertificate>().is_some() => {
                CertificateError::SelfSigned
            }
            C::Other(other) => CertificateError::Other(match other.0.downcast_ref() {
                Some(webpki::Error::CaUsedAsEndEntity) => {
                    "the server presented a CA certificate as its own".to_owned()
                }
                Some(webpki::Error::EndEntityUsedAsCa) => {
                    "a server certificate was used to issue another".to_owned()
                }
                // webpki's errors print their variant name (`PathLenConstraintViolated`).
                Some(err) => format!("{err:?}"),
                None => other.0.to_string(),
            }),
            other => CertificateError::Other(other.to_string()),
        }
    }
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// webpki presents names in their `Debug` form (`DnsName("a.test")`, `IpAddress(127.0.0.1)`);
/// users want the bare name.
fn presented_name_text(debug_form: &str) -> String {
    let bare = debug_form
        .strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .or_else(|| {
            debug_form
                .strip_prefix("IpAddress(")
                .and_then(|rest| rest.strip_suffix(')'))
        });
    bare.unwrap_or(debug_form).to_owned()
}

fn alert_description(alert: rustls::AlertDescription) -> String {
    // rustls's Debug form is the RFC name in CamelCase, e.g. `HandshakeFailure`.
    let camel = format!("{alert:?}");
    let mut words = String::new();
    for (i, ch) in camel.char_indices() {
        if ch.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(ch.to_ascii_lowercase());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::UnixTime;
    use std::time::Duration;

    #[test]
    fn a_ca_certificate_as_the_server_s_own_is_said_in_words() {
        let err = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(std::sync::Arc::new(webpki::Error::CaUsedAsEndEntity)),
        ));
        let Error::Certificate(CertificateError::Other(words)) = Error::from_tls(err) else {
            panic!("a certificate error");
        };
        assert_eq!(words, "the server presented a CA certificate as its own");
    }

    #[test]
    fn expired_context_keeps_both_times() {
        let err = Error::from_tls(rustls::Error::InvalidCertificate(
            rustls::CertificateError::ExpiredContext {
                time: UnixTime::since_unix_epoch(Duration::from_secs(2_000)),
                not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_000)),
            },
        ));
        assert_eq!(
            err,
            Error::Certificate(CertificateError::Expired {
                time: 2_000,
                not_after: 1_000
            })
        );
        assert!(
            err.to_string()
                .starts_with("certificate verify failed: certificate has expired")
        );
    }

    #[test]
    fn name_mismatch_names_expected_and_presented() {
        let err = Error::from_tls(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("wrong.test").unwrap(),
                presented: vec!["DnsName(\"good.test\")".into()],
            },
        ));
        let Error::Certificate(CertificateError::NameMismatch {
            expected,
            presented,
        }) = &err
        else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(expected, "wrong.test");
        assert_eq!(presented, &["good.test"]);
    }

    #[test]
    fn alert_is_described_in_words() {
        let err = Error::from_tls(rustls::Error::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        ));
        assert_eq!(err, Error::TlsAlert("handshake failure".into()));
    }
}
