//! The store data both wasmtime-wasi-http hosts of this project use: the edge host here, and
//! the benchmarks' `wasi:http` client host (crate `verified-https-bench`).

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// The store data of one instance under a wasmtime-wasi-http host: WASI, `wasi:http`, and
/// the hooks that decide how the host sends outgoing requests.
pub struct HttpState<H> {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: H,
}

impl<H: WasiHttpHooks> HttpState<H> {
    /// The state of an instance with `wasi` and `hooks`.
    pub fn new(wasi: WasiCtx, hooks: H) -> Self {
        HttpState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
        }
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
