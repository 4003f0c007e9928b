//! Session resumption that keeps `verified` true at every connection.
//!
//! A resumed TLS session skips certificate verification: the server proves it holds the
//! session's secret, not that its certificate is still valid. So a verified context offers a
//! ticket (or a TLS 1.2 session) for a server only while the chain last verified for that name
//! is inside its validity window at the current time; outside it the handshake is a full one,
//! and the chain is verified again. The anchors and revocation lists of a context never change,
//! so nothing else can invalidate what was verified. As a second line, the client re-checks the
//! chain a resumed session carries ([`super::Policy::accepts_resumed`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::NamedGroup;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls_pki_types::{ServerName, UnixTime};

/// How many servers' sessions a context keeps (rustls's default).
const SESSIONS: usize = 256;

/// The validity window (seconds since the epoch) of the chain last verified for each server
/// name, written by the verifier and read by the session store.
#[derive(Debug, Default)]
pub(crate) struct VerifiedWindows(Mutex<HashMap<String, (u64, u64)>>);

impl VerifiedWindows {
    /// Records that a chain valid from `window.0` to `window.1` was verified for `name`.
    pub(crate) fn record(&self, name: &ServerName<'_>, window: (u64, u64)) {
        self.lock().insert(name.to_str().into_owned(), window);
    }

    /// Whether the chain last verified for `name` is valid at `now`.
    fn still_valid(&self, name: &ServerName<'_>, now: u64) -> bool {
        self.lock()
            .get(name.to_str().as_ref())
            .is_some_and(|(from, until)| (*from..=*until).contains(&now))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (u64, u64)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// rustls's in-memory session cache, offering a session only while [`VerifiedWindows`] says
/// the chain behind it is still valid (and forgetting the server's sessions otherwise).
#[derive(Debug)]
pub(crate) struct VerifiedSessionStore {
    sessions: ClientSessionMemoryCache,
    windows: Arc<VerifiedWindows>,
}

impl VerifiedSessionStore {
    /// A store consulting `windows`.
    pub(crate) fn new(windows: Arc<VerifiedWindows>) -> Self {
        VerifiedSessionStore {
            sessions: ClientSessionMemoryCache::new(SESSIONS),
            windows,
        }
    }

    /// Forgets every session for `name`.
    pub(crate) fn forget(&self, name: &ServerName<'static>) {
        self.sessions.remove_tls12_session(name);
        while self.sessions.take_tls13_ticket(name).is_some() {}
    }

    /// Whether a session for `name` may be offered now; if not, its sessions are forgotten.
    fn may_resume(&self, name: &ServerName<'_>) -> bool {
        if self.windows.still_valid(name, UnixTime::now().as_secs()) {
            return true;
        }
        self.forget(&name.to_owned());
        false
    }
}

impl ClientSessionStore for VerifiedSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.sessions.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.sessions.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.sessions.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        if !self.may_resume(server_name) {
            return None;
        }
        self.sessions.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.sessions.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.sessions.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        if !self.may_resume(server_name) {
            return None;
        }
        self.sessions.take_tls13_ticket(server_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_from_its_start_to_its_end_only_for_its_name() {
        let windows = VerifiedWindows::default();
        let name = ServerName::try_from("a.test").unwrap();
        assert!(!windows.still_valid(&name, 150), "nothing verified yet");
        windows.record(&name, (100, 200));
        assert!(windows.still_valid(&name, 100) && windows.still_valid(&name, 200));
        assert!(!windows.still_valid(&name, 99) && !windows.still_valid(&name, 201));
        let other = ServerName::try_from("b.test").unwrap();
        assert!(!windows.still_valid(&other, 150));
    }

    #[test]
    fn no_session_is_offered_once_the_verified_chain_has_expired() {
        let windows = Arc::new(VerifiedWindows::default());
        let store = VerifiedSessionStore::new(windows.clone());
        let name = ServerName::try_from("a.test").unwrap();
        let now = UnixTime::now().as_secs();
        windows.record(&name, (now - 10, now + 3_600));
        assert!(store.may_resume(&name));
        windows.record(&name, (now - 10, now - 1));
        assert!(!store.may_resume(&name));
    }
}
