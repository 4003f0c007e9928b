//! A connection as the HTTP layer sees it: plain TCP for `http://`, TLS over it for
//! `https://`. It opens (connects TLS for the target's name), writes, and reads, saying how a
//! stream ended; HTTP framing is not its business.

use std::io;

use rustls_pki_types::CertificateDer;

use crate::error::{Error, Result};
use crate::net::{Phase, Transport, transport_error};
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

impl<T: Transport> Channel<T> {
    /// Opens a channel for `target` over a connected transport; for https, performs the TLS
    /// handshake with `policy`, verifying (or not) as it says.
    pub async fn open(target: &Target, io: T, policy: Option<&Policy>) -> Result<Self> {
        match (target.scheme, policy) {
            (Scheme::Http, _) => Ok(Channel::Plain(io)),
            (Scheme::Https, Some(policy)) => Ok(Channel::Tls(Box::new(
                TlsStream::connect(policy, target.server_name()?, io).await?,
            ))),
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

    /// Whether input is waiting (as the transport's `has_input` finds): bytes, or for TLS
    /// plaintext, the server's close or a failure; TLS records that carry none (session
    /// tickets arriving late) are taken in and do not count. An idle channel with input must
    /// not carry another request.
    pub async fn has_input(&mut self) -> bool {
        match self {
            Channel::Plain(io) => io.has_input().await,
            Channel::Tls(tls) => tls.has_input().await,
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
    pub async fn write_all(&mut self, data: &[u8]) -> Result<()> {
        let sent = match self {
            Channel::Plain(io) => match io.write_all(data).await {
                Ok(()) => io.flush().await,
                Err(e) => Err(e),
            },
            Channel::Tls(tls) => tls.write_all(data).await,
        };
        sent.map_err(|e| transport_error(Phase::Sending, e))
    }

    /// Sends `parts` one after another as one flight (a chunk's size line, its bytes and its
    /// CRLF), without joining them first.
    pub async fn write_parts(&mut self, parts: &[&[u8]]) -> Result<()> {
        let sent = match self {
            Channel::Plain(io) => write_parts_plain(io, parts).await,
            Channel::Tls(tls) => tls.write_parts(parts).await,
        };
        sent.map_err(|e| transport_error(Phase::Sending, e))
    }

    /// Reads what arrives next into `buf`.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<Received> {
        match self {
            Channel::Plain(io) => match io.read(buf).await {
                Ok(0) => Ok(Received::CleanEnd),
                Ok(n) => Ok(Received::Data(n)),
                Err(e) => Err(transport_error(Phase::Receiving, e)),
            },
            Channel::Tls(tls) => Ok(match tls.read(buf).await? {
                Plaintext::Data(n) => Received::Data(n),
                Plaintext::CloseNotify => Received::CleanEnd,
                Plaintext::Truncated => Received::UncleanEnd,
            }),
        }
    }
}

/// Writes `parts` one after another over a plain transport, then flushes.
async fn write_parts_plain<T: Transport>(io: &mut T, parts: &[&[u8]]) -> io::Result<()> {
    for part in parts {
        io.write_all(part).await?;
    }
    io.flush().await
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

impl<T: Transport> Link<T> {
    /// The TCP connection underneath (to change its time limits).
    pub fn tcp_mut(&mut self) -> &mut T {
        match self {
            Link::Tcp(io) => io,
            Link::ProxyTls(tls) => tls.transport_mut(),
        }
    }
}

/// The core's error as an I/O error, for a TLS stream running inside the proxy's: a passed
/// deadline stays a timeout.
fn io_error(err: Error) -> io::Error {
    match err {
        Error::Timeout => io::ErrorKind::TimedOut.into(),
        other => io::Error::other(other.to_string()),
    }
}

impl<T: Transport> Transport for Link<T> {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Link::Tcp(io) => io.read(buf).await,
            // The proxy's TLS ending, cleanly or not, ends the tunnel: the server's TLS inside
            // it tells a truncated response from a complete one.
            Link::ProxyTls(tls) => match tls.read(buf).await.map_err(io_error)? {
                Plaintext::Data(n) => Ok(n),
                Plaintext::CloseNotify | Plaintext::Truncated => Ok(0),
            },
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Link::Tcp(io) => io.write_all(data).await,
            Link::ProxyTls(tls) => tls.write_all(data).await,
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Link::Tcp(io) => io.flush().await,
            Link::ProxyTls(_) => Ok(()),
        }
    }

    /// Bytes on the TCP connection, or through a TLS proxy the tunnel's bytes, its close or a
    /// failure (the proxy's own tickets do not count, so that reading the tunnel then does
    /// not wait).
    async fn has_input(&mut self) -> bool {
        match self {
            Link::Tcp(io) => io.has_input().await,
            Link::ProxyTls(tls) => tls.has_input().await,
        }
    }
}
