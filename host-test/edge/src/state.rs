//! The store data both wasmtime-wasi-http hosts of this project use: the edge host here, and
//! the benchmarks' `wasi:http` client host (crate `verified-https-bench`).

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// The store data of one instance under a wasmtime-wasi-http host: WASI, `wasi:http`, the
/// hooks that decide how the host sends outgoing requests, and a memory limit.
pub struct HttpState<H> {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: H,
    pub(crate) memory: MemoryLimit,
}

impl<H: WasiHttpHooks> HttpState<H> {
    /// The state of an instance with `wasi` and `hooks`, and no memory limit of its own (the
    /// store applies one only if its host installs [`HttpState`]'s limiter, as the edge host
    /// does).
    pub fn new(wasi: WasiCtx, hooks: H) -> Self {
        HttpState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            memory: MemoryLimit::new(usize::MAX),
        }
    }

    /// The same state, with its instance's linear memories limited to `bytes` in total.
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory = MemoryLimit::new(bytes);
        self
    }
}

/// A store's limit on linear memory, all its memories together (a composed component has one
/// per core module); growing beyond it stops the instance (a trap), and is remembered.
#[derive(Debug)]
pub(crate) struct MemoryLimit {
    limit: usize,
    in_use: usize,
    exceeded: bool,
}

/// The most elements a table may grow to (wasmtime's own default for a pooled instance).
const MAX_TABLE_ELEMENTS: usize = 20_000;

impl MemoryLimit {
    fn new(limit: usize) -> Self {
        MemoryLimit {
            limit,
            in_use: 0,
            exceeded: false,
        }
    }

    /// Whether the instance tried to grow beyond the limit.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl wasmtime::ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let in_use = self.in_use.saturating_sub(current).saturating_add(desired);
        if in_use > self.limit {
            self.exceeded = true;
            return Err(wasmtime::format_err!(
                "the instance's linear memory would grow to {in_use} bytes, over its limit of {}",
                self.limit
            ));
        }
        self.in_use = in_use;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

impl<H: Send> WasiView for HttpState<H> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl<H: WasiHttpHooks> WasiHttpView for HttpState<H> {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
