//! One instance of the component in a store ([`ClientInstance`]), and typed calls to the
//! exported client: contexts, requests, responses and their bodies.

use std::time::SystemTime;

use anyhow::Result;
use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::HttpsClient;
use crate::bindings::exports::verified::https::client::{
    ContentCoding, ContextOptions, ErrorCode, Header, Request, RequestOptions, TlsInfo,
    UploadProgress,
};
use crate::config::{HostConfig, HostRevocationLists, HostTrust};
use crate::runtime::Runtime;
use crate::state::HostState;

/// A running instance of the component (one store, one instance): what the host calls the
/// component's exported client through. Its contexts and responses live inside it.
pub struct ClientInstance {
    store: Store<HostState>,
    bindings: HttpsClient,
}

/// A context inside the component (a handle; dropped with its instance).
#[derive(Debug, Clone, Copy)]
pub struct ContextHandle(ResourceAny);

/// A response inside the component, with its head fields read; its body is read through the
/// instance ([`ClientInstance::read_body`]).
#[derive(Debug)]
pub struct ResponseHandle {
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
    /// The content codings undone on the body (empty: the body is as sent).
    pub content_decoded: Vec<ContentCoding>,
}

/// A streamed request body inside the component ([`ClientInstance::begin_request`]): written
/// with [`ClientInstance::write_body`], ended with [`ClientInstance::finish_body`].
#[derive(Debug)]
pub struct RequestBodyHandle(ResourceAny);

/// A call either failed inside the component (an `error-code`, the inner error) or trapped
/// (a host bug, the outer one): wasmtime's own shape for typed calls, kept so that `??`
/// unwraps both.
pub type CallResult<T> = Result<std::result::Result<T, ErrorCode>>;

