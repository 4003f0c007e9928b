//! rustls driven over a blocking transport (`Read + Write`): the handshake, then records in
//! and out, each flight of records sent in one transport write (wasi:sockets has no
//! TCP_NODELAY, so a flight split in two waits for the server's delayed ACK).

use std::io::{self, Read, Write};

use rustls::ClientConnection;
use rustls_pki_types::{CertificateDer, ServerName};

use super::{Policy, TlsInfo};
use crate::error::{Error, Result};
use crate::net::{Phase, transport_error};

/// A TLS client connection over a transport.
pub struct TlsStream<T> {
    conn: ClientConnection,
    io: T,
    /// Records waiting to leave in the next transport write.
    outgoing: Vec<u8>,
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

impl<T: Read + Write> TlsStream<T> {
    /// Performs the handshake for `name` with `policy`'s configuration over the connected
    /// transport `io`.
    pub fn connect(policy: &Policy, name: ServerName<'static>, io: T) -> Result<Self> {
        let config = policy.config.clone();
        let conn =
            ClientConnection::new(config, name).map_err(|e| Error::Internal(e.to_string()))?;
        let mut stream = TlsStream {
            conn,
            io,
            outgoing: Vec::new(),
            client_certificate_sent: false,
        };
        stream.handshake()?;
        stream.client_certificate_sent = policy.take_client_certificate_sent();
        Ok(stream)
    }

    /// The transport under the TLS connection.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Whether input is waiting that the next read would take: plaintext, the peer's close
    /// or a failure. Records that carry none (session tickets, key updates) waiting on the
    /// transport (as `transport_has_input` finds without blocking) are taken in first, so
    /// that a server's late tickets do not retire an idle connection.
    pub fn has_input(&mut self, mut transport_has_input: impl FnMut(&mut T) -> bool) -> bool {
        loop {
            if self.has_buffered_input() {
                return true;
            }
            if !transport_has_input(&mut self.io) {
                return false;
            }
            match self.conn.read_tls(&mut self.io) {
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

    fn handshake(&mut self) -> Result<()> {
        let failed = |e| transport_error(Phase::Handshake, e);
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
    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let accepted = self.conn.writer().write(data)?;
            data = &data[accepted..];
            self.flush()?;
        }
        Ok(())
    }

    /// Encrypts and sends `parts` one after another, sending records whenever rustls's buffer
    /// is full and once at the end, so that small parts leave with their neighbours.
    pub fn write_parts(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        for part in parts {
            let mut data = *part;
            while !data.is_empty() {
                let accepted = self.conn.writer().write(data)?;
                data = &data[accepted..];
                if !data.is_empty() {
                    self.flush()?;
                }
            }
        }
        self.flush()
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

    /// Reads plaintext into `buf`, receiving records until some arrive or the connection ends.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<Plaintext> {
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
            self.read_records().map_err(failed)?;
            self.process()?;
            // Key updates and the like may need an answer.
            self.flush().map_err(failed)?;
        }
    }
}
