//! The core's one error type and its wording, made once: every host and guest shows these
//! messages (the WIT exports them as `describe-error`). Foreign errors become these in one
//! place each: rustls's in [`crate::tls`], the transport's in [`crate::net`]; the glue maps
//! them to the WIT `error-code`.

use std::fmt;

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
    /// More interim (1xx) responses than the limit before the final one.
    TooManyInterimResponses(u32),
    /// The body exceeds the limit (bytes).
    BodyTooLarge(u64),
    /// The body's content coding could not be undone (a corrupt or truncated stream).
    ContentDecoding(String),
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
    /// A 307/308 redirect (the target) would send a streamed body again, which cannot be.
    BodyNotReplayable(String),
    /// The proxy refused the tunnel.
    Proxy {
        /// The proxy's status code.
        status: u16,
        /// Its reason phrase.
        reason: String,
    },
    /// The client certificate or key cannot be used.
    InvalidClientIdentity(String),
    /// The server's key is not one of the pinned ones (SHA-256 digests of SubjectPublicKeyInfo).
    PinMismatch {
        /// The digest of the server's key.
        presented: Vec<u8>,
        /// The digests pinned.
        pinned: Vec<Vec<u8>>,
    },
    /// The HTTP/2 connection or the request's stream failed (`http2`, with the feature `http2`).
    Http2(Http2Error),
    /// An unexpected condition; a bug.
    Internal(String),
}

/// Why an HTTP/2 exchange failed: what the server said (GOAWAY, RST_STREAM, with the error
/// code of RFC 9113 section 7), or which of the client's limits on a hostile server it broke.
/// A header section over the limit is [`Error::HeaderSectionTooLarge`], as for HTTP/1.1.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Http2Error {
    /// The server closed the connection with GOAWAY and this error code before the response
    /// was complete.
    GoAway(u32),
    /// The server reset the request's stream (RST_STREAM) with this error code.
    StreamReset(u32),
    /// A frame longer than the limit (bytes) the client announced (SETTINGS_MAX_FRAME_SIZE).
    FrameTooLarge(u32),
    /// A header block split into more CONTINUATION frames than the limit.
    ContinuationFlood(u32),
    /// More RST_STREAM frames on one connection than the limit (a rapid-reset flood).
    ResetFlood(u32),
    /// The server tried to open a stream of its own (PUSH_PROMISE): the client accepts none
    /// (SETTINGS_ENABLE_PUSH 0, at most 0 concurrent streams from the server).
    PushRefused,
    /// Another violation of HTTP/2 (h2's description).
    Protocol(String),
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
            Error::TooManyInterimResponses(limit) => {
                write!(f, "more than {limit} interim (1xx) responses")
            }
            Error::BodyTooLarge(limit) => write!(f, "response body exceeds {limit} bytes"),
            Error::ContentDecoding(why) => write!(f, "could not decode the response body: {why}"),
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
            Error::BodyNotReplayable(to) => write!(
                f,
                "redirected to {to}, which needs the request body again, and a streamed body \
                 cannot be sent twice"
            ),
            Error::Proxy { status, reason } => {
                write!(f, "the proxy refused the tunnel: {status} {reason}")
            }
            Error::InvalidClientIdentity(why) => write!(f, "client certificate unusable: {why}"),
            Error::PinMismatch { presented, pinned } => write!(
                f,
                "public key pin mismatch: the server's key is sha256//{}, pinned: {}",
                Base64(presented),
                pinned
                    .iter()
                    .map(|pin| format!("sha256//{}", Base64(pin)))
                    .collect::<Vec<_>>()
                    .join(";")
            ),
            Error::Http2(why) => write!(f, "HTTP/2 error: {why}"),
            Error::Internal(why) => write!(f, "internal error: {why}"),
        }
    }
}

impl fmt::Display for Http2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Http2Error::GoAway(code) => write!(
                f,
                "the server closed the connection (GOAWAY {})",
                Http2Code(*code)
            ),
            Http2Error::StreamReset(code) => write!(
                f,
                "the server reset the stream (RST_STREAM {})",
                Http2Code(*code)
            ),
            Http2Error::FrameTooLarge(limit) => write!(f, "a frame exceeds {limit} bytes"),
            Http2Error::ContinuationFlood(limit) => {
                write!(f, "a header block in more than {limit} CONTINUATION frames")
            }
            Http2Error::ResetFlood(limit) => {
                write!(f, "more than {limit} RST_STREAM frames on one connection")
            }
            Http2Error::PushRefused => {
                f.write_str("the server pushed a stream (PUSH_PROMISE), which the client refuses")
            }
            Http2Error::Protocol(why) => f.write_str(why),
        }
    }
}