impl ClientInstance {
    /// Instantiates the component with `config`.
    pub fn new(runtime: &Runtime, config: HostConfig) -> Result<Self> {
        let wall_clock = config.wall_clock;
        let state = HostState::new(config)?;
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|state| &mut state.memory);
        let bindings = HttpsClient::instantiate(&mut store, &runtime.component, &runtime.linker)?;
        let instance = ClientInstance { store, bindings };
        instance.store.data().set_wall_clock(wall_clock);
        Ok(instance)
    }

    /// Stops the component's wall clock at `time`, or gives it the real clock (`None`).
    pub fn set_wall_clock(&mut self, time: Option<SystemTime>) {
        self.store.data().set_wall_clock(time);
    }

    /// Changes what the trust import returns to later `create-default-context` calls.
    pub fn set_trust(&mut self, trust: HostTrust, revocation_lists: HostRevocationLists) {
        self.store.data_mut().set_trust(trust, revocation_lists);
    }

    /// Gives the `identity` import a client key to sign with (for the host-keys build of the
    /// component), or takes it away.
    pub fn set_client_key(&mut self, key: Option<crate::HostClientKey>) {
        self.store.data_mut().set_client_key(key);
    }

    /// How often the component used the crypto this host lends (the host-crypto build).
    pub fn crypto_calls(&self) -> crate::CryptoCalls {
        self.store.data().crypto_calls
    }

    /// How often the component has asked for the host's trust anchors.
    pub fn trust_calls(&self) -> u32 {
        self.store.data().trust_calls()
    }

    /// `create-default-context`.
    pub fn default_context(&mut self) -> CallResult<ContextHandle> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .call_create_default_context(&mut self.store)?
            .map(ContextHandle))
    }

    /// `create-context`.
    pub fn context(&mut self, options: &ContextOptions) -> CallResult<ContextHandle> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .call_create_context(&mut self.store, options)?
            .map(ContextHandle))
    }

    /// `create-unverified-context`.
    pub fn unverified_context(&mut self) -> Result<ContextHandle> {
        let api = self.bindings.verified_https_client();
        Ok(ContextHandle(
            api.call_create_unverified_context(&mut self.store)?,
        ))
    }

    /// `describe-error`: the one-line message for `err`, as the component words it.
    pub fn describe_error(&mut self, err: &ErrorCode) -> Result<String> {
        let api = self.bindings.verified_https_client();
        Ok(api.call_describe_error(&mut self.store, err)?)
    }

    /// `context.verify-chain`.
    pub fn verify_chain(
        &mut self,
        context: ContextHandle,
        chain: &[Vec<u8>],
        server_name: &str,
    ) -> CallResult<()> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .context()
            .call_verify_chain(&mut self.store, context.0, chain, server_name)?)
    }

    /// `context.offer-http2`: whether the context's requests offer `h2` by ALPN from now on.
    pub fn offer_http2(&mut self, context: ContextHandle, offer: bool) -> CallResult<()> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .context()
            .call_offer_http2(&mut self.store, context.0, offer)?)
    }

    /// `context.send`, then the response's head fields.
    pub fn send(
        &mut self,
        context: ContextHandle,
        request: &Request,
    ) -> CallResult<ResponseHandle> {
        let api = self.bindings.verified_https_client();
        match api
            .context()
            .call_send(&mut self.store, context.0, request)?
        {
            Ok(handle) => Ok(Ok(self.response_head(handle)?)),
            Err(err) => Ok(Err(err)),
        }
    }

    /// `context.begin-request`: the head sent, the body (of `body_size` bytes, or chunked)
    /// to follow.
    pub fn begin_request(
        &mut self,
        context: ContextHandle,
        request: &Request,
        body_size: Option<u64>,
    ) -> CallResult<RequestBodyHandle> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .context()
            .call_begin_request(&mut self.store, context.0, request, body_size)?
            .map(RequestBodyHandle))
    }

    /// `request-body.write`.
    pub fn write_body(
        &mut self,
        body: &RequestBodyHandle,
        bytes: &[u8],
    ) -> CallResult<UploadProgress> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .request_body()
            .call_write(&mut self.store, body.0, bytes)?)
    }

    /// `request-body.finish`, then the response's head fields; the body handle is dropped.
    pub fn finish_body(&mut self, body: RequestBodyHandle) -> CallResult<ResponseHandle> {
        let api = self.bindings.verified_https_client();
        let finished = api.request_body().call_finish(&mut self.store, body.0)?;
        body.0.resource_drop(&mut self.store)?;
        match finished {
            Ok(handle) => Ok(Ok(self.response_head(handle)?)),
            Err(err) => Ok(Err(err)),
        }
    }

    /// `supported-content-codings`.
    pub fn supported_content_codings(&mut self) -> Result<Vec<ContentCoding>> {
        let api = self.bindings.verified_https_client();
        Ok(api.call_supported_content_codings(&mut self.store)?)
    }

    /// The head fields of a response handle.
    fn response_head(&mut self, handle: ResourceAny) -> Result<ResponseHandle> {
        let r = self.bindings.verified_https_client().response();
        Ok(ResponseHandle {
            url: r.call_url(&mut self.store, handle)?,
            status: r.call_status(&mut self.store, handle)?,
            reason: r.call_reason(&mut self.store, handle)?,
            headers: r.call_headers(&mut self.store, handle)?,
            tls: r.call_tls(&mut self.store, handle)?,
            content_decoded: r.call_content_decoded(&mut self.store, handle)?,
            handle,
        })
    }

    /// `response.read-body`: at most `max` bytes, `None` at the end.
    pub fn read_body(
        &mut self,
        response: &ResponseHandle,
        max: u32,
    ) -> CallResult<Option<Vec<u8>>> {
        let api = self.bindings.verified_https_client();
        Ok(api
            .response()
            .call_read_body(&mut self.store, response.handle, max)?)
    }

    /// Reads the whole body into memory (for small bodies and tests).
    pub fn read_to_end(&mut self, response: &ResponseHandle) -> CallResult<Vec<u8>> {
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
    pub fn drop_response(&mut self, response: ResponseHandle) -> Result<()> {
        Ok(response.handle.resource_drop(&mut self.store)?)
    }

    /// Drops a context.
    pub fn drop_context(&mut self, context: ContextHandle) -> Result<()> {
        Ok(context.0.resource_drop(&mut self.store)?)
    }

    /// The largest linear memory the component has asked for, in bytes.
    pub fn peak_memory_bytes(&self) -> usize {
        self.store.data().memory.peak
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
            accept_encoding: None,
            proxy: None,
        },
    }
}
