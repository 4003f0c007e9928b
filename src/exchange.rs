//! One request/response exchange over any byte transport (`Read + Write`): the TLS record
//! pump, the response head, and the body read in pieces. The glue supplies a `wasi:sockets`
//! transport; tests supply a std `TcpStream`.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rustls::{ClientConfig, ClientConnection};
use rustls_pki_types::ServerName;

use crate::body::BodyDecoder;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::request::Request;
use crate::response::{BodyFraming, ResponseHead, take_final_head};
use crate::target::{Host, Scheme, Target};
use crate::tls::TlsInfo;

/// How many ciphertext or plaintext bytes are read from the transport at a time.
const READ_CHUNK: usize = 16 * 1024;

/// A connection that carries one exchange: plain TCP or TLS over it.
pub enum Channel<T> {
    /// `http://`: bytes as they are.
    Plain(T),
    /// `https://`: rustls over the transport.
    Tls(Box<TlsChannel<T>>),
}

/// rustls driven over a blocking transport, writing each flight of records in one write.
pub struct TlsChannel<T> {
    conn: ClientConnection,
    io: T,
    outgoing: Vec<u8>,
}

/// What one read from a channel gave.
enum Received {
    /// Some bytes.
    Data(usize),
    /// The peer ended the stream properly (TLS close_notify, or TCP FIN on plain HTTP).
    CleanEnd,
    /// The stream ended without close_notify.
    UncleanEnd,
}

impl<T: Read + Write> Channel<T> {
    /// Opens a channel for `target` over a connected transport; for https, performs the TLS
    /// handshake with `config`, verifying (or not) as it says.
    pub fn open(target: &Target, io: T, config: Option<Arc<ClientConfig>>) -> Result<Self> {
        match (target.scheme, config) {
            (Scheme::Http, _) => Ok(Channel::Plain(io)),
            (Scheme::Https, Some(config)) => {
                let name = match &target.host {
                    Host::Name(name) => ServerName::try_from(name.clone())
                        .map_err(|e| Error::InvalidUrl(format!("host {name}: {e}")))?,
                    Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
                };
                let conn = ClientConnection::new(config, name)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let mut channel = TlsChannel {
                    conn,
                    io,
                    outgoing: Vec::new(),
                };
                channel.handshake()?;
                Ok(Channel::Tls(Box::new(channel)))
            }
            (Scheme::Https, None) => {
                Err(Error::Internal("https without a TLS configuration".into()))
            }
        }
    }

    /// The transport under the channel (to change its time limits between phases).
    pub fn transport_mut(&mut self) -> &mut T {
        match self {
            Channel::Plain(io) => io,
            Channel::Tls(tls) => &mut tls.io,
        }
    }

