//! Idle connections kept per origin for reuse (keep-alive), bounded in number and idle time.
//! Generic over the connection type and driven by the caller's clock, so it is tested natively.

use std::collections::HashMap;

/// Where a connection goes: what must match for it to be reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `https` or `http`.
    pub scheme: &'static str,
    /// The host as in the URL (the name TLS verified).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The address connected to: the host itself, or the address a connect override gives it.
    pub address: String,
}

/// The idle connections of one context.
#[derive(Debug)]
pub struct Pool<C> {
    idle: HashMap<Origin, Vec<Idle<C>>>,
    per_origin: usize,
    max_idle_nanos: u64,
}

#[derive(Debug)]
struct Idle<C> {
    connection: C,
    since: u64,
}

/// How many idle connections are kept per origin by default.
pub const DEFAULT_PER_ORIGIN: usize = 4;

/// How long an idle connection is kept by default, in nanoseconds (30 s, below common server
/// keep-alive timeouts so that the server rarely closes first).
pub const DEFAULT_MAX_IDLE_NANOS: u64 = 30_000_000_000;

impl<C> Default for Pool<C> {
    fn default() -> Self {
        Pool::new(DEFAULT_PER_ORIGIN, DEFAULT_MAX_IDLE_NANOS)
    }
}

impl<C> Pool<C> {
    /// A pool keeping at most `per_origin` idle connections per origin, each for at most
    /// `max_idle_nanos`.
    pub fn new(per_origin: usize, max_idle_nanos: u64) -> Self {
        Pool {
            idle: HashMap::new(),
            per_origin,
            max_idle_nanos,
        }
    }

    /// The most recently used idle connection to `origin` that has not been idle too long at
    /// `now` (nanoseconds on a monotonic clock); connections idle too long are dropped.
    pub fn take(&mut self, origin: &Origin, now: u64) -> Option<C> {
        let max_idle = self.max_idle_nanos;
        let list = self.idle.get_mut(origin)?;
        list.retain(|idle| now.saturating_sub(idle.since) <= max_idle);
        let found = list.pop().map(|idle| idle.connection);
        if list.is_empty() {
            self.idle.remove(origin);
        }
        found
    }

    /// Keeps `connection` for reuse; the oldest idle connection to the origin is dropped if
    /// there are too many.
    pub fn put(&mut self, origin: Origin, connection: C, now: u64) {
        if self.per_origin == 0 {
            return;
        }
        let list = self.idle.entry(origin).or_default();
        if list.len() == self.per_origin {
            list.remove(0);
        }
        list.push(Idle {
            connection,
            since: now,
        });
    }

    /// How many idle connections the pool holds.
    pub fn len(&self) -> usize {
        self.idle.values().map(Vec::len).sum()
    }

    /// Whether the pool holds no idle connection.
    pub fn is_empty(&self) -> bool {
        self.idle.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(host: &str) -> Origin {
        Origin {
            scheme: "https",
            host: host.into(),
            port: 443,
            address: host.into(),
        }
    }

    #[test]
    fn a_connection_is_reused_only_for_its_own_origin() {
        let mut pool = Pool::default();
        pool.put(origin("a.test"), 1, 0);
        assert_eq!(pool.take(&origin("b.test"), 0), None);
        assert_eq!(pool.take(&origin("a.test"), 0), Some(1));
        assert_eq!(pool.take(&origin("a.test"), 0), None);
        assert!(pool.is_empty());
    }

    #[test]
    fn connections_idle_too_long_are_evicted() {
        let mut pool = Pool::new(4, 100);
        pool.put(origin("a.test"), 1, 0);
        pool.put(origin("a.test"), 2, 50);
        assert_eq!(pool.take(&origin("a.test"), 140), Some(2));
        assert_eq!(
            pool.take(&origin("a.test"), 140),
            None,
            "1 was idle 140 > 100"
        );
    }

    #[test]
    fn the_oldest_is_dropped_beyond_the_per_origin_bound() {
        let mut pool = Pool::new(2, u64::MAX);
        for id in 1..=3 {
            pool.put(origin("a.test"), id, id);
        }
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.take(&origin("a.test"), 9), Some(3));
        assert_eq!(pool.take(&origin("a.test"), 9), Some(2));
    }

    #[test]
    fn a_zero_bound_keeps_nothing() {
        let mut pool = Pool::new(0, u64::MAX);
        pool.put(origin("a.test"), 1, 0);
        assert!(pool.is_empty());
    }
}
