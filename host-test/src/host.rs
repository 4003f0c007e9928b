//! One instance of the component in a store: the trust import, the sockets policy, the clock,
//! and typed calls to the exported client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use wasmtime::Store;
use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::HttpsClient;
use crate::bindings::exports::verified::https::client::{
    ContextOptions, ErrorCode, Header, Request, RequestOptions, TlsInfo,
};
use crate::runtime::Runtime;

/// What the host's `trust-anchors` import returns: DER certificates, or why there are none.
pub type HostTrust = std::result::Result<Vec<Vec<u8>>, String>;

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
    /// The certificate revocation lists (DER) the host imports; empty: no revocation checking.
    pub revocation_lists: HostTrust,
    /// Where the component may connect.
    pub network: NetworkPolicy,
    /// A fixed wall-clock time for the component (certificate validity), or the real clock.
    pub wall_clock: Option<SystemTime>,
    /// Whether the component's stderr goes to ours.
    pub inherit_stderr: bool,
    /// Host directories the component may read, each at a guest path (read-only).
    pub preopens: Vec<(std::path::PathBuf, String)>,
}

impl HostConfig {
    /// Trusting `trust`, loopback only, real time.
    pub fn loopback(trust: HostTrust) -> Self {
        HostConfig {
            trust,
            revocation_lists: Ok(Vec::new()),
            network: NetworkPolicy::LoopbackOnly,
            wall_clock: None,
            inherit_stderr: true,
            preopens: Vec::new(),
        }
    }
}

/// The store's data: WASI state and the trust import's answer.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    trust: HostTrust,
    revocation_lists: HostTrust,
    clock: WallClockSetting,
    trust_calls: u32,
    memory: MemoryMeter,
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
    fn trust_anchors(&mut self) -> HostTrust {
        self.trust_calls += 1;
        self.trust.clone()
    }

    fn revocation_lists(&mut self) -> HostTrust {
        self.revocation_lists.clone()
    }
}

/// The component's wall clock: the real one, or stopped at an instant the host can change.
#[derive(Debug, Clone, Default)]
struct WallClockSetting(Arc<Mutex<Option<Duration>>>);

impl HostWallClock for WallClockSetting {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let fixed = *self.0.lock().expect("clock lock");
        fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        })
    }
}

/// A running instance of the component.
pub struct Client {
    store: Store<HostState>,
    bindings: HttpsClient,
}

/// A context inside the component (a handle; dropped with the client).
#[derive(Debug, Clone, Copy)]
pub struct Context(ResourceAny);

/// A response inside the component whose body has not been read yet.
#[derive(Debug)]
pub struct Response {
    handle: ResourceAny,
    /// The URL answered (after redirects).
    pub url: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The header fields.
    pub headers: Vec<Header>,
    /// TLS details (none for http://).
    pub tls: Option<TlsInfo>,
}

/// A call either failed inside the component (an `error-code`) or trapped (a host bug).
pub type CallResult<T> = Result<std::result::Result<T, ErrorCode>>;

