//! The component's `error-code` for people and scripts: a one-line message and curl's exit code.

use crate::{CertificateError, ErrorCode};

/// curl's exit code for an error (DESIGN.md: 3 bad URL, 6 resolve, 7 connect, 8 malformed reply,
/// 18 truncated, 28 timeout, 35 TLS, 56 receive, 60 certificate, 77 trust store; and curl's 63
/// for a body over the size limit, 47 for too many redirects, 1 for a refused https-to-http
/// redirect).
pub fn exit_code(err: &ErrorCode) -> u8 {
    match err {
        ErrorCode::InvalidUrl(_) => 3,
        ErrorCode::InvalidRequest(_) => 2,
        ErrorCode::TrustStoreUnavailable(_) | ErrorCode::InvalidTrustAnchors(_) => 77,
        ErrorCode::DnsError(_) => 6,
        ErrorCode::ConnectionRefused(_) | ErrorCode::DestinationUnavailable(_) => 7,
        ErrorCode::ConnectionTimeout | ErrorCode::HttpResponseTimeout => 28,
        ErrorCode::TlsCertificateError(_) => 60,
        ErrorCode::TlsAlertReceived(_) | ErrorCode::TlsProtocolError(_) => 35,
        ErrorCode::HttpProtocolError(_)
        | ErrorCode::HttpResponseHeaderSectionSize(_)
        | ErrorCode::HttpResponseHeaderCount(_)
        | ErrorCode::HttpResponseStatusLineSize(_)
        | ErrorCode::HttpResponseChunkLineSize(_) => 8,
        ErrorCode::HttpResponseBodySize(_) => 63,
        ErrorCode::HttpResponseIncomplete(_) => 18,
        ErrorCode::ConnectionTerminated(_) => 56,
        ErrorCode::TooManyRedirects(_) => 47,
        ErrorCode::InsecureRedirect(_) => 1,
        ErrorCode::InternalError(_) => 1,
    }
}

/// A one-line message for an error, in the manner of curl's and Python's.
pub fn describe(err: &ErrorCode) -> String {
    match err {
        ErrorCode::InvalidUrl(why) => format!("invalid URL: {why}"),
        ErrorCode::InvalidRequest(why) => format!("invalid request: {why}"),
        ErrorCode::TrustStoreUnavailable(why) => format!("trust store unavailable: {why}"),
        ErrorCode::InvalidTrustAnchors(why) => format!("invalid trust anchors: {why}"),
        ErrorCode::DnsError(why) => format!("could not resolve host: {why}"),
        ErrorCode::ConnectionRefused(why) => format!("connection refused: {why}"),
        ErrorCode::DestinationUnavailable(why) => format!("could not connect: {why}"),
        ErrorCode::ConnectionTimeout => "connection timed out".to_owned(),
        ErrorCode::TlsCertificateError(cert) => {
            format!("certificate verify failed: {}", describe_certificate(cert))
        }
        ErrorCode::TlsAlertReceived(alert) => format!("TLS alert received: {alert}"),
        ErrorCode::TlsProtocolError(why) => format!("TLS handshake failed: {why}"),
        ErrorCode::HttpProtocolError(why) => format!("malformed HTTP response: {why}"),
        ErrorCode::HttpResponseHeaderSectionSize(limit) => {
            format!("response header section exceeds {limit} bytes")
        }
        ErrorCode::HttpResponseHeaderCount(limit) => {
            format!("response has more than {limit} header fields")
        }
        ErrorCode::HttpResponseStatusLineSize(limit) => {
            format!("status line exceeds {limit} bytes")
        }
        ErrorCode::HttpResponseChunkLineSize(limit) => {
            format!("chunk-size line exceeds {limit} bytes")
        }
        ErrorCode::HttpResponseBodySize(limit) => {
            format!("maximum file size exceeded: the body is larger than {limit} bytes")
        }
        ErrorCode::HttpResponseIncomplete(why) => format!("transfer closed early: {why}"),
        ErrorCode::ConnectionTerminated(why) => format!("failure receiving data: {why}"),
        ErrorCode::HttpResponseTimeout => "operation timed out".to_owned(),
        ErrorCode::TooManyRedirects(limit) => format!("maximum ({limit}) redirects followed"),
        ErrorCode::InsecureRedirect(to) => {
            format!("refused a redirect from https to {to} (it would leave TLS)")
        }
        ErrorCode::InternalError(why) => format!("internal error: {why}"),
    }
}

/// Why a certificate was refused, in the words of OpenSSL's verify messages where they exist.
pub fn describe_certificate(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => "unable to get local issuer certificate".to_owned(),
        CertificateError::SelfSigned => "self-signed certificate".to_owned(),
        CertificateError::Expired(v) => format!(
            "certificate has expired (notAfter {}, checked at {})",
            utc(v.limit),
            utc(v.time_used)
        ),
        CertificateError::NotYetValid(v) => format!(
            "certificate is not yet valid (notBefore {}, checked at {})",
            utc(v.limit),
            utc(v.time_used)
        ),
        CertificateError::NameMismatch(m) => format!(
            "hostname mismatch, certificate is not valid for '{}' (it is valid for {})",
            m.expected,
            if m.presented.is_empty() {
                "no names".to_owned()
            } else {
                m.presented.join(", ")
            }
        ),
        CertificateError::BadSignature => "certificate signature failure".to_owned(),
        CertificateError::UnsupportedSignatureAlgorithm => {
            "unsupported certificate signature algorithm".to_owned()
        }
        CertificateError::Revoked => "certificate revoked".to_owned(),
        CertificateError::InvalidPurpose => {
            "unsupported certificate purpose (not for TLS server authentication)".to_owned()
        }
        CertificateError::UnhandledCriticalExtension => "unhandled critical extension".to_owned(),
        CertificateError::BadEncoding => "certificate is not valid DER".to_owned(),
        CertificateError::Other(why) => why.clone(),
    }
}

/// Unix seconds as `2025-01-02T03:04:05Z`.
fn utc(unix: u64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    i64::try_from(unix)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("{unix} (Unix seconds)"))
}
