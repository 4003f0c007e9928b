//! Idle connections kept per origin for reuse (keep-alive), bounded in number (per origin and in
//! all) and in idle time; every checkout and every return drops what has been idle too long,
//! whatever its origin.
//! Generic over the connection type and driven by the caller's clock, so it is tested natively.
//! Beside them, [`Shared`]: the connections that concurrent requests share (HTTP/2), one per
//! origin, and the requests waiting for one still negotiating.

use std::collections::HashMap;
use std::task::Waker;

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

/// The shared connections of one context (HTTP/2 over an async port), one per origin: a
/// request to an origin whose connection is still negotiating waits for its ALPN instead of
/// opening a second one.
#[derive(Debug)]
pub struct Shared<S> {
    origins: HashMap<Origin, SharedState<S>>,
}

#[derive(Debug)]
enum SharedState<S> {
    /// A connection is being opened; these requests wait for it.
    Negotiating(Vec<Waker>),
    /// The connection every request to the origin shares.
    Open(S),
    /// The server picked HTTP/1.1: each request opens (or reuses) a connection of its own.
    Unshared,
}

/// What a request to an origin does, by [`Shared::claim`].
#[derive(Debug, PartialEq, Eq)]
pub enum Claim<S> {
    /// Sends its stream on this connection.
    Use(S),
    /// Waits: a connection is negotiating (its waker is kept, and woken once it is done).
    Wait,
    /// Opens a connection, and tells the outcome with [`Shared::opened`].
    Open,
    /// Goes on its own connection, as HTTP/1.1.
    Unshared,
}

impl<S> Default for Shared<S> {
    fn default() -> Self {
        Shared {
            origins: HashMap::new(),
        }
    }
}

impl<S: Clone> Shared<S> {
    /// What a request to `origin` does; `usable` says whether a connection still carries new
    /// streams (one that does not is forgotten, and the request opens another). A request
    /// told to wait is woken through `waker`.
    pub fn claim(
        &mut self,
        origin: &Origin,
        waker: &Waker,
        usable: impl Fn(&S) -> bool,
    ) -> Claim<S> {
        match self.origins.get_mut(origin) {
            Some(SharedState::Open(connection)) if usable(connection) => {
                Claim::Use(connection.clone())
            }
            Some(SharedState::Negotiating(waiting)) => {
                if !waiting.iter().any(|w| w.will_wake(waker)) {
                    waiting.push(waker.clone());
                }
                Claim::Wait
            }
            Some(SharedState::Unshared) => Claim::Unshared,
            Some(SharedState::Open(_)) | None => {
                self.origins
                    .insert(origin.clone(), SharedState::Negotiating(Vec::new()));
                Claim::Open
            }
        }
    }

    /// Ends the negotiation a [`Claim::Open`] began: `Some` connection to share, or `None`
    /// when none came of it (the server picked HTTP/1.1: `unshared`; or it failed); the
    /// requests waiting are woken.
    pub fn opened(&mut self, origin: &Origin, connection: Option<S>, unshared: bool) {
        let state = match (connection, unshared) {
            (Some(connection), _) => Some(SharedState::Open(connection)),
            (None, true) => Some(SharedState::Unshared),
            (None, false) => None,
        };
        let before = match state {
            Some(state) => self.origins.insert(origin.clone(), state),
            None => self.origins.remove(origin),
        };
        if let Some(SharedState::Negotiating(waiting)) = before {
            waiting.into_iter().for_each(Waker::wake);
        }
    }

    /// Forgets the connection to `origin` (after a GOAWAY, or a stream it could not open), so
    /// that the next request opens another; a negotiation under way is left alone.
    pub fn forget(&mut self, origin: &Origin) {
        if let Some(SharedState::Open(_)) = self.origins.get(origin) {
            self.origins.remove(origin);
        }
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

    #[test]
    fn a_request_waits_for_a_negotiating_connection_and_then_shares_it() {
        let mut shared = Shared::default();
        let waker = Waker::noop();
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Open
        );
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Wait
        );
        assert_eq!(
            shared.claim(&origin("b.test"), waker, |_| true),
            Claim::Open
        );
        shared.opened(&origin("a.test"), Some(7), false);
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Use(7)
        );
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Use(7)
        );
    }

    #[test]
    fn a_closed_or_forgotten_connection_is_replaced_and_http1_is_not_shared() {
        let mut shared = Shared::default();
        let waker = Waker::noop();
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Open
        );
        shared.opened(&origin("a.test"), Some(1), false);
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |&c| c != 1),
            Claim::Open
        );
        shared.opened(&origin("a.test"), Some(2), false);
        shared.forget(&origin("a.test"));
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Open
        );
        shared.opened(&origin("a.test"), None, false);
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Open
        );
        shared.opened(&origin("a.test"), None::<u8>, true);
        assert_eq!(
            shared.claim(&origin("a.test"), waker, |_| true),
            Claim::Unshared
        );
    }
}
