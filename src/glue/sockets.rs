//! TCP through `wasi:sockets`, with deadlines on `wasi:io` pollables and the monotonic clock
//! (wasi-libc has no socket timeouts). Blocking: each operation of the async port is done
//! when it returns, and the glue drives the core with [`crate::blocking::block_on`].

use std::io::{self, Read, Write};
use std::net::IpAddr;

use wasip2::clocks::monotonic_clock;
use wasip2::io::poll;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::sockets::network::{
    ErrorCode as SocketError, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress, Network,
};
use wasip2::sockets::{instance_network, ip_name_lookup, tcp::TcpSocket, tcp_create_socket};

use crate::blocking::BlockingStream;
use crate::error::{Error, Result};
use crate::net::{Deadline, Network as ClientNetwork, TimeLimits};

/// `wasi:sockets` and the `wasi:clocks` monotonic clock as the client's network.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct WasiNetwork;

impl ClientNetwork for WasiNetwork {
    type Stream = TcpStream;

    fn now(&self) -> u64 {
        monotonic_clock::now()
    }

    async fn connect(
        &self,
        host: &str,
        port: u16,
        deadline: Option<Deadline>,
    ) -> Result<TcpStream> {
        connect(host, port, deadline)
    }

    fn set_limits(stream: &mut TcpStream, limits: TimeLimits) {
        stream.limits = limits;
    }
}

impl BlockingStream for TcpStream {
    fn has_input(&mut self) -> bool {
        if self.received_at < self.received.len() {
            return true;
        }
        // A wasi:io read never blocks: no bytes now is an empty piece. (The pollable is no
        // witness: its readiness can outlast the bytes that caused it.)
        match self.input.read(1) {
            Ok(bytes) if bytes.is_empty() => false,
            Ok(bytes) => {
                self.received = bytes;
                self.received_at = 0;
                true
            }
            Err(_) => true,
        }
    }
}

/// Blocks until `ready` fires; returns false if `deadline` passes first.
fn wait(ready: &poll::Pollable, deadline: Option<Deadline>) -> bool {
    match deadline {
        None => {
            ready.block();
            true
        }
        Some(Deadline(when)) => {
            let timer = monotonic_clock::subscribe_instant(when);
            let fired = poll::poll(&[ready, &timer]);
            fired.contains(&0)
        }
    }
}

/// A connected TCP stream whose every read and write waits at most until the earliest of its
/// limits: the whole request's deadline, the current phase's (the TLS handshake), and the
/// longest silence allowed.
pub(super) struct TcpStream {
    // Pollables are children of the streams, streams of the socket; each must be dropped before
    // its parent, and fields drop in order.
    /// Ready when `input` has bytes or has ended (made once, waited on many times).
    input_ready: poll::Pollable,
    /// Ready when `output` accepts bytes.
    output_ready: poll::Pollable,
    input: InputStream,
    output: OutputStream,
    _socket: TcpSocket,
    limits: TimeLimits,
    /// The last piece of bytes the host handed over, served from `received_at`.
    received: Vec<u8>,
    received_at: usize,
}

/// The most bytes asked of the host in one read.
const RECEIVE_PIECE: u64 = 64 * 1024;

/// Resolves `host` (unless it is an IP literal) and connects to the first address that
/// accepts, before `deadline`.
fn connect(host: &str, port: u16, deadline: Option<Deadline>) -> Result<TcpStream> {
    let network = instance_network::instance_network();
    let addresses = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => resolve(&network, host, deadline)?,
    };
    let mut last_error = Error::Dns(format!("{host}: no addresses"));
    for ip in addresses {
        match connect_one(&network, ip, port, deadline) {
            Ok(stream) => return Ok(stream),
            Err(err @ Error::ConnectionTimeout) => return Err(err),
            Err(err) => last_error = err,
        }
    }
    Err(last_error)
}

