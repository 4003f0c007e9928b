//! The client over `std::net`, for native builds: the same TLS, HTTP, pool and redirect code as
//! the component, with the host's sockets. It is what the tests and the benchmarks compare the
//! component with (the physical reference of this design); the component itself never uses it.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::net::{Deadline, Network, TimeLimits, Transport};

/// `std::net` and `std::time::Instant` as the client's network.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdNetwork;

/// The instant the monotonic clock counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_nanos() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The time left until `deadline` (at least a nanosecond: std refuses a zero timeout).
fn remaining(deadline: Deadline) -> Option<Duration> {
    let left = deadline.0.checked_sub(now_nanos())?;
    Some(Duration::from_nanos(left.max(1)))
}

/// A TCP stream whose reads and writes end at the earliest of its time limits.
#[derive(Debug)]
pub struct StdStream {
    tcp: TcpStream,
    limits: TimeLimits,
    /// The timeout the socket has now (std's default: none).
    armed: Option<Duration>,
}

impl StdStream {
    /// Gives the socket the timeout of the next operation (only when it differs from the one it
    /// has: without limits no system call is made); an error if the deadline is past.
    fn arm(&mut self) -> io::Result<()> {
        let timeout = match self.limits.deadline(now_nanos()) {
            None => None,
            Some(deadline) => Some(remaining(deadline).ok_or_else(timed_out)?),
        };
        if timeout != self.armed {
            self.tcp.set_read_timeout(timeout)?;
            self.tcp.set_write_timeout(timeout)?;
            self.armed = timeout;
        }
        Ok(())
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "deadline passed")
}

/// std reports an expired socket timeout as `WouldBlock` on Unix.
fn timeout_as_timed_out(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock => timed_out(),
        _ => e,
    }
}

impl Read for StdStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.tcp.read(buf).map_err(timeout_as_timed_out)
    }
}

impl Write for StdStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.tcp.write(buf).map_err(timeout_as_timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

impl Network for StdNetwork {
    type Stream = StdStream;

    fn now(&self) -> u64 {
        now_nanos()
    }

    async fn connect(
        &self,
        host: &str,
        port: u16,
        deadline: Option<Deadline>,
    ) -> Result<StdStream> {
        let addresses: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| Error::Dns(format!("{host}: {e}")))?
            .collect();
        let mut last_error = Error::Dns(format!("{host}: no addresses"));
        for address in addresses {
            let connected = match deadline {
                None => TcpStream::connect(address),
                Some(deadline) => {
                    let left = remaining(deadline).ok_or(Error::ConnectionTimeout)?;
                    TcpStream::connect_timeout(&address, left)
                }
            };
            match connected {
                Ok(tcp) => {
                    // Flights are written whole, as in the component; Nagle would only delay
                    // the request behind the handshake's last flight here.
                    tcp.set_nodelay(true)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    return Ok(StdStream {
                        tcp,
                        limits: TimeLimits::default(),
                        armed: None,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(Error::ConnectionTimeout);
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    last_error = Error::ConnectionRefused(format!("{address}"));
                }
                Err(e) => last_error = Error::DestinationUnavailable(format!("{address}: {e}")),
            }
        }
        Err(last_error)
    }

    fn set_limits(stream: &mut StdStream, limits: TimeLimits) {
        stream.limits = limits;
    }
}

/// Each operation blocks until it is done, so its future is ready at the first poll.
impl Transport for StdStream {
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
        let tcp = &self.tcp;
        if tcp.set_nonblocking(true).is_err() {
            return true;
        }
        let waiting =
            !matches!(tcp.peek(&mut [0]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        // A socket that cannot be made blocking again is not worth keeping either.
        tcp.set_nonblocking(false).is_err() || waiting
    }
}
