//! What an embedder decides for one instance of the component: the trust import's answers,
//! where the component may connect, its clock, its stderr and the directories it may read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::SystemTime;

use wasmtime_wasi::sockets::SocketAddrUse;

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

impl NetworkPolicy {
    /// Whether a component under this policy may use `addr` for `usage`: the host's
    /// `socket_addr_check`, as a pure function.
    ///
    /// [`NetworkPolicy::Any`] allows everything. [`NetworkPolicy::LoopbackOnly`] allows TCP
    /// connections to 127.0.0.0/8 and `::1` only, and binds to loopback or to the unspecified
    /// address (the implicit bind before a connect); never listening, accepting or UDP. An
    /// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is not loopback, whatever it maps.
    pub fn allows(self, addr: SocketAddr, usage: SocketAddrUse) -> bool {
        let ip = addr.ip();
        match self {
            NetworkPolicy::Any => true,
            NetworkPolicy::LoopbackOnly => match usage {
                SocketAddrUse::TcpConnect => ip.is_loopback(),
                SocketAddrUse::TcpBind => ip.is_loopback() || ip.is_unspecified(),
                _ => false,
            },
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(policy: NetworkPolicy, addr: &str) -> bool {
        policy.allows(addr.parse().expect("an address"), SocketAddrUse::TcpConnect)
    }

    #[test]
    fn loopback_only_connects_to_loopback_and_refuses_every_other_address() {
        for allowed in [
            "127.0.0.1:443",
            "127.1.2.3:8443",
            "127.255.255.254:1",
            "[::1]:443",
        ] {
            assert!(connect(NetworkPolicy::LoopbackOnly, allowed), "{allowed}");
        }
        for refused in [
            "10.0.0.1:443",
            "192.0.2.1:443",
            "8.8.8.8:53",
            "169.254.169.254:80",
            "0.0.0.0:443",
            "128.0.0.1:443",
            "[::ffff:192.0.2.1]:443",
            "[::ffff:127.0.0.1]:443",
            "[::]:443",
            "[2001:db8::1]:443",
            "[fe80::1]:443",
        ] {
            assert!(!connect(NetworkPolicy::LoopbackOnly, refused), "{refused}");
        }
    }

    #[test]
    fn loopback_only_binds_only_for_a_connect_and_never_listens_accepts_or_sends_udp() {
        let policy = NetworkPolicy::LoopbackOnly;
        let bind = |addr: &str| policy.allows(addr.parse().unwrap(), SocketAddrUse::TcpBind);
        assert!(bind("0.0.0.0:0") && bind("[::]:0") && bind("127.0.0.1:0"));
        assert!(!bind("10.0.0.1:0") && !bind("[2001:db8::1]:0"));
        let loopback = "127.0.0.1:8443".parse().unwrap();
        for usage in [
            SocketAddrUse::TcpListen,
            SocketAddrUse::TcpAccept,
            SocketAddrUse::UdpBind,
            SocketAddrUse::UdpSend,
            SocketAddrUse::UdpReceive,
        ] {
            assert!(!policy.allows(loopback, usage), "{usage:?}");
        }
    }

    #[test]
    fn any_allows_every_address() {
        assert!(connect(NetworkPolicy::Any, "192.0.2.1:443"));
        assert!(connect(NetworkPolicy::Any, "[2001:db8::1]:443"));
    }
}