impl Client {
    /// Instantiates the component with `config`.
    pub fn new(runtime: &Runtime, config: HostConfig) -> Result<Self> {
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
            NetworkPolicy::LoopbackOnly => wasi.socket_addr_check(|addr, usage| {
                // Connecting is what matters; the implicit bind before a connect is to the
                // unspecified address.
                let allowed = match usage {
                    SocketAddrUse::TcpConnect => addr.ip().is_loopback(),
                    SocketAddrUse::TcpBind => addr.ip().is_loopback() || addr.ip().is_unspecified(),
                    _ => false,
                };
                Box::pin(async move { allowed })
            }),
        };
        let clock = WallClockSetting::default();
        wasi.wall_clock(clock.clone());
        let state = HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            trust: config.trust,
            revocation_lists: config.revocation_lists,
            clock,
            trust_calls: 0,
            memory: MemoryMeter::default(),
        };
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|state| &mut state.memory);
        let bindings = HttpsClient::instantiate(&mut store, &runtime.component, &runtime.linker)?;
        let mut client = Client { store, bindings };
        client.set_wall_clock(config.wall_clock);
        Ok(client)
    }

    /// Stops the component's wall clock at `time`, or gives it the real clock (`None`).
    pub fn set_wall_clock(&mut self, time: Option<SystemTime>) {
        let since_epoch = time.map(|t| t.duration_since(UNIX_EPOCH).unwrap_or_default());
        *self.store.data().clock.0.lock().expect("clock lock") = since_epoch;
    }

    /// Changes what the trust import returns to later `create-default-context` calls.
    pub fn set_trust(&mut self, trust: HostTrust, revocation_lists: HostTrust) {
        let state = self.store.data_mut();
        state.trust = trust;
        state.revocation_lists = revocation_lists;
    }

    /// How often the component has asked for the host's trust anchors.
    pub fn trust_calls(&self) -> u32 {
        self.store.data().trust_calls
    }

    /// `create-default-context`.
    pub fn default_context(&mut self) -> CallResult<Context> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .call_create_default_context(&mut self.store)?
            .map(Context))
    }

    /// `create-context`.
    pub fn context(&mut self, options: &ContextOptions) -> CallResult<Context> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .call_create_context(&mut self.store, options)?
            .map(Context))
    }

    /// `create-unverified-context`.
    pub fn unverified_context(&mut self) -> Result<Context> {
        let api = self.bindings.verified_https_client();
        Ok(Context(
            api.call_create_unverified_context(&mut self.store)?,
        ))
    }

    /// `context.verify-chain`.
    pub fn verify_chain(
        &mut self,
        context: Context,
        chain: &[Vec<u8>],
        server_name: &str,
    ) -> CallResult<()> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .context()
            .call_verify_chain(&mut self.store, context.0, chain, server_name)?)
    }

    /// `context.send`, then the response's head fields.
    pub fn send(&mut self, context: Context, request: &Request) -> CallResult<Response> {
        let api = self.bindings.verified_https_client();
        let handle = match api
            .context()
            .call_send(&mut self.store, context.0, request)?
        {
            Ok(handle) => handle,
            Err(err) => return Ok(Err(err)),
        };
        let r = api.response();
        Ok(Ok(Response {
            url: r.call_url(&mut self.store, handle)?,
            status: r.call_status(&mut self.store, handle)?,
            reason: r.call_reason(&mut self.store, handle)?,
            headers: r.call_headers(&mut self.store, handle)?,
            tls: r.call_tls(&mut self.store, handle)?,
            handle,
        }))
    }

    /// `response.read-body`: at most `max` bytes, `None` at the end.
    pub fn read_body(&mut self, response: &Response, max: u32) -> CallResult<Option<Vec<u8>>> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .response()
            .call_read_body(&mut self.store, response.handle, max)?)
    }

    /// Reads the whole body into memory (for small bodies and tests).
    pub fn read_to_end(&mut self, response: &Response) -> CallResult<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            match self.read_body(response, 64 * 1024)? {
                Ok(Some(piece)) => body.extend_from_slice(&piece),
                Ok(None) => return Ok(Ok(body)),
                Err(err) => return Ok(Err(err)),
            }
        }
    }

    /// Drops a response (closing its connection).
    pub fn drop_response(&mut self, response: Response) -> Result<()> {
        Ok(response.handle.resource_drop(&mut self.store)?)
    }

    /// Drops a context.
    pub fn drop_context(&mut self, context: Context) -> Result<()> {
        Ok(context.0.resource_drop(&mut self.store)?)
    }

    /// The largest linear memory the component has asked for, in bytes.
    pub fn peak_memory_bytes(&self) -> usize {
        self.store.data().memory.peak
    }
}

/// Records the largest linear memory the component grows to.
#[derive(Debug, Default)]
struct MemoryMeter {
    peak: usize,
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

/// A GET request for `url` with no headers and no options.
pub fn get(url: &str) -> Request {
    Request {
        method: "GET".into(),
        url: url.into(),
        headers: Vec::new(),
        body: None,
        options: RequestOptions {
            connect_timeout_ms: None,
            handshake_timeout_ms: None,
            read_timeout_ms: None,
            redirects: None,
            timeout_ms: None,
            connect_overrides: Vec::new(),
        },
    }
}
