//! The error of a request: the client's `error-code`, with its message.

use std::fmt;

use crate::bindings::verified::https::client::{self, ErrorCode};

/// Why a request failed: the client's `error-code` and the client's one-line message for it
/// (`describe-error`, the wording every host and guest shows).
#[derive(Debug, Clone)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// The client's error case, for programs that decide on it.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// Whether the server's certificate chain or name was refused (`tls-certificate-error`).
    pub fn is_certificate_error(&self) -> bool {
        matches!(self.code, ErrorCode::TlsCertificateError(_))
    }

    /// The exit code `https-get` (and curl) use for this error: 60 for a refused certificate,
    /// 77 when there are no usable trust anchors, 3 for a bad URL, 6, 7, 28, 35, … as
    /// `../shared/DESIGN.md` lists them, and 1 where none applies.
    pub fn exit_code(&self) -> u8 {
        match &self.code {
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
            | ErrorCode::HttpResponseChunkLineSize(_)
            | ErrorCode::TooManyInterimResponses(_) => 8,
            ErrorCode::HttpResponseBodySize(_) => 63,
            ErrorCode::HttpResponseIncomplete(_) => 18,
            ErrorCode::ConnectionTerminated(_) => 56,
            ErrorCode::TooManyRedirects(_) => 47,
            ErrorCode::InvalidClientIdentity(_) => 58,
            ErrorCode::PinMismatch(_) => 90,
            ErrorCode::ContentDecodingError(_) => 61,
            ErrorCode::BodyNotReplayable(_) => 65,
            ErrorCode::ProxyError(_) => 56,
            // The refused https-to-http redirect, internal errors, and cases that later
            // versions of the client add: curl has no code of their own for them.
            _ => 1,
        }
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        let message = client::describe_error(&code);
        Self { code, message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// The error inside an `io::Error` (kind `Other`): `get_ref()` and `downcast` give it back.
    fn from(err: Error) -> Self {
        std::io::Error::other(err)
    }
}
