//! The only code that touches WIT: exports the `client` interface over the core.
//!
//! - this file: the exported functions and resources (context, request body, response);
//! - `bindings`: what wit-bindgen generates (the one place `unsafe` is allowed);
//! - `convert`: WIT types to the core's and back, errors included, each in one place;
//! - `trust`: the `trust` import as the core's host trust store;
//! - `identity` (the `host-keys` build only): the `identity` import as a rustls signing key;
//! - `crypto` (the `host-crypto` build only): the `crypto` import as the lender of
//!   [`crate::tls::lent`], installed before the first context;
//! - `sockets`: the core's network port over `wasi:sockets` and `wasi:clocks`;
//! - `transport` (the `host-network` build, instead of `sockets`): the network port over the
//!   `transport` import;
//! - `async_sockets` (the `async-client` build, instead of `sockets`): the network port over
//!   `wasi:sockets@0.3` and `wasi:clocks@0.3`, truly async; the synchronous `client` then
//!   waits on it with wit-bindgen's `block_on`;
//! - `async_client` (the `async-client` build): the export of `verified:https-async/client`;
//! - `wasi_http` (the `wasi-http` build): `wasi:http/client@0.3.0` over the core, for
//!   `wasi:http` guests composed with the client.

#[cfg(feature = "async-client")]
mod async_client;
#[cfg(feature = "async-client")]
mod async_sockets;
mod bindings;
mod convert;
#[cfg(feature = "host-crypto")]
mod crypto;
#[cfg(feature = "host-keys")]
mod identity;
#[cfg(not(feature = "host-network"))]
mod socket_addresses;
#[cfg(not(any(feature = "host-network", feature = "async-client")))]
mod sockets;
#[cfg(feature = "host-network")]
mod transport;
mod trust;
#[cfg(feature = "wasi-http")]
mod wasi_http;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustls_pki_types::UnixTime;

#[cfg(not(feature = "async-client"))]
use crate::blocking::block_on;
use crate::client::upload::{Progress, Upload};
use crate::client::{self, Client};
use crate::error::Error;
use crate::http1::content::ContentCoding;
use crate::limits::Limits;
use crate::tls::{ClientIdentity, Policy, TlsOptions};
#[cfg(feature = "async-client")]
use async_sockets::AsyncWasiNetwork as PlatformNetwork;
use convert::{
    core_error, core_limits, core_request, tls_options, trust_choice, wit_coding, wit_error,
    wit_headers, wit_tls_info,
};
#[cfg(not(any(feature = "host-network", feature = "async-client")))]
use sockets::WasiNetwork as PlatformNetwork;
#[cfg(feature = "host-network")]
use transport::HostNetwork as PlatformNetwork;
use trust::TrustImport;
#[cfg(feature = "async-client")]
use wit_bindgen::block_on;

use bindings::exports::verified::https::client as wit;

/// The component: the implementation of the exported `client` interface.
struct Component;

impl wit::Guest for Component {
    type Context = HttpsContext;
    type Response = HttpsResponse;
    type RequestBody = HttpsRequestBody;

    fn create_default_context() -> Result<wit::Context, wit::ErrorCode> {
        use_host_crypto();
        HttpsContext::verified(
            wit::TrustAnchors::Host,
            Vec::new(),
            Limits::default(),
            &TlsOptions::default(),
        )
    }

    fn create_context(mut options: wit::ContextOptions) -> Result<wit::Context, wit::ErrorCode> {
        use_host_crypto();
        let tls = tls_options(&mut options, host_identity).map_err(wit_error)?;
        HttpsContext::verified(
            options.trust_anchors,
            options.revocation_lists,
            core_limits(&options.limits),
            &tls,
        )
    }

    fn create_unverified_context() -> wit::Context {
        use_host_crypto();
        wit::Context::new(HttpsContext {
            client: Rc::new(Client::new(
                PlatformNetwork,
                Policy::unverified(),
                Limits::default(),
            )),
            offers_http2: Cell::new(false),
        })
    }

    fn describe_error(error: wit::ErrorCode) -> String {
        core_error(error).to_string()
    }

    fn supported_content_codings() -> Vec<wit::ContentCoding> {
        ContentCoding::SUPPORTED
            .into_iter()
            .map(wit_coding)
            .collect()
    }
}

/// The client identity of the host's key, through the `identity` import.
#[cfg(feature = "host-keys")]
fn host_identity() -> Result<ClientIdentity, Error> {
    identity::host_identity()
}

/// This build has no `identity` import, so it cannot use a key the host keeps.
#[cfg(not(feature = "host-keys"))]
fn host_identity() -> Result<ClientIdentity, Error> {
    Err(Error::InvalidClientIdentity(
        "this build of the client has no identity import; a key the host keeps needs the \
         host-keys build (world https-client-host-keys)"
            .into(),
    ))
}

/// Makes the host's crypto (the `crypto` import) the provider of every context from now on.
#[cfg(feature = "host-crypto")]
fn use_host_crypto() {
    crate::tls::lent::lend(&crypto::HostCrypto);
}

/// This build computes its crypto itself (ring, inside the component).
#[cfg(not(feature = "host-crypto"))]
fn use_host_crypto() {}

