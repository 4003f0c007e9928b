//! TCP through `wasi:sockets@0.3`, with deadlines on `wasi:clocks@0.3`: the async network
//! port of the `async-client` build. Every wait is a future raced against the clock's
//! `wait-until`, so one request waiting on its server holds up no other.

use std::future::{Future, poll_fn};
use std::io;
use std::net::IpAddr;
use std::pin::{Pin, pin};
use std::task::Poll;

use wit_bindgen::{FutureReader, StreamReader, StreamResult, StreamWriter};

use super::bindings::wasi::clocks::monotonic_clock;
use super::bindings::wasi::sockets::ip_name_lookup;
use super::bindings::wasi::sockets::types::{
    ErrorCode as SocketError, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress, TcpSocket,
};
use super::bindings::wit_stream;
use crate::error::{Error, Result};
use crate::net::{Deadline, Network as ClientNetwork, Tasks, TimeLimits, Transport};

/// `wasi:sockets@0.3` and the `wasi:clocks@0.3` monotonic clock as the client's network.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct AsyncWasiNetwork;

impl ClientNetwork for AsyncWasiNetwork {
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
        let addresses = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => resolve(host, deadline).await?,
        };
        let mut last_error = Error::Dns(format!("{host}: no addresses"));
        for ip in addresses {
            match connect_one(ip, port, deadline).await {
                Ok(stream) => return Ok(stream),
                Err(err @ Error::ConnectionTimeout) => return Err(err),
                Err(err) => last_error = err,
            }
        }
        Err(last_error)
    }

    fn set_limits(stream: &mut TcpStream, limits: TimeLimits) {
        stream.limits = limits;
    }

    fn tasks(&self) -> Option<Tasks> {
        Some(Tasks {
            spawn: |task| wit_bindgen::spawn(task),
            now: monotonic_clock::now,
            sleep_until: |Deadline(when)| Box::pin(monotonic_clock::wait_until(when)),
        })
    }
}

/// `work`'s outcome, or `None` if `deadline` passes first (then `work` is dropped, which
/// cancels what it was waiting for).
async fn within<T>(deadline: Option<Deadline>, work: impl Future<Output = T>) -> Option<T> {
    let mut work = pin!(work);
    let Some(Deadline(when)) = deadline else {
        return Some(work.await);
    };
    let mut timer = pin!(monotonic_clock::wait_until(when));
    poll_fn(|cx| match work.as_mut().poll(cx) {
        Poll::Ready(outcome) => Poll::Ready(Some(outcome)),
        Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
    })
    .await
}

async fn resolve(host: &str, deadline: Option<Deadline>) -> Result<Vec<IpAddr>> {
    let addresses = within(deadline, ip_name_lookup::resolve_addresses(host.to_owned()))
        .await
        .ok_or(Error::ConnectionTimeout)?
        .map_err(|e| Error::Dns(format!("{host}: {e:?}")))?;
    if addresses.is_empty() {
        return Err(Error::Dns(format!("{host}: no addresses")));
    }
    Ok(addresses.into_iter().map(ip_of).collect())
}

async fn connect_one(ip: IpAddr, port: u16, deadline: Option<Deadline>) -> Result<TcpStream> {
    let unavailable = |e: SocketError| match e {
        SocketError::ConnectionRefused => Error::ConnectionRefused(format!("{ip} port {port}")),
        SocketError::Timeout => Error::ConnectionTimeout,
        other => Error::DestinationUnavailable(format!("{ip} port {port}: {other:?}")),
    };
    let (family, address) = socket_address(ip, port);
    let socket = TcpSocket::create(family).map_err(unavailable)?;
    within(deadline, socket.connect(address))
        .await
        .ok_or(Error::ConnectionTimeout)?
        .map_err(unavailable)?;
    let (input, input_end) = socket.receive();
    let (output, to_socket) = wit_stream::new::<u8>();
    let output_end = socket.send(to_socket);
    Ok(TcpStream {
        receiving: None,
        input: Some(input),
        input_end: Some(input_end),
        output,
        output_end: Some(output_end),
        _socket: socket,
        limits: TimeLimits::default(),
        received: Vec::new(),
        received_at: 0,
        ended: false,
    })
}

/// A connected TCP stream whose every read and write waits at most until the earliest of its
/// limits: the whole request's deadline, the current phase's (the TLS handshake), and the
/// longest silence allowed.
pub(super) struct TcpStream {
    // The streams go before the socket they belong to (fields drop in order).
    /// The read under way, holding `input` until it completes: a read whose future is
    /// dropped while it waits (a deadline, or an HTTP/2 connection that writes meanwhile)
    /// goes on here, and the next read takes what it receives.
    receiving: Option<Receiving>,
    /// The bytes the server sends, while no read holds them.
    input: Option<StreamReader<u8>>,
    /// How `input` ended (a reset is an error), until it is read.
    input_end: Option<FutureReader<std::result::Result<(), SocketError>>>,
    /// The bytes sent to the server.
    output: StreamWriter<u8>,
    /// How sending ended, until it is read.
    output_end: Option<FutureReader<std::result::Result<(), SocketError>>>,
    _socket: TcpSocket,
    limits: TimeLimits,
    /// The last piece of bytes the host handed over, served from `received_at`.
    received: Vec<u8>,
    received_at: usize,
    /// Whether `input` has ended.
    ended: bool,
}

