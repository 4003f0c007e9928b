//! The error of a request: the client's `error-code`, with its message.

use std::fmt;

use crate::bindings::verified::https::client::{self, ErrorCode, Http2Error};

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
    /// 77 when there are no usable trust anchors, 3 for a bad URL, 6, 7, 28, 35, 92, … as
    /// `host-test/exit_code_table.rs` (shared with `https-get`) lists them.
    pub fn exit_code(&self) -> u8 {
        let err = &self.code;
        include!("../../../../exit_code_table.rs")
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