/// A context: the core client over the build's network (`wasi:sockets`, or `transport`),
/// shared with its uploads.
struct HttpsContext {
    client: Rc<Client<PlatformNetwork>>,
    /// Whether its requests offer HTTP/2 by ALPN (`offer-http2`).
    offers_http2: Cell<bool>,
}

impl HttpsContext {
    /// A verified context trusting what [`crate::trust::choose`] picks for these options.
    fn verified(
        anchors: wit::TrustAnchors,
        revocation_lists: Vec<Vec<u8>>,
        limits: Limits,
        tls: &TlsOptions,
    ) -> Result<wit::Context, wit::ErrorCode> {
        let trust = crate::trust::choose(trust_choice(anchors), revocation_lists, &TrustImport)
            .map_err(wit_error)?;
        let policy = Policy::verified(trust.roots, trust.revocation_lists, trust.source, tls)
            .map_err(wit_error)?;
        Ok(wit::Context::new(HttpsContext {
            client: Rc::new(Client::new(PlatformNetwork, policy, limits)),
            offers_http2: Cell::new(false),
        }))
    }
}

impl wit::GuestContext for HttpsContext {
    fn verifies(&self) -> bool {
        self.client.policy().verifies()
    }

    fn verify_chain(&self, chain: Vec<Vec<u8>>, server_name: String) -> Result<(), wit::ErrorCode> {
        self.client
            .policy()
            .verify_chain(&chain, &server_name, UnixTime::now())
            .map_err(wit_error)
    }

    fn offer_http2(&self, offer: bool) -> Result<(), wit::ErrorCode> {
        if offer && !cfg!(feature = "http2") {
            return Err(wit_error(client::protocol::no_http2()));
        }
        self.offers_http2.set(offer);
        Ok(())
    }

    fn send(&self, request: wit::Request) -> Result<wit::Response, wit::ErrorCode> {
        let (url, request, mut options) = core_request(request, None).map_err(wit_error)?;
        // The async build's synchronous `send` speaks HTTP/1.1: its HTTP/2 connections are
        // tasks that outlive the call, which only the async `send` gives them.
        options.http2 = self.offers_http2.get() && !cfg!(feature = "async-client");
        match block_on(self.client.send(&url, request, &options)) {
            Ok(response) => Ok(HttpsResponse::handle(response)),
            Err(err) => Err(wit_error(err)),
        }
    }

    fn begin_request(
        &self,
        request: wit::Request,
        body_size: Option<u64>,
    ) -> Result<wit::RequestBody, wit::ErrorCode> {
        let (url, request, options) = core_request(request, Some(body_size)).map_err(wit_error)?;
        let upload = block_on(self.client.begin(&url, request, &options)).map_err(wit_error)?;
        Ok(wit::RequestBody::new(HttpsRequestBody(RefCell::new(Some(
            upload,
        )))))
    }
}

/// A streamed request body: the core's upload, until `finish` takes it.
struct HttpsRequestBody(RefCell<Option<Upload<PlatformNetwork>>>);

impl wit::GuestRequestBody for HttpsRequestBody {
    fn write(&self, bytes: Vec<u8>) -> Result<wit::UploadProgress, wit::ErrorCode> {
        let mut upload = self.0.borrow_mut();
        let upload = upload.as_mut().ok_or_else(finished)?;
        match block_on(upload.write(&bytes)).map_err(wit_error)? {
            Progress::Sending => Ok(wit::UploadProgress::Sending),
            Progress::Answered => Ok(wit::UploadProgress::Answered),
        }
    }

    fn finish(&self) -> Result<wit::Response, wit::ErrorCode> {
        let upload = self.0.borrow_mut().take().ok_or_else(finished)?;
        block_on(upload.finish())
            .map(HttpsResponse::handle)
            .map_err(wit_error)
    }
}

/// The error for a request body used after `finish`.
fn finished() -> wit::ErrorCode {
    wit_error(Error::InvalidRequest(
        "the request body was finished already".into(),
    ))
}

/// A response: the core's, borrowed mutably to read its body.
struct HttpsResponse(RefCell<client::Response<PlatformNetwork>>);

impl HttpsResponse {
    fn handle(response: client::Response<PlatformNetwork>) -> wit::Response {
        wit::Response::new(HttpsResponse(RefCell::new(response)))
    }
}

impl wit::GuestResponse for HttpsResponse {
    fn url(&self) -> String {
        self.0.borrow().url.clone()
    }

    fn status(&self) -> u16 {
        self.0.borrow().head.status
    }

    fn reason(&self) -> String {
        self.0.borrow().head.reason.clone()
    }

    fn headers(&self) -> Vec<wit::Header> {
        wit_headers(&self.0.borrow().head.headers)
    }

    fn tls(&self) -> Option<wit::TlsInfo> {
        self.0.borrow().tls.clone().map(wit_tls_info)
    }

    fn content_decoded(&self) -> Vec<wit::ContentCoding> {
        self.0
            .borrow()
            .content_decoded
            .map(wit_coding)
            .into_iter()
            .collect()
    }

    fn read_body(&self, max_bytes: u32) -> Result<Option<Vec<u8>>, wit::ErrorCode> {
        block_on(self.0.borrow_mut().read_body(max_bytes as usize)).map_err(wit_error)
    }
}