/// The most bytes asked of the host in one read: one whole TLS record (16 KiB of payload,
/// its 5-byte header and up to 256 bytes of expansion) and a little more. Each request in
/// flight holds up to one such piece, so it is kept near a record rather than at 64 KiB
/// (W8's memory per concurrent request).
const RECEIVE_PIECE: usize = 17 * 1024;

/// A read of the host's stream under way: it gives the stream back with what it read.
type Receiving = Pin<Box<dyn Future<Output = (StreamReader<u8>, StreamResult, Vec<u8>)>>>;

/// Starts a read of `input`.
fn receive(mut input: StreamReader<u8>) -> Receiving {
    Box::pin(async move {
        let (result, piece) = input.read(Vec::with_capacity(RECEIVE_PIECE)).await;
        (input, result, piece)
    })
}

impl TcpStream {
    /// The deadline of a wait that starts now.
    fn deadline(&self) -> Option<Deadline> {
        self.limits.deadline(monotonic_clock::now())
    }

    /// The read under way, started if none is.
    fn receiving(&mut self) -> io::Result<&mut Receiving> {
        if self.receiving.is_none() {
            let input = self.input.take().ok_or_else(|| {
                io::Error::other("the connection's input is held by no read and no stream")
            })?;
            self.receiving = Some(receive(input));
        }
        self.receiving
            .as_mut()
            .ok_or_else(|| io::Error::other("a read was just started"))
    }

    /// Takes what the read under way gave back: the stream, and bytes kept to be served or
    /// the end of the input.
    fn received(&mut self, (input, result, piece): (StreamReader<u8>, StreamResult, Vec<u8>)) {
        self.receiving = None;
        self.input = Some(input);
        self.take_piece(result, piece);
    }

    /// Takes what a read gave: bytes kept to be served, or the end of the input.
    fn take_piece(&mut self, result: StreamResult, piece: Vec<u8>) {
        if !piece.is_empty() {
            self.received = piece;
            self.received_at = 0;
        } else if result == StreamResult::Dropped {
            self.ended = true;
        }
    }

    /// The error the input ended with, if it ended with one (a reset rather than a FIN).
    async fn input_error(&mut self) -> Option<io::Error> {
        let end = self.input_end.take()?;
        match end.await {
            Ok(()) => None,
            Err(e) => Some(io::Error::new(
                io::ErrorKind::ConnectionReset,
                format!("{e:?}"),
            )),
        }
    }

    /// Why the host stopped taking bytes.
    async fn output_error(&mut self) -> io::Error {
        let why = match self.output_end.take() {
            Some(end) => match end.await {
                Err(e) => format!("{e:?}"),
                Ok(()) => "the connection was closed".into(),
            },
            None => "the connection was closed".into(),
        };
        io::Error::new(io::ErrorKind::BrokenPipe, why)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
}

impl Transport for TcpStream {
    /// Serves `buf` from the last piece the host handed over (up to `RECEIVE_PIECE` bytes
    /// read straight into a buffer of the guest's), waiting for the next one only when it is
    /// used up. A read that the deadline ends (or whose future is dropped) stays under way,
    /// and the next read takes what it receives: no byte is lost.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.received_at == self.received.len() {
            if self.ended {
                return match self.input_error().await {
                    Some(err) => Err(err),
                    None => Ok(0),
                };
            }
            let deadline = self.deadline();
            let receiving = self.receiving()?;
            let outcome = within(deadline, receiving.as_mut())
                .await
                .ok_or_else(timed_out)?;
            self.received(outcome);
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

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let deadline = self.deadline();
        let unsent = within(deadline, self.output.write_all(data.to_vec()))
            .await
            .ok_or_else(timed_out)?;
        if unsent.is_empty() {
            Ok(())
        } else {
            Err(self.output_error().await)
        }
    }

    /// Nothing to wait for: a write is done when the host has taken its bytes.
    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Polls a read once (started if none is under way), which stays under way unless it
    /// completes at once.
    async fn has_input(&mut self) -> bool {
        if self.received_at < self.received.len() || self.ended {
            return true;
        }
        let Ok(receiving) = self.receiving() else {
            return true;
        };
        if let Poll::Ready(outcome) = poll_fn(|cx| Poll::Ready(receiving.as_mut().poll(cx))).await {
            self.received(outcome);
        }
        self.received_at < self.received.len() || self.ended
    }
}

super::socket_addresses::socket_address_conversions!();
