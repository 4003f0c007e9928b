//! The component's one error type. The glue maps it to the WIT `error-code` in one place.

use std::fmt;
use std::io;

use crate::tls::SelfSignedCertificate;

/// Everything that can make a request fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed or cannot be fetched.
    InvalidUrl(String),
    /// The request is malformed (method, header name or value).
    InvalidRequest(String),
    /// The host's trust store gave no usable anchors.
    TrustStoreUnavailable(String),
    /// Trust anchors supplied by the caller could not be used.
    InvalidTrustAnchors(String),
    /// The host name could not be resolved.
    Dns(String),
    /// The server refused the TCP connection.
    ConnectionRefused(String),
    /// The TCP connection failed for another reason.
    DestinationUnavailable(String),
    /// The TCP connection was not made in time.
    ConnectionTimeout,
    /// The server's certificate was refused.
    Certificate(CertificateError),
    /// The peer sent a TLS alert.
    TlsAlert(String),
    /// The TLS handshake or record layer failed.
    TlsProtocol(String),
    /// The response is not valid HTTP/1.1.
    HttpProtocol(String),
    /// The response's header (or trailer) section exceeds the limit (bytes).
    HeaderSectionTooLarge(u32),
    /// The response has more header fields than the limit.
    TooManyHeaders(u32),
    /// The status line exceeds the limit (bytes).
    StatusLineTooLong(u32),
    /// A chunk-size line exceeds the limit (bytes).
    ChunkLineTooLong(u32),
    /// The body exceeds the limit (bytes).
    BodyTooLarge(u64),
    /// The response ended before its framing said it was complete.
    Incomplete(String),
    /// The connection failed while receiving.
    ConnectionTerminated(String),
    /// The request did not finish within its timeout.
    Timeout,
    /// More redirects than the policy allows (the limit).
    TooManyRedirects(u32),
    /// A redirect from https to http (the target), refused.
    InsecureRedirect(String),
    /// An unexpected condition; a bug.
    Internal(String),
}

/// Why a certificate chain was refused (see rustls's `CertificateError`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// No path to a trust anchor.
    UnknownIssuer,
    /// A lone self-signed certificate that is not a trust anchor.
    SelfSigned,
    /// Expired: validation time and notAfter, in Unix seconds.
    Expired {
        /// The validation time.
        time: u64,
        /// The certificate's notAfter.
        not_after: u64,
    },
    /// Not yet valid: validation time and notBefore, in Unix seconds.
    NotYetValid {
        /// The validation time.
        time: u64,
        /// The certificate's notBefore.
        not_before: u64,
    },
    /// The certificate is not valid for the expected name.
    NameMismatch {
        /// The name the client asked for.
        expected: String,
        /// The names the certificate is valid for.
        presented: Vec<String>,
    },
    /// A signature does not verify.
    BadSignature,
    /// A signature algorithm is not supported.
    UnsupportedSignatureAlgorithm,
    /// A certificate has been revoked.
    Revoked,
    /// Not allowed for TLS server authentication.
    InvalidPurpose,
    /// An unknown critical extension.
    UnhandledCriticalExtension,
    /// A certificate could not be parsed.
    BadEncoding,
    /// Anything else, described.
    Other(String),
}

impl Error {
    /// Maps an I/O error of the transport, which the glue reports with `TimedOut` for a passed
    /// deadline, while receiving a response.
    pub fn from_receive(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::TimedOut => Error::Timeout,
            _ => Error::ConnectionTerminated(err.to_string()),
        }
    }

    /// Maps a rustls error, the one place rustls's vocabulary becomes ours.
    pub fn from_tls(err: rustls::Error) -> Self {
        use rustls::Error as E;
        match err {
            E::InvalidCertificate(cert) => Error::Certificate(CertificateError::from_rustls(cert)),
            E::AlertReceived(alert) => Error::TlsAlert(alert_description(alert)),
            other => Error::TlsProtocol(other.to_string()),
        }
    }
}

