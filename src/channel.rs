//! A connection as the HTTP layer sees it: plain TCP for `http://`, TLS over it for
//! `https://`. It opens (connects TLS for the target's name), writes, and reads, saying how a
//! stream ended; HTTP framing is not its business.

use std::io::{Read, Write};

use rustls_pki_types::CertificateDer;

use crate::error::{Error, Result};
use crate::net::{Phase, transport_error};
use crate::target::{Scheme, Target};
use crate::tls::stream::{Plaintext, TlsStream};
use crate::tls::{Policy, TlsInfo};

/// A connection that carries exchanges: plain TCP or TLS over it.
pub enum Channel<T> {
    /// `http://`: bytes as they are.
    Plain(T),
    /// `https://`: rustls over the transport.
    Tls(Box<TlsStream<T>>),
}

/// What one read from a channel gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Some bytes.
    Data(usize),
    /// The peer ended the stream properly (TLS close_notify, or TCP FIN on plain HTTP).
    CleanEnd,
    /// The stream ended without close_notify.
    UncleanEnd,
}

impl<T: Read + Write> Channel<T> {
    /// Opens a channel for `target` over a connected transport; for https, performs the TLS
    /// handshake with `policy`, verifying (or not) as it says.
    pub fn open(target: &Target, io: T, policy: Option<&Policy>) -> Result<Self> {
        match (target.scheme, policy) {
            (Scheme::Http, _) => Ok(Channel::Plain(io)),
            (Scheme::Https, Some(policy)) => Ok(Channel::Tls(Box::new(TlsStream::connect(
                policy,
                target.server_name()?,
                io,
            )?))),
            (Scheme::Https, None) => {
                Err(Error::Internal("https without a TLS configuration".into()))
            }
        }
    }

    /// The transport under the channel (to change its time limits between phases).
    pub fn transport_mut(&mut self) -> &mut T {
        match self {
            Channel::Plain(io) => io,
            Channel::Tls(tls) => tls.transport_mut(),
        }
    }

    /// Whether input is waiting (as `transport_has_input` finds on the transport): bytes, or
    /// for TLS plaintext, the server's close or a failure; TLS records that carry none
    /// (session tickets arriving late) are taken in and do not count. An idle channel with
    /// input must not carry another request.
    pub fn has_input(&mut self, mut transport_has_input: impl FnMut(&mut T) -> bool) -> bool {
        match self {
            Channel::Plain(io) => transport_has_input(io),
            Channel::Tls(tls) => tls.has_input(transport_has_input),
        }
    }

    /// The server's chain as the resumed session remembers it, if the TLS handshake resumed a
    /// session (and so verified nothing itself).
    pub fn resumed_chain(&self) -> Option<&[CertificateDer<'static>]> {
        match self {
            Channel::Plain(_) => None,
            Channel::Tls(tls) => tls.resumed_chain(),
        }
    }

    /// The TLS details, for TLS channels.
    pub fn tls_info(&self, verified: bool) -> Option<TlsInfo> {
        match self {
            Channel::Plain(_) => None,
            Channel::Tls(tls) => Some(tls.info(verified)),
        }
    }

    /// Sends all of `data`.
    pub fn write_all(&mut self, data: &[u8]) -> Result<()> {
        let sent = match self {
            Channel::Plain(io) => io.write_all(data).and_then(|()| io.flush()),
            Channel::Tls(tls) => tls.write_all(data),
        };
        sent.map_err(|e| transport_error(Phase::Sending, e))
    }

    /// Sends `parts` one after another as one flight (a chunk's size line, its bytes and its
    /// CRLF), without joining them first.
    pub fn write_parts(&mut self, parts: &[&[u8]]) -> Result<()> {
        let sent = match self {
            Channel::Plain(io) => parts
                .iter()
                .try_for_each(|part| io.write_all(part))
                .and_then(|()| io.flush()),
            Channel::Tls(tls) => tls.write_parts(parts),
        };
        sent.map_err(|e| transport_error(Phase::Sending, e))
    }

    /// Reads what arrives next into `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<Received> {
        match self {
            Channel::Plain(io) => match io.read(buf) {
                Ok(0) => Ok(Received::CleanEnd),
                Ok(n) => Ok(Received::Data(n)),
                Err(e) => Err(transport_error(Phase::Receiving, e)),
            },
            Channel::Tls(tls) => Ok(match tls.read(buf)? {
                Plaintext::Data(n) => Received::Data(n),
                Plaintext::CloseNotify => Received::CleanEnd,
                Plaintext::Truncated => Received::UncleanEnd,
            }),
        }
    }
}

/// The byte stream a channel runs over: a TCP connection (to the server, or to an http://
/// proxy whose tunnel it now is), or TLS to an https:// proxy, whose tunnel carries the
/// server's own TLS inside it.
pub enum Link<T> {
    /// TCP.
    Tcp(T),
    /// TLS to a proxy, the tunnel inside it.
    ProxyTls(Box<TlsStream<T>>),
}

impl<T: Read + Write> Link<T> {
    /// The TCP connection underneath (to change its time limits).
    pub fn tcp_mut(&mut self) -> &mut T {
        match self {
            Link::Tcp(io) => io,
            Link::ProxyTls(tls) => tls.transport_mut(),
        }
    }

    /// Whether input is waiting (as `tcp_has_input` finds on the TCP connection): bytes, or
    /// through a TLS proxy the tunnel's bytes, its close or a failure (the proxy's own
    /// tickets do not count, so that reading the tunnel then does not wait).
    pub fn has_input(&mut self, mut tcp_has_input: impl FnMut(&mut T) -> bool) -> bool {
        match self {
            Link::Tcp(io) => tcp_has_input(io),
            Link::ProxyTls(tls) => tls.has_input(tcp_has_input),
        }
    }
}

/// The core's error as an I/O error, for a TLS stream running inside the proxy's: a passed
/// deadline stays a timeout.
fn io_error(err: Error) -> std::io::Error {
    match err {
        Error::Timeout => std::io::ErrorKind::TimedOut.into(),
        other => std::io::Error::other(other.to_string()),
    }
}

impl<T: Read + Write> Read for Link<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Link::Tcp(io) => io.read(buf),
            // The proxy's TLS ending, cleanly or not, ends the tunnel: the server's TLS inside
            // it tells a truncated response from a complete one.
            Link::ProxyTls(tls) => match tls.read(buf).map_err(io_error)? {
                Plaintext::Data(n) => Ok(n),
                Plaintext::CloseNotify | Plaintext::Truncated => Ok(0),
            },
        }
    }
}

impl<T: Read + Write> Write for Link<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Link::Tcp(io) => io.write(buf),
            Link::ProxyTls(tls) => tls.write_all(buf).map(|()| buf.len()),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Link::Tcp(io) => io.write_all(buf),
            Link::ProxyTls(tls) => tls.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Link::Tcp(io) => io.flush(),
            Link::ProxyTls(_) => Ok(()),
        }
    }
}
