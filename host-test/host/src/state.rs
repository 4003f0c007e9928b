//! The store's data of one instance: WASI (sockets policy, clock, preopens), the trust
//! import's answers, the client key the identity import signs with, and a meter of linear
//! memory; and the linker setup that serves it.
//!
//! [`runtime`](crate::runtime) links with [`add_to_linker`], [`instance`](crate::instance)
//! creates a [`HostState`] per store; this module uses neither.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::HttpsClient;
use crate::client_key::HostClientKey;
use crate::config::{HostConfig, HostRevocationLists, HostTrust, NetworkPolicy};

/// Adds WASI 0.2, the `verified:https/trust` import and the `identity` import to `linker`
/// (the `crypto` import is [`crate::lent_crypto`]'s).
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    HttpsClient::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    // Used only by the host-keys build; a component that does not import it ignores it.
    crate::host_keys_bindings::verified::https::identity::add_to_linker::<
        HostState,
        HasSelf<HostState>,
    >(linker, |state| state)?;
    Ok(())
}

/// The store's data: WASI state and the trust import's answers.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    trust: HostTrust,
    revocation_lists: HostRevocationLists,
    clock: WallClockSetting,
    trust_calls: u32,
    client_key: Option<HostClientKey>,
    pub(crate) crypto_calls: CryptoCalls,
    pub(crate) memory: MemoryMeter,
}

impl HostState {
    /// The state `config` describes; the wall clock runs until [`HostState::set_wall_clock`].
    pub(crate) fn new(config: HostConfig) -> Result<Self> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_tcp(true).allow_ip_name_lookup(true);
        if config.inherit_stderr {
            wasi.inherit_stderr();
        }
        for (host_path, guest_path) in &config.preopens {
            wasi.preopened_dir(host_path, guest_path, wasmtime_wasi::FsPerms::ReadOnly)
                .map_err(|e| anyhow::anyhow!("preopening {}: {e}", host_path.display()))?;
        }
        match config.network {
            NetworkPolicy::Any => wasi.inherit_network(),
            policy @ NetworkPolicy::LoopbackOnly => wasi.socket_addr_check(move |addr, usage| {
                let allowed = policy.allows(addr, usage);
                Box::pin(async move { allowed })
            }),
        };
        let clock = WallClockSetting::default();
        wasi.wall_clock(clock.clone());
        Ok(HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            trust: config.trust,
            revocation_lists: config.revocation_lists,
            clock,
            trust_calls: 0,
            client_key: None,
            crypto_calls: CryptoCalls::default(),
            memory: MemoryMeter::default(),
        })
    }

    /// Stops the component's wall clock at `time`, or gives it the real clock (`None`).
    pub(crate) fn set_wall_clock(&self, time: Option<SystemTime>) {
        self.clock
            .set(time.map(|t| t.duration_since(UNIX_EPOCH).unwrap_or_default()));
    }

    /// Changes what the trust import answers from now on.
    pub(crate) fn set_trust(&mut self, trust: HostTrust, revocation_lists: HostRevocationLists) {
        self.trust = trust;
        self.revocation_lists = revocation_lists;
    }

    /// Changes the client key the `identity` import signs with (none: it has no key).
    pub(crate) fn set_client_key(&mut self, key: Option<HostClientKey>) {
        self.client_key = key;
    }

    /// The resources the component holds (WASI's and the lent crypto's keys).
    pub(crate) fn resources(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// How often the component has asked for the trust anchors.
    pub(crate) fn trust_calls(&self) -> u32 {
        self.trust_calls
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl crate::bindings::verified::https::trust::Host for HostState {
    fn trust_anchors(&mut self) -> Result<Vec<Vec<u8>>, String> {
        self.trust_calls += 1;
        match &self.trust {
            HostTrust::Anchors(anchors) => Ok(anchors.clone()),
            HostTrust::Unavailable(why) => Err(why.clone()),
        }
    }

    fn revocation_lists(&mut self) -> Result<Vec<Vec<u8>>, String> {
        match &self.revocation_lists {
            HostRevocationLists::Lists(lists) => Ok(lists.clone()),
            HostRevocationLists::Unavailable(why) => Err(why.clone()),
        }
    }
}

impl crate::host_keys_bindings::verified::https::identity::Host for HostState {
    fn certificate_chain(&mut self) -> Result<Vec<Vec<u8>>, String> {
        match &self.client_key {
            Some(key) => Ok(key.chain().to_vec()),
            None => Err("this host holds no client key".into()),
        }
    }

    fn signature_schemes(&mut self) -> Vec<u16> {
        self.client_key
            .as_ref()
            .map(HostClientKey::signature_schemes)
            .unwrap_or_default()
    }

    fn sign(&mut self, scheme: u16, message: Vec<u8>) -> Result<Vec<u8>, String> {
        match &self.client_key {
            Some(key) => key.sign(scheme, &message),
            None => Err("this host holds no client key".into()),
        }
    }
}

/// How often the component used the crypto this host lends (all zero for a component that
/// computes its own); [`crate::lent_crypto`] counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CryptoCalls {
    /// Records sealed.
    pub seals: u64,
    /// Records opened (authentic or not).
    pub opens: u64,
    /// Key shares made.
    pub key_shares: u64,
    /// Signatures verified (valid or not).
    pub verifications: u64,
}

/// The component's wall clock: the real one, or stopped at an instant the host can change.
#[derive(Debug, Clone, Default)]
struct WallClockSetting(Arc<Mutex<Option<Duration>>>);

impl WallClockSetting {
    fn set(&self, since_epoch: Option<Duration>) {
        // A poisoned lock still holds a whole `Option<Duration>` (a plain value, written in one
        // assignment), so its content is used rather than a panic.
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = since_epoch;
    }
}

impl HostWallClock for WallClockSetting {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let fixed = *self.0.lock().unwrap_or_else(PoisonError::into_inner);
        fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        })
    }
}

/// Records the largest linear memory the component grows to.
#[derive(Debug, Default)]
pub(crate) struct MemoryMeter {
    pub(crate) peak: usize,
}

impl wasmtime::ResourceLimiter for MemoryMeter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}
