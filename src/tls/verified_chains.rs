//! The chains a context has verified, so that a new connection to the same server skips
//! re-verifying its chain: a handshake then costs one signature check (the server's
//! CertificateVerify) instead of three, which inside wasm is most of a full handshake.
//!
//! Only successes are kept, each with the window in which every certificate presented is valid;
//! outside it the chain is verified again. The anchors and revocation lists of a context never
//! change, so its own cache needs no other key. Bounded: the oldest entry goes first.

use std::collections::VecDeque;

use ring::digest::{Context, SHA256};

/// The most chains a context remembers.
pub const CAPACITY: usize = 64;

/// What identifies a verification: SHA-256 over the server name and every certificate
/// presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainKey([u8; 32]);

/// The chain key: SHA-256 over the name and the certificates, each length-prefixed.
pub fn chain_key(server_name: &str, end_entity: &[u8], intermediates: &[&[u8]]) -> ChainKey {
    let mut digest = Context::new(&SHA256);
    for part in std::iter::once(server_name.as_bytes())
        .chain(std::iter::once(end_entity))
        .chain(intermediates.iter().copied())
    {
        digest.update(&(part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    let mut key = [0; 32];
    key.copy_from_slice(digest.finish().as_ref());
    ChainKey(key)
}

/// The window, in seconds since the epoch, in which every certificate of a chain is valid:
/// the latest notBefore and the earliest notAfter. `None` if one cannot be read.
pub fn window<'a>(certificates: impl IntoIterator<Item = &'a [u8]>) -> Option<(u64, u64)> {
    certificates
        .into_iter()
        .try_fold((0, u64::MAX), |(from, until), cert| {
            let (not_before, not_after) = super::der::validity(cert)?;
            Some((from.max(not_before), until.min(not_after)))
        })
}

/// Verified chains, most recent last.
#[derive(Debug, Default)]
pub struct VerifiedChains {
    entries: VecDeque<(ChainKey, u64, u64)>,
}

impl VerifiedChains {
    /// The validity window of `key`'s chain, if it was verified and `now` (seconds since the
    /// epoch) is inside that window.
    pub fn window_at(&self, key: &ChainKey, now: u64) -> Option<(u64, u64)> {
        self.entries
            .iter()
            .find(|(k, from, until)| k == key && (*from..=*until).contains(&now))
            .map(|(_, from, until)| (*from, *until))
    }

    /// Remembers a verified chain and its validity window.
    pub fn insert(&mut self, key: ChainKey, (from, until): (u64, u64)) {
        self.entries.retain(|(k, ..)| *k != key);
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back((key, from, until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_known_only_inside_its_window() {
        let mut chains = VerifiedChains::default();
        let key = chain_key("a.test", b"leaf", &[b"intermediate"]);
        chains.insert(key, (100, 200));
        assert_eq!(chains.window_at(&key, 100), Some((100, 200)));
        assert!(chains.window_at(&key, 200).is_some());
        assert!(chains.window_at(&key, 99).is_none());
        assert!(chains.window_at(&key, 201).is_none());
    }

    #[test]
    fn the_name_and_every_certificate_are_part_of_the_key() {
        let key = chain_key("a.test", b"leaf", &[b"intermediate"]);
        assert_ne!(key, chain_key("b.test", b"leaf", &[b"intermediate"]));
        assert_ne!(key, chain_key("a.test", b"leaf2", &[b"intermediate"]));
        assert_ne!(key, chain_key("a.test", b"leaf", &[]));
        // Length prefixes: moving bytes between parts changes the key.
        assert_ne!(key, chain_key("a.test", b"leafi", &[b"ntermediate"]));
    }

    #[test]
    fn the_oldest_chain_goes_first_when_full() {
        let mut chains = VerifiedChains::default();
        let key = |i: usize| chain_key(&format!("{i}.test"), b"leaf", &[]);
        for i in 0..=CAPACITY {
            chains.insert(key(i), (0, 10));
        }
        assert!(chains.window_at(&key(0), 5).is_none());
        assert!(chains.window_at(&key(1), 5).is_some());
        assert!(chains.window_at(&key(CAPACITY), 5).is_some());
    }

    #[test]
    fn an_unreadable_certificate_has_no_window() {
        assert_eq!(window([b"not a certificate".as_slice()]), None);
        assert_eq!(window([]), Some((0, u64::MAX)));
    }
}