impl CertificateError {
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

fn server_name_text(name: &rustls_pki_types::ServerName<'_>) -> String {
    match name {
        rustls_pki_types::ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        rustls_pki_types::ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            Error::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Error::TrustStoreUnavailable(why) => write!(f, "trust store unavailable: {why}"),
            Error::InvalidTrustAnchors(why) => write!(f, "invalid trust anchors: {why}"),
            Error::Dns(why) => write!(f, "could not resolve host: {why}"),
            Error::ConnectionRefused(why) => write!(f, "connection refused: {why}"),
            Error::DestinationUnavailable(why) => write!(f, "could not connect: {why}"),
            Error::ConnectionTimeout => f.write_str("connection timed out"),
            Error::Certificate(cert) => write!(f, "certificate verify failed: {cert}"),
            Error::TlsAlert(alert) => write!(f, "TLS alert received from server: {alert}"),
            Error::TlsProtocol(why) => write!(f, "TLS error: {why}"),
            Error::HttpProtocol(why) => write!(f, "malformed HTTP response: {why}"),
            Error::HeaderSectionTooLarge(limit) => {
                write!(f, "response header section exceeds {limit} bytes")
            }
            Error::TooManyHeaders(limit) => {
                write!(f, "response has more than {limit} header fields")
            }
            Error::StatusLineTooLong(limit) => write!(f, "status line exceeds {limit} bytes"),
            Error::ChunkLineTooLong(limit) => write!(f, "chunk-size line exceeds {limit} bytes"),
            Error::BodyTooLarge(limit) => write!(f, "response body exceeds {limit} bytes"),
            Error::Incomplete(why) => write!(f, "response incomplete: {why}"),
            Error::ConnectionTerminated(why) => {
                write!(f, "connection failed while receiving: {why}")
            }
            Error::Timeout => f.write_str("request timed out"),
            Error::TooManyRedirects(limit) => write!(f, "more than {limit} redirects"),
            Error::InsecureRedirect(to) => {
                write!(
                    f,
                    "refused a redirect from https to {to} (it would leave TLS)"
                )
            }
            Error::Internal(why) => write!(f, "internal error: {why}"),
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateError::UnknownIssuer => {
                f.write_str("unable to get local issuer certificate")
            }
            CertificateError::SelfSigned => f.write_str("self-signed certificate"),
            CertificateError::Expired { time, not_after } => write!(
                f,
                "certificate has expired (notAfter {not_after}, time used {time}, Unix seconds)"
            ),
            CertificateError::NotYetValid { time, not_before } => write!(
                f,
                "certificate is not yet valid (notBefore {not_before}, time used {time}, Unix seconds)"
            ),
            CertificateError::NameMismatch {
                expected,
                presented,
            } => write!(
                f,
                "hostname mismatch, certificate is not valid for '{expected}' (valid for: {})",
                presented.join(", ")
            ),
            CertificateError::BadSignature => f.write_str("certificate signature failure"),
            CertificateError::UnsupportedSignatureAlgorithm => {
                f.write_str("unsupported certificate signature algorithm")
            }
            CertificateError::Revoked => f.write_str("certificate revoked"),
            CertificateError::InvalidPurpose => {
                f.write_str("unsupported certificate purpose (not for TLS server authentication)")
            }
            CertificateError::UnhandledCriticalExtension => {
                f.write_str("unhandled critical extension")
            }
            CertificateError::BadEncoding => f.write_str("certificate is not valid DER"),
            CertificateError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// The result type of the component's core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::{ServerName, UnixTime};
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

    #[test]
    fn timed_out_io_is_a_timeout_and_others_terminate() {
        assert_eq!(
            Error::from_receive(io::Error::from(io::ErrorKind::TimedOut)),
            Error::Timeout
        );
        assert!(matches!(
            Error::from_receive(io::Error::from(io::ErrorKind::ConnectionReset)),
            Error::ConnectionTerminated(_)
        ));
    }
}