/// An HTTP/2 error code by its name in RFC 9113 section 7 (its number if unknown).
struct Http2Code(u32);

impl fmt::Display for Http2Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        match usize::try_from(self.0).ok().and_then(|i| NAMES.get(i)) {
            Some(name) => f.write_str(name),
            None => write!(f, "error code {:#x}", self.0),
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
                "certificate has expired (notAfter {}, checked at {})",
                Utc(*not_after),
                Utc(*time)
            ),
            CertificateError::NotYetValid { time, not_before } => write!(
                f,
                "certificate is not yet valid (notBefore {}, checked at {})",
                Utc(*not_before),
                Utc(*time)
            ),
            CertificateError::NameMismatch {
                expected,
                presented,
            } if presented.is_empty() => write!(
                f,
                "hostname mismatch, certificate is not valid for '{expected}' (it is valid for no names)"
            ),
            CertificateError::NameMismatch {
                expected,
                presented,
            } => write!(
                f,
                "hostname mismatch, certificate is not valid for '{expected}' (it is valid for {})",
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

/// Bytes shown in standard base64 with padding (as curl's `sha256//` pins are written).
pub(crate) struct Base64<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for chunk in self.0.chunks(3) {
            let bytes = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
            for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
                let c = if i <= chunk.len() {
                    char::from(ALPHABET[(n >> shift & 63) as usize])
                } else {
                    '='
                };
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch, shown as UTC (`2025-01-02T03:04:05Z`).
struct Utc(u64);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs) = (self.0 / 86_400, self.0 % 86_400);
        // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
        let z = days + 719_468;
        let era = z / 146_097;
        let day_of_era = z % 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + u64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3_600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// The result type of the component's core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_shown_in_base64_as_curl_writes_them() {
        assert_eq!(Base64(b"").to_string(), "");
        assert_eq!(Base64(b"f").to_string(), "Zg==");
        assert_eq!(Base64(b"fo").to_string(), "Zm8=");
        assert_eq!(Base64(b"foo").to_string(), "Zm9v");
        assert_eq!(Base64(b"foobar").to_string(), "Zm9vYmFy");
        assert_eq!(Base64(&[0xff; 32]).to_string().len(), 44);
    }

    #[test]
    fn http2_error_codes_are_shown_by_their_rfc_names() {
        let reset = Error::Http2(Http2Error::StreamReset(8));
        assert_eq!(
            reset.to_string(),
            "HTTP/2 error: the server reset the stream (RST_STREAM CANCEL)"
        );
        assert!(
            Error::Http2(Http2Error::GoAway(0x99))
                .to_string()
                .ends_with("(GOAWAY error code 0x99)")
        );
    }

    #[test]
    fn times_are_shown_as_utc_dates() {
        assert_eq!(Utc(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc(1_609_459_200).to_string(), "2021-01-01T00:00:00Z");
        assert_eq!(Utc(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc(4_107_542_399).to_string(), "2100-02-28T23:59:59Z");
        assert_eq!(Utc(253_402_300_799).to_string(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn an_expired_certificate_names_both_times() {
        let err = Error::Certificate(CertificateError::Expired {
            time: 1_609_459_201,
            not_after: 1_609_459_200,
        });
        assert_eq!(
            err.to_string(),
            "certificate verify failed: certificate has expired \
             (notAfter 2021-01-01T00:00:00Z, checked at 2021-01-01T00:00:01Z)"
        );
    }

    #[test]
    fn a_name_mismatch_names_what_the_certificate_is_valid_for() {
        let mismatch = |presented: &[&str]| {
            Error::Certificate(CertificateError::NameMismatch {
                expected: "b.test".into(),
                presented: presented.iter().map(|n| n.to_string()).collect(),
            })
            .to_string()
        };
        assert!(
            mismatch(&["a.test", "127.0.0.1"]).ends_with("(it is valid for a.test, 127.0.0.1)")
        );
        assert!(mismatch(&[]).ends_with("(it is valid for no names)"));
    }
}
