//! What an embedder decides for one instance of the component: the trust import's answers,
//! where the component may connect, its clock, its stderr and the directories it may read.

use std::path::PathBuf;
use std::time::SystemTime;

/// What the host answers to `trust-anchors`: the component's system certificate store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostTrust {
    /// These DER-encoded certificates are the trust anchors (an empty list is reported to a
    /// verified request as `trust-store-unavailable`, like an error).
    Anchors(Vec<Vec<u8>>),
    /// The host has none, and says why (for example "no certificate bundle found at ...").
    Unavailable(String),
}

/// What the host answers to `revocation-lists`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRevocationLists {
    /// These DER-encoded CRLs; an empty list means no revocation checking.
    Lists(Vec<Vec<u8>>),
    /// The host has lists but cannot supply them: verified contexts fail closed.
    Unavailable(String),
}

impl Default for HostRevocationLists {
    /// No lists: no revocation checking.
    fn default() -> Self {
        HostRevocationLists::Lists(Vec::new())
    }
}

/// Which addresses the component may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPolicy {
    /// Any address, and name lookups (the CLI).
    Any,
    /// Loopback addresses only, and name lookups (tests).
    LoopbackOnly,
}

/// How an instance is set up.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The trust anchors the host imports into the component.
    pub trust: HostTrust,
    /// The certificate revocation lists the host imports.
    pub revocation_lists: HostRevocationLists,
    /// Where the component may connect.
    pub network: NetworkPolicy,
    /// A fixed wall-clock time for the component (certificate validity), or the real clock.
    pub wall_clock: Option<SystemTime>,
    /// Whether the component's stderr goes to ours.
    pub inherit_stderr: bool,
    /// Host directories the component may read, each at a guest path (read-only).
    pub preopens: Vec<(PathBuf, String)>,
}

impl HostConfig {
    /// Trusting `trust`, no revocation lists, loopback only, real time, stderr inherited.
    pub fn loopback(trust: HostTrust) -> Self {
        HostConfig {
            trust,
            revocation_lists: HostRevocationLists::default(),
            network: NetworkPolicy::LoopbackOnly,
            wall_clock: None,
            inherit_stderr: true,
            preopens: Vec::new(),
        }
    }
}
