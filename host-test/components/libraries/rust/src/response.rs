//! The response: its head, and its body as `std::io::Read`.

use std::io::{self, Read};

use crate::bindings::verified::https::client::{self, Header, TlsInfo};
use crate::error::Error;

/// The most body bytes asked of the client in one read.
const MAX_READ: usize = 64 * 1024;

/// A response whose head has arrived. The body is read through [`Read`], in pieces as the
/// server sends it; a body that ends before its framing says it is complete is an error
/// (an `io::Error` holding this crate's [`Error`]), never a shorter success.
pub struct Response {
    inner: client::Response,
    finished: bool,
}

impl Response {
    /// Wraps the client's response.
    pub(crate) fn new(inner: client::Response) -> Self {
        Self {
            inner,
            finished: false,
        }
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.inner.status()
    }

    /// The reason phrase (may be empty).
    pub fn reason(&self) -> String {
        self.inner.reason()
    }

    /// The URL this response answers (after any redirects followed).
    pub fn url(&self) -> String {
        self.inner.url()
    }

    /// The header fields, in the order received.
    pub fn headers(&self) -> Vec<Header> {
        self.inner.headers()
    }

    /// The value of the first header field called `name` (in any case), if there is one.
    pub fn header(&self, name: &str) -> Option<Vec<u8>> {
        self.inner
            .headers()
            .into_iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
            .map(|field| field.value)
    }

    /// The TLS details, or none for an `http://` URL.
    pub fn tls(&self) -> Option<TlsInfo> {
        self.inner.tls()
    }

    /// Whether the server's chain and name were verified (false through
    /// [`Context::dangerous_unverified`](crate::Context::dangerous_unverified) and for
    /// `http://`).
    pub fn verified(&self) -> bool {
        self.inner.tls().is_some_and(|tls| tls.verified)
    }

    /// The next piece of the body, at most `max_bytes` long; `None` once it is complete.
    pub fn read_piece(&mut self, max_bytes: usize) -> Result<Option<Vec<u8>>, Error> {
        if self.finished {
            return Ok(None);
        }
        let max = u32::try_from(max_bytes.max(1)).unwrap_or(u32::MAX);
        let piece = self.inner.read_body(max)?;
        self.finished = piece.is_none();
        Ok(piece)
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.read_piece(buf.len().min(MAX_READ))? {
                None => return Ok(0),
                Some(piece) if piece.is_empty() => continue,
                Some(piece) => {
                    let n = piece.len().min(buf.len());
                    buf[..n].copy_from_slice(&piece[..n]);
                    return Ok(n);
                }
            }
        }
    }
}
