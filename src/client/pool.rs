//! Idle connections kept per origin for reuse (keep-alive), bounded in number (per origin and in
//! all) and in idle time; every checkout and every return drops what has been idle too long,
//! whatever its origin.
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
    /// The proxy whose tunnel the connection runs through (its scheme, host and port), if any.
    pub via: Option<String>,
}

/// The idle connections of one context.
#[derive(Debug)]
pub struct Pool<C> {
    idle: HashMap<Origin, Vec<Idle<C>>>,
    per_origin: usize,
    total: usize,
    max_idle_nanos: u64,
}

#[derive(Debug)]
struct Idle<C> {
    connection: C,
    since: u64,
}

/// How many idle connections are kept per origin by default.
pub const DEFAULT_PER_ORIGIN: usize = 4;

/// How many idle connections are kept in all by default.
pub const DEFAULT_TOTAL: usize = 32;

/// How long an idle connection is kept by default, in nanoseconds (30 s, below common server
/// keep-alive timeouts so that the server rarely closes first).
pub const DEFAULT_MAX_IDLE_NANOS: u64 = 30_000_000_000;

impl<C> Default for Pool<C> {
    fn default() -> Self {
        Pool::new(DEFAULT_PER_ORIGIN, DEFAULT_TOTAL, DEFAULT_MAX_IDLE_NANOS)
    }
}

impl<C> Pool<C> {
    /// A pool keeping at most `per_origin` idle connections per origin and `total` in all, each
    /// for at most `max_idle_nanos`.
    pub fn new(per_origin: usize, total: usize, max_idle_nanos: u64) -> Self {
        Pool {
            idle: HashMap::new(),
            per_origin,
            total,
            max_idle_nanos,
        }
    }

    /// The most recently used idle connection to `origin` that has not been idle too long at
    /// `now` (nanoseconds on a monotonic clock). Connections idle too long are dropped first,
    /// whatever their origin.
    pub fn take(&mut self, origin: &Origin, now: u64) -> Option<C> {
        self.expire(now);
        let list = self.idle.get_mut(origin)?;
        let found = list.pop().map(|idle| idle.connection);
        if list.is_empty() {
            self.idle.remove(origin);
        }
        found
    }

    /// Keeps `connection` for reuse. Connections idle too long are dropped first; then the
    /// oldest idle connection to the origin if it has too many, and the oldest of all if the
    /// pool is full.
    pub fn put(&mut self, origin: Origin, connection: C, now: u64) {
        if self.per_origin == 0 || self.total == 0 {
            return;
        }
        self.expire(now);
        let list = self.idle.entry(origin).or_default();
        if list.len() == self.per_origin {
            list.remove(0);
        }
        list.push(Idle {
            connection,
            since: now,
        });
        while self.len() > self.total {
            self.drop_oldest();
        }
    }

    /// Drops every connection idle for longer than the limit at `now`.
    fn expire(&mut self, now: u64) {
        let max_idle = self.max_idle_nanos;
        self.idle.retain(|_, list| {
            list.retain(|idle| now.saturating_sub(idle.since) <= max_idle);
            !list.is_empty()
        });
    }

    /// Drops the connection that has been idle longest, of any origin.
    fn drop_oldest(&mut self) {
        let oldest = self
            .idle
            .iter()
            .filter_map(|(origin, list)| Some((list.first()?.since, origin.clone())))
            .min_by_key(|(since, _)| *since);
        if let Some((_, origin)) = oldest
            && let Some(list) = self.idle.get_mut(&origin)
        {
            list.remove(0);
            if list.is_empty() {
                self.idle.remove(&origin);
            }
        }
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
            via: None,
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
        let mut pool = Pool::new(4, 32, 100);
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
        let mut pool = Pool::new(2, 32, u64::MAX);
        for id in 1..=3 {
            pool.put(origin("a.test"), id, id);
        }
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.take(&origin("a.test"), 9), Some(3));
        assert_eq!(pool.take(&origin("a.test"), 9), Some(2));
    }

    #[test]
    fn a_zero_bound_keeps_nothing() {
        let mut pool = Pool::new(0, 32, u64::MAX);
        pool.put(origin("a.test"), 1, 0);
        assert!(pool.is_empty());
    }

    #[test]
    fn connections_to_origins_never_used_again_expire_at_any_checkout() {
        let mut pool = Pool::new(4, 32, 100);
        pool.put(origin("once.test"), 1, 0);
        pool.put(origin("a.test"), 2, 90);
        assert_eq!(pool.take(&origin("a.test"), 150), Some(2));
        assert!(
            pool.is_empty(),
            "once.test's connection, idle 150 > 100, is gone"
        );
        pool.put(origin("once.test"), 3, 200);
        pool.put(origin("a.test"), 4, 400);
        assert_eq!(pool.len(), 1, "a return expires the others too");
    }

    #[test]
    fn the_oldest_of_all_origins_is_dropped_beyond_the_total_bound() {
        let mut pool = Pool::new(4, 3, u64::MAX);
        for (id, host) in ["a.test", "b.test", "c.test", "d.test"].iter().enumerate() {
            pool.put(origin(host), id, id as u64);
        }
        assert_eq!(pool.len(), 3);
        assert_eq!(
            pool.take(&origin("a.test"), 9),
            None,
            "the oldest went first"
        );
        assert_eq!(pool.take(&origin("d.test"), 9), Some(3));
    }
}