    /// The TLS details, for TLS channels.
    pub fn tls_info(&self, verified: bool) -> Option<TlsInfo> {
        match self {
            Channel::Plain(_) => None,
            Channel::Tls(tls) => Some(TlsInfo::of(&tls.conn, verified)),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<()> {
        let sent = match self {
            Channel::Plain(io) => io.write_all(data).and_then(|()| io.flush()),
            Channel::Tls(tls) => tls.write_all(data),
        };
        sent.map_err(|e| match e.kind() {
            io::ErrorKind::TimedOut => Error::Timeout,
            _ => Error::ConnectionTerminated(format!("sending the request: {e}")),
        })
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<Received> {
        match self {
            Channel::Plain(io) => match io.read(buf) {
                Ok(0) => Ok(Received::CleanEnd),
                Ok(n) => Ok(Received::Data(n)),
                Err(e) => Err(Error::from_receive(e)),
            },
            Channel::Tls(tls) => tls.read(buf),
        }
    }
}

impl<T: Read + Write> TlsChannel<T> {
    fn handshake(&mut self) -> Result<()> {
        let failed = |e: io::Error| match e.kind() {
            io::ErrorKind::TimedOut => Error::Timeout,
            _ => Error::TlsProtocol(format!("connection failed during the TLS handshake: {e}")),
        };
        while self.conn.is_handshaking() {
            self.flush().map_err(failed)?;
            if self.conn.is_handshaking() && self.conn.wants_read() {
                if self.read_records().map_err(failed)? == 0 {
                    return Err(Error::TlsProtocol(
                        "the server closed the connection during the TLS handshake".into(),
                    ));
                }
                self.process()?;
            }
        }
        // The client's last flight (its Finished, in TLS 1.3) stays buffered and leaves with
        // the request in one write: sent alone, with no TCP_NODELAY in wasi:sockets, Nagle would
        // hold the request back until the server's delayed ACK (~40 ms) whenever the server has
        // nothing to send after its own Finished (no session tickets).
        Ok(())
    }

    /// Encrypts and sends `data`. rustls buffers a bounded amount of plaintext, so a large body
    /// goes in pieces; a request that fits leaves in one transport write.
    fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let accepted = self.conn.writer().write(data)?;
            data = &data[accepted..];
            self.flush()?;
        }
        Ok(())
    }

    /// Writes every pending TLS record in one transport write.
    fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.outgoing)?;
        }
        if !self.outgoing.is_empty() {
            self.io.write_all(&self.outgoing)?;
            self.io.flush()?;
            self.outgoing.clear();
        }
        Ok(())
    }

    fn read_records(&mut self) -> io::Result<usize> {
        self.conn.read_tls(&mut self.io)
    }

    /// Processes received records; on a TLS error, sends the alert rustls queued, then fails.
    fn process(&mut self) -> Result<()> {
        match self.conn.process_new_packets() {
            Ok(_) => Ok(()),
            Err(err) => {
                let _ = self.flush();
                Err(Error::from_tls(err))
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<Received> {
        loop {
            match self.conn.reader().read(buf) {
                Ok(0) => return Ok(Received::CleanEnd),
                Ok(n) => return Ok(Received::Data(n)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Received::UncleanEnd);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::ConnectionTerminated(e.to_string())),
            }
            self.read_records().map_err(Error::from_receive)?;
            self.process()?;
            // Key updates and the like may need an answer.
            self.flush().map_err(Error::from_receive)?;
        }
    }
}

/// A response whose head has been read; its body is read in pieces.
pub struct Response<T> {
    /// The final (non-1xx) response head.
    pub head: ResponseHead,
    /// TLS details, for https.
    pub tls: Option<TlsInfo>,
    channel: Channel<T>,
    decoder: BodyDecoder,
    /// Whether the connection may carry another request once this body is read.
    reusable: bool,
    /// Received bytes not yet decoded, from `start`.
    pending: Vec<u8>,
    start: usize,
    /// Where received bytes land first (allocated once per response).
    scratch: Vec<u8>,
    ended: Option<bool>,
}

/// Sends `request` over `channel` and reads the response head, skipping interim responses.
pub fn exchange<T: Read + Write>(
    mut channel: Channel<T>,
    target: &Target,
    request: &Request,
    verified: bool,
    limits: &Limits,
) -> Result<Response<T>> {
    let bytes = request.encode(target)?;
    channel.write_all(&bytes)?;
    let tls = channel.tls_info(verified);
    let mut pending = Vec::with_capacity(READ_CHUNK);
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        if let Some((head, framing)) = take_final_head(&mut pending, request.is_head(), limits)? {
            // After HEAD a server may wrongly send a body anyway; its bytes could arrive later
            // and be read as the next response, so such a connection is not reused.
            let reusable =
                head.allows_reuse() && framing != BodyFraming::CloseDelimited && !request.is_head();
            return Ok(Response {
                head,
                tls,
                channel,
                decoder: BodyDecoder::new(framing, limits)?,
                reusable,
                pending,
                start: 0,
                scratch: chunk,
                ended: None,
            });
        }
        match channel.read(&mut chunk)? {
            Received::Data(n) => pending.extend_from_slice(&chunk[..n]),
            Received::CleanEnd | Received::UncleanEnd if pending.is_empty() => {
                return Err(Error::ConnectionTerminated(
                    "the server closed the connection without sending a response".into(),
                ));
            }
            Received::CleanEnd | Received::UncleanEnd => {
                return Err(Error::HttpProtocol(
                    "the connection closed inside the response head".into(),
                ));
            }
        }
    }
}

impl<T: Read + Write> Response<T> {
    /// Reads at most `max` bytes of the body; `None` once the body is complete. A connection
    /// that ends before the body's framing is satisfied is an error.
    pub fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            if self.decoder.is_complete() {
                return Ok(None);
            }
            if self.start < self.pending.len() {
                let used =
                    self.decoder
                        .decode(&self.pending[self.start..], &mut out, max.max(1))?;
                self.start += used;
                if self.start == self.pending.len() {
                    self.pending.clear();
                    self.start = 0;
                }
                if !out.is_empty() {
                    return Ok(Some(out));
                }
                if self.decoder.is_complete() || self.start < self.pending.len() && used > 0 {
                    continue;
                }
            }
            if let Some(clean) = self.ended {
                self.decoder.finish(clean)?;
                continue;
            }
            self.receive(&mut out, max.max(1))?;
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }

    /// The connection, once the body has been read completely, if the server allows another
    /// request on it and sent nothing beyond the response.
    pub fn into_idle_channel(self) -> Option<Channel<T>> {
        let clean = self.decoder.is_complete() && self.start == self.pending.len();
        (clean && self.reusable && self.ended.is_none()).then_some(self.channel)
    }

    /// Receives more of the response. With nothing pending, the bytes are decoded straight
    /// from the scratch buffer into `out` (a copy less per record in bulk transfers); what the
    /// decoder leaves waits in `pending`.
    fn receive(&mut self, out: &mut Vec<u8>, max: usize) -> Result<()> {
        let n = match self.channel.read(&mut self.scratch)? {
            Received::Data(n) => n,
            Received::CleanEnd => {
                self.ended = Some(true);
                return Ok(());
            }
            Received::UncleanEnd => {
                self.ended = Some(false);
                return Ok(());
            }
        };
        let used = if self.pending.is_empty() {
            self.decoder.decode(&self.scratch[..n], out, max)?
        } else {
            0
        };
        self.pending.extend_from_slice(&self.scratch[used..n]);
        Ok(())
    }
}
