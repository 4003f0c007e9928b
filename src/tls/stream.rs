//! rustls driven over an async [`Transport`]: the handshake, then records in and out, each
//! flight of records sent in one transport write (wasi:sockets has no TCP_NODELAY, so a flight
//! split in two waits for the server's delayed ACK). rustls itself stays sans-IO: received
//! bytes wait in a buffer of the stream's until rustls takes them.

use std::io::{self, Read, Write};

use rustls::ClientConnection;
use rustls_pki_types::{CertificateDer, ServerName};

use super::{Policy, TlsInfo};
use crate::error::{Error, Result};
use crate::net::{Phase, Transport, transport_error};

/// How many bytes are asked of the transport at a time.
const RECEIVE_CHUNK: usize = 16 * 1024;

/// A TLS client connection over a transport.
pub struct TlsStream<T> {
    conn: ClientConnection,
    io: T,
    /// Records waiting to leave in the next transport write.
    outgoing: Vec<u8>,
    /// Where bytes from the transport land (allocated at the first read); those rustls has not
    /// taken yet are `incoming[incoming_at..incoming_end]`.
    incoming: Vec<u8>,
    incoming_at: usize,
    incoming_end: usize,
    /// Whether the handshake sent the client's certificate.
    client_certificate_sent: bool,
}

/// What one read of plaintext gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plaintext {
    /// Some bytes.
    Data(usize),
    /// The server closed the TLS connection with close_notify.
    CloseNotify,
    /// The transport ended without close_notify.
    Truncated,
}

impl<T: Transport> TlsStream<T> {
    /// Performs the handshake for `name` with `policy`'s configuration over the connected
    /// transport `io`.
    pub async fn connect(policy: &Policy, name: ServerName<'static>, io: T) -> Result<Self> {
        let config = policy.config.clone();
        let conn =
            ClientConnection::new(config, name).map_err(|e| Error::Internal(e.to_string()))?;
        let mut stream = TlsStream {
            conn,
            io,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            incoming_at: 0,
            incoming_end: 0,
            client_certificate_sent: false,
        };
        stream.handshake().await?;
        stream.client_certificate_sent = policy.take_client_certificate_sent();
        Ok(stream)
    }

    /// The transport under the TLS connection.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Whether input is waiting that the next read would take: plaintext, the peer's close
    /// or a failure. Records that carry none (session tickets, key updates) waiting on the
    /// transport (as its `has_input` finds without waiting) are taken in first, so that a
    /// server's late tickets do not retire an idle connection.
    pub async fn has_input(&mut self) -> bool {
        loop {
            if self.has_buffered_input() {
                return true;
            }
            if self.incoming_at == self.incoming_end && !self.io.has_input().await {
                return false;
            }
            match self.read_records().await {
                // The transport's end, or its failure: the next read would see it.
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    }

    /// Whether rustls holds input not yet read: plaintext, or the peer's close_notify (or a
    /// record that fails).
    fn has_buffered_input(&mut self) -> bool {
        match self.conn.process_new_packets() {
            Ok(state) => state.plaintext_bytes_to_read() > 0 || state.peer_has_closed(),
            Err(_) => true,
        }
    }

    /// The server's chain, if the handshake resumed a session.
    pub fn resumed_chain(&self) -> Option<&[CertificateDer<'static>]> {
        if self.conn.handshake_kind() != Some(rustls::HandshakeKind::Resumed) {
            return None;
        }
        Some(self.conn.peer_certificates().unwrap_or_default())
    }

    /// The TLS details of the established connection.
    pub fn info(&self, verified: bool) -> TlsInfo {
        TlsInfo::of(&self.conn, verified, self.client_certificate_sent)
    }

    async fn handshake(&mut self) -> Result<()> {
        let failed = |e| transport_error(Phase::Handshake, e);
        while self.conn.is_handshaking() {
            self.flush().await.map_err(failed)?;
            if self.conn.is_handshaking() && self.conn.wants_read() {
                if self.read_records().await.map_err(failed)? == 0 {
                    return Err(Error::TlsProtocol(
                        "the server closed the connection during the TLS handshake".into(),
                    ));
                }
                self.process().await?;
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
    pub async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let accepted = self.conn.writer().write(data)?;
            data = &data[accepted..];
            self.flush().await?;
        }
        Ok(())
    }

    /// Encrypts and sends `parts` one after another, sending records whenever rustls's buffer
    /// is full and once at the end, so that small parts leave with their neighbours.
    pub async fn write_parts(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        for part in parts {
            let mut data = *part;
            while !data.is_empty() {
                let accepted = self.conn.writer().write(data)?;
                data = &data[accepted..];
                if !data.is_empty() {
                    self.flush().await?;
                }
            }
        }
        self.flush().await
    }

    /// Writes every pending TLS record in one transport write.
    async fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.outgoing)?;
        }
        if !self.outgoing.is_empty() {
            self.io.write_all(&self.outgoing).await?;
            self.io.flush().await?;
            self.outgoing.clear();
        }
        Ok(())
    }

    /// Hands rustls received bytes, receiving more from the transport first if none wait;
    /// 0 at the transport's end.
    async fn read_records(&mut self) -> io::Result<usize> {
        if self.incoming_at == self.incoming_end {
            if self.incoming.is_empty() {
                self.incoming = vec![0; RECEIVE_CHUNK];
            }
            self.incoming_at = 0;
            self.incoming_end = 0;
            let n = self.io.read(&mut self.incoming).await?;
            if n == 0 {
                // rustls learns of the end from a read that gives nothing.
                return self.conn.read_tls(&mut &[][..]);
            }
            self.incoming_end = n;
        }
        let waiting = &self.incoming[self.incoming_at..self.incoming_end];
        let taken = self.conn.read_tls(&mut &*waiting)?;
        self.incoming_at += taken;
        Ok(taken)
    }

    /// Processes received records; on a TLS error, sends the alert rustls queued, then fails.
    async fn process(&mut self) -> Result<()> {
        match self.conn.process_new_packets() {
            Ok(_) => Ok(()),
            Err(err) => {
                let _ = self.flush().await;
                Err(Error::from_tls(err))
            }
        }
    }

    /// Reads plaintext into `buf`, receiving records until some arrive or the connection ends.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<Plaintext> {
        let failed = |e| transport_error(Phase::Receiving, e);
        loop {
            match self.conn.reader().read(buf) {
                Ok(0) => return Ok(Plaintext::CloseNotify),
                Ok(n) => return Ok(Plaintext::Data(n)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Plaintext::Truncated);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(failed(e)),
            }
            self.read_records().await.map_err(failed)?;
            self.process().await?;
            // Key updates and the like may need an answer.
            self.flush().await.map_err(failed)?;
        }
    }
}
