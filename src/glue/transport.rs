//! TCP through the `transport` import (the `host-network` build): the host opens, reads,
//! writes and closes connections; deadlines become the import's timeouts, measured on the
//! `wasi:clocks` monotonic clock. Blocking, as `glue::sockets`.

use std::io::{self, Read, Write};

use wasip2::clocks::monotonic_clock;

use super::bindings::verified::https::transport::{self, TransportError};
use crate::error::{Error, Result};
use crate::net::{Deadline, Network as ClientNetwork, TimeLimits, Transport};

/// The `transport` import and the `wasi:clocks` monotonic clock as the client's network.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HostNetwork;

impl ClientNetwork for HostNetwork {
    type Stream = HostConnection;

    fn now(&self) -> u64 {
        monotonic_clock::now()
    }

    async fn connect(
        &self,
        host: &str,
        port: u16,
        deadline: Option<Deadline>,
    ) -> Result<HostConnection> {
        let timeout_ms = match remaining_ms(deadline) {
            Some(0) => return Err(Error::ConnectionTimeout),
            remaining => remaining,
        };
        let id = transport::connect(host, port, timeout_ms).map_err(|e| match e {
            TransportError::DnsError(why) => Error::Dns(format!("{host}: {why}")),
            TransportError::ConnectionRefused(why) => Error::ConnectionRefused(why),
            TransportError::Timeout => Error::ConnectionTimeout,
            TransportError::DestinationUnavailable(why) | TransportError::ConnectionFailed(why) => {
                Error::DestinationUnavailable(format!("{host} port {port}: {why}"))
            }
        })?;
        Ok(HostConnection {
            id,
            limits: TimeLimits::default(),
            received: Vec::new(),
            received_at: 0,
        })
    }

    fn set_limits(stream: &mut HostConnection, limits: TimeLimits) {
        stream.limits = limits;
    }
}

/// Each operation blocks until it is done, so its future is ready at the first poll.
impl Transport for HostConnection {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(self, buf)
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        Write::write_all(self, data)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Write::flush(self)
    }

    async fn has_input(&mut self) -> bool {
        if self.received_at < self.received.len() {
            return true;
        }
        match transport::read(self.id, 1, Some(0)) {
            Err(TransportError::Timeout) => false,
            Ok(bytes) => {
                self.received = bytes;
                self.received_at = 0;
                true
            }
            Err(_) => true,
        }
    }
}

/// The milliseconds left until `deadline` (rounded up, so that a wait never ends early), or
/// none for no deadline; `Some(0)` once it has passed.
fn remaining_ms(deadline: Option<Deadline>) -> Option<u64> {
    deadline.map(|Deadline(when)| {
        when.saturating_sub(monotonic_clock::now())
            .div_ceil(1_000_000)
    })
}

/// An open connection of the host's, closed on drop.
pub(super) struct HostConnection {
    /// The host's number for it.
    id: u32,
    limits: TimeLimits,
    /// The last piece of bytes the host handed over, served from `received_at`.
    received: Vec<u8>,
    received_at: usize,
}

/// The most bytes asked of the host in one read.
const RECEIVE_PIECE: u32 = 64 * 1024;

impl HostConnection {
    /// The import's timeout for a wait that starts now; a passed deadline is an error.
    fn timeout_ms(&self) -> io::Result<Option<u64>> {
        match remaining_ms(self.limits.deadline(monotonic_clock::now())) {
            Some(0) => Err(timed_out()),
            remaining => Ok(remaining),
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
}

/// A transport error of an open connection as I/O (the core maps I/O once: `net.rs`).
fn io_error(e: TransportError) -> io::Error {
    match e {
        TransportError::Timeout => timed_out(),
        TransportError::DnsError(why)
        | TransportError::ConnectionRefused(why)
        | TransportError::DestinationUnavailable(why)
        | TransportError::ConnectionFailed(why) => {
            io::Error::new(io::ErrorKind::ConnectionReset, why)
        }
    }
}

impl Read for HostConnection {
    /// Serves `buf` from the last piece the host handed over, asking the host for the next
    /// piece (up to `RECEIVE_PIECE` bytes, one call) only when it is used up.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.received_at == self.received.len() {
            let piece =
                transport::read(self.id, RECEIVE_PIECE, self.timeout_ms()?).map_err(io_error)?;
            if piece.is_empty() {
                return Ok(0);
            }
            self.received = piece;
            self.received_at = 0;
        }
        let piece = &self.received[self.received_at..];
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        self.received_at += n;
        if self.received_at == self.received.len() {
            // Not kept while the connection waits in the pool.
            self.received = Vec::new();
            self.received_at = 0;
        }
        Ok(n)
    }
}

impl Write for HostConnection {
    /// Hands all of `buf` to the host (the import writes whole pieces).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        transport::write(self.id, buf, self.timeout_ms()?).map_err(io_error)?;
        Ok(buf.len())
    }

    /// Nothing to do: the host has written every piece when `write` returns.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for HostConnection {
    fn drop(&mut self) {
        transport::close(self.id);
    }
}