fn resolve(network: &Network, host: &str, deadline: Option<Deadline>) -> Result<Vec<IpAddr>> {
    let failed = |e: SocketError| Error::Dns(format!("{host}: {}", e.message()));
    let stream = ip_name_lookup::resolve_addresses(network, host).map_err(failed)?;
    let mut addresses = Vec::new();
    loop {
        match stream.resolve_next_address() {
            Ok(Some(address)) => addresses.push(ip_of(address)),
            Ok(None) => break,
            Err(SocketError::WouldBlock) => {
                if !wait(&stream.subscribe(), deadline) {
                    return Err(Error::ConnectionTimeout);
                }
            }
            Err(e) => return Err(failed(e)),
        }
    }
    if addresses.is_empty() {
        return Err(Error::Dns(format!("{host}: no addresses")));
    }
    Ok(addresses)
}

fn connect_one(
    network: &Network,
    ip: IpAddr,
    port: u16,
    deadline: Option<Deadline>,
) -> Result<TcpStream> {
    let unavailable = |e: SocketError| match e {
        SocketError::ConnectionRefused => Error::ConnectionRefused(format!("{ip} port {port}")),
        SocketError::Timeout => Error::ConnectionTimeout,
        other => Error::DestinationUnavailable(format!("{ip} port {port}: {}", other.message())),
    };
    let (family, address) = socket_address(ip, port);
    let socket = tcp_create_socket::create_tcp_socket(family).map_err(unavailable)?;
    socket
        .start_connect(network, address)
        .map_err(unavailable)?;
    let ready = socket.subscribe();
    let (input, output) = loop {
        match socket.finish_connect() {
            Ok(streams) => break streams,
            Err(SocketError::WouldBlock) => {
                if !wait(&ready, deadline) {
                    return Err(Error::ConnectionTimeout);
                }
            }
            Err(e) => return Err(unavailable(e)),
        }
    };
    drop(ready);
    Ok(TcpStream {
        input_ready: input.subscribe(),
        output_ready: output.subscribe(),
        input,
        output,
        _socket: socket,
        limits: TimeLimits::default(),
        received: Vec::new(),
        received_at: 0,
    })
}

impl TcpStream {
    /// The deadline of a wait that starts now.
    fn deadline(&self) -> Option<Deadline> {
        self.limits.deadline(monotonic_clock::now())
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
    }
}

fn stream_error(e: StreamError) -> io::Error {
    match e {
        StreamError::Closed => io::Error::new(io::ErrorKind::BrokenPipe, "stream closed"),
        StreamError::LastOperationFailed(e) => {
            io::Error::new(io::ErrorKind::ConnectionReset, e.to_debug_string())
        }
    }
}

impl Read for TcpStream {
    /// Serves `buf` from the last piece the host handed over, asking the host for the next
    /// piece (up to `RECEIVE_PIECE` bytes, one call) only when it is used up: rustls reads
    /// 4 KiB at a time, and a host call per 4 KiB is what bulk transfers would pay for.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.received.is_empty() {
            match self.input.read(RECEIVE_PIECE) {
                Ok(bytes) if bytes.is_empty() => {
                    if !wait(&self.input_ready, self.deadline()) {
                        return Err(Self::timed_out());
                    }
                }
                Ok(bytes) => {
                    self.received = bytes;
                    self.received_at = 0;
                }
                Err(StreamError::Closed) => return Ok(0),
                Err(e) => return Err(stream_error(e)),
            }
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

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let permitted = self.output.check_write().map_err(stream_error)?;
            if permitted == 0 {
                if !wait(&self.output_ready, self.deadline()) {
                    return Err(Self::timed_out());
                }
                continue;
            }
            let n = buf
                .len()
                .min(usize::try_from(permitted).unwrap_or(usize::MAX));
            self.output.write(&buf[..n]).map_err(stream_error)?;
            return Ok(n);
        }
    }

    /// Starts a flush and waits until it is done: during a flush `check-write` permits 0 bytes.
    fn flush(&mut self) -> io::Result<()> {
        self.output.flush().map_err(stream_error)?;
        loop {
            match self.output.check_write().map_err(stream_error)? {
                0 => {
                    if !wait(&self.output_ready, self.deadline()) {
                        return Err(Self::timed_out());
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}

super::socket_addresses::socket_address_conversions!();
