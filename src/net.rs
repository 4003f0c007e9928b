//! The network port: what the core needs from a platform (a monotonic clock, TCP connections
//! whose reads and writes keep to deadlines), and the one place a transport's I/O errors become
//! the core's. The port is async, so that one instance can wait on many connections at once;
//! a blocking implementation (the WASI 0.2 glue, `glue::sockets` and `glue::transport`, and
//! [`crate::std_net`] over `std::net`) completes each operation before it returns, and is
//! driven by [`crate::blocking::block_on`].

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::task::Poll;

use crate::error::{Error, Result};

/// Work that runs beside the requests that started it, to its own end: an HTTP/2
/// connection that several requests share.
pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// What an async port offers beside its streams: tasks that run beside the caller, its
/// monotonic clock, and timers on it.
#[derive(Debug, Clone, Copy)]
pub struct Tasks {
    /// Runs a task beside the caller, to its end.
    pub spawn: fn(Task),
    /// Now on the network's monotonic clock, in nanoseconds.
    pub now: fn() -> u64,
    /// A future that ends once the deadline has passed.
    pub sleep_until: fn(Deadline) -> Task,
}

impl Tasks {
    /// `work`'s outcome, or `None` if the deadline a wait starting now has under `limits`
    /// passes first (then `work` is dropped).
    pub async fn within<T>(&self, limits: TimeLimits, work: impl Future<Output = T>) -> Option<T> {
        let mut work = pin!(work);
        let Some(deadline) = limits.deadline((self.now)()) else {
            return Some(work.await);
        };
        let mut timer = (self.sleep_until)(deadline);
        poll_fn(|cx| match work.as_mut().poll(cx) {
            Poll::Ready(outcome) => Poll::Ready(Some(outcome)),
            Poll::Pending => timer.as_mut().poll(cx).map(|()| None),
        })
        .await
    }
}

/// A point on the network's monotonic clock, in nanoseconds, after which an operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(pub u64);

impl Deadline {
    /// The deadline `millis` milliseconds after `now`.
    pub fn after_millis(now: u64, millis: u64) -> Self {
        Deadline(now.saturating_add(millis.saturating_mul(1_000_000)))
    }

    /// The earlier of two optional deadlines.
    pub fn earliest(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The time limits of a connection's reads and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeLimits {
    /// The end of the whole request.
    pub total: Option<Deadline>,
    /// The end of the current phase (the TLS handshake), if it has its own.
    pub phase: Option<Deadline>,
    /// The longest wait for the stream to become ready, in milliseconds.
    pub idle_ms: Option<u64>,
}

impl TimeLimits {
    /// The deadline of a wait that starts at `now`.
    pub fn deadline(&self, now: u64) -> Option<Deadline> {
        let idle = self.idle_ms.map(|ms| Deadline::after_millis(now, ms));
        Deadline::earliest(Deadline::earliest(self.total, self.phase), idle)
    }
}

/// A byte stream the core reads and writes: a TCP connection, or a tunnel through a proxy.
/// A read or write whose deadline passes fails with [`io::ErrorKind::TimedOut`];
/// [`transport_error`] relies on that.
#[allow(
    async_fn_in_trait,
    reason = "the client runs on one thread (a component, or the native reference), so its \
              futures need no Send bound"
)]
pub trait Transport {
    /// Reads what arrives next into `buf`; 0 at the end of the stream.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Writes all of `data`.
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()>;

    /// Waits until everything written has left.
    async fn flush(&mut self) -> io::Result<()>;

    /// Whether input is waiting on the stream right now (bytes, its end, or an error), found
    /// without waiting for more. An idle connection with input is never reused: the bytes
    /// could be taken as the answer to the next request.
    async fn has_input(&mut self) -> bool;
}

/// What the client needs from the platform: a monotonic clock and TCP connections whose reads
/// and writes keep to time limits.
#[allow(
    async_fn_in_trait,
    reason = "the client runs on one thread (a component, or the native reference), so its \
              futures need no Send bound"
)]
pub trait Network: Clone {
    /// A connected TCP stream.
    type Stream: Transport + 'static;

    /// Now on a monotonic clock, in nanoseconds.
    fn now(&self) -> u64;

    /// Resolves `host` (unless it is an IP literal) and connects to its first address that
    /// accepts, before `deadline`.
    async fn connect(
        &self,
        host: &str,
        port: u16,
        deadline: Option<Deadline>,
    ) -> Result<Self::Stream>;

    /// Sets the time limits of the stream's later reads and writes.
    fn set_limits(stream: &mut Self::Stream, limits: TimeLimits);

    /// Tasks and timers, if the platform runs tasks: an async port, whose streams' reads
    /// may be dropped while they wait and resume where they were. Defaults to none: a
    /// blocking port runs no tasks.
    fn tasks(&self) -> Option<Tasks> {
        None
    }
}

/// What a connection was doing when its transport failed; it decides the error's case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The TLS handshake.
    Handshake,
    /// Sending the request.
    Sending,
    /// Receiving the response.
    Receiving,
}

/// The core's error for a transport failure during `phase`: a passed deadline is a timeout
/// whatever the phase; anything else fails the phase.
pub fn transport_error(phase: Phase, err: io::Error) -> Error {
    match (err.kind(), phase) {
        (io::ErrorKind::TimedOut, _) => Error::Timeout,
        (_, Phase::Handshake) => {
            Error::TlsProtocol(format!("connection failed during the TLS handshake: {err}"))
        }
        (_, Phase::Sending) => Error::ConnectionTerminated(format!("sending the request: {err}")),
        (_, Phase::Receiving) => Error::ConnectionTerminated(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_deadline_wins_and_absent_ones_do_not_count() {
        let (a, b) = (Some(Deadline(5)), Some(Deadline(9)));
        assert_eq!(Deadline::earliest(a, b), a);
        assert_eq!(Deadline::earliest(b, a), a);
        assert_eq!(Deadline::earliest(None, b), b);
        assert_eq!(Deadline::earliest(None, None), None);
    }

    #[test]
    fn a_wait_ends_at_the_earliest_of_total_phase_and_idle() {
        let limits = TimeLimits {
            total: Some(Deadline(50_000_000)),
            phase: Some(Deadline(40_000_000)),
            idle_ms: Some(10),
        };
        assert_eq!(limits.deadline(0), Some(Deadline(10_000_000)));
        assert_eq!(limits.deadline(35_000_000), Some(Deadline(40_000_000)));
        assert_eq!(TimeLimits::default().deadline(7), None);
    }

    #[test]
    fn a_passed_deadline_is_a_timeout_in_every_phase_and_other_failures_fail_the_phase() {
        let timed_out = || io::Error::from(io::ErrorKind::TimedOut);
        let reset = || io::Error::from(io::ErrorKind::ConnectionReset);
        for phase in [Phase::Handshake, Phase::Sending, Phase::Receiving] {
            assert_eq!(transport_error(phase, timed_out()), Error::Timeout);
        }
        assert!(matches!(
            transport_error(Phase::Handshake, reset()),
            Error::TlsProtocol(_)
        ));
        assert!(matches!(
            transport_error(Phase::Sending, reset()),
            Error::ConnectionTerminated(why) if why.starts_with("sending the request")
        ));
        assert!(matches!(
            transport_error(Phase::Receiving, reset()),
            Error::ConnectionTerminated(_)
        ));
    }
}
