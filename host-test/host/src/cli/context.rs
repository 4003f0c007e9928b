//! The instance and the context `https-get` sends through, set up the same way for one URL (a
//! [`ClientInstance`] of a WASI 0.2 build) and for `-Z` (an [`AsyncClientInstance`] of the
//! async build): the host's trust import as the flags choose ([`host_config`]), then a
//! verified context with the flags' options, or the unverified one with its warning, and
//! HTTP/2 offered with `--http2` ([`open_context`]).

use anyhow::Result;
use wasmtime::component::ResourceAny;

use super::{Args, Failure, TlsOptions, TrustChoice};
use crate::async_client::AsyncClientInstance;
use crate::config::{HostConfig, HostRevocationLists, NetworkPolicy};
use crate::instance::{CallResult, ClientInstance, ContextHandle};
use crate::trust_store;
use crate::{ContextOptions, ErrorCode};

/// The calls of the synchronous `client` interface that choosing a context makes, on either
/// kind of instance.
pub trait ContextCalls {
    /// The instance's handle of a context.
    type Context: Copy;
    /// `create-context`.
    fn create_context(&mut self, options: &ContextOptions) -> CallResult<Self::Context>;
    /// `create-unverified-context`. DANGER: no verification of chain or name.
    fn create_unverified_context(&mut self) -> Result<Self::Context>;
    /// `context.offer-http2`.
    fn offer_http2(&mut self, context: Self::Context, offer: bool) -> CallResult<()>;
    /// `describe-error`: the component's one-line message for `err`.
    fn describe_error(&mut self, err: &ErrorCode) -> Result<String>;
}

impl ContextCalls for ClientInstance {
    type Context = ContextHandle;

    fn create_context(&mut self, options: &ContextOptions) -> CallResult<ContextHandle> {
        self.context(options)
    }

    fn create_unverified_context(&mut self) -> Result<ContextHandle> {
        self.unverified_context()
    }

    fn offer_http2(&mut self, context: ContextHandle, offer: bool) -> CallResult<()> {
        ClientInstance::offer_http2(self, context, offer)
    }

    fn describe_error(&mut self, err: &ErrorCode) -> Result<String> {
        ClientInstance::describe_error(self, err)
    }
}

impl ContextCalls for AsyncClientInstance {
    type Context = ResourceAny;

    fn create_context(&mut self, options: &ContextOptions) -> CallResult<ResourceAny> {
        AsyncClientInstance::create_context(self, options)
    }

    fn create_unverified_context(&mut self) -> Result<ResourceAny> {
        AsyncClientInstance::create_unverified_context(self)
    }

    fn offer_http2(&mut self, context: ResourceAny, offer: bool) -> CallResult<()> {
        AsyncClientInstance::offer_http2(self, context, offer)
    }

    fn describe_error(&mut self, err: &ErrorCode) -> Result<String> {
        AsyncClientInstance::describe_error(self, err)
    }
}

/// The host side of an instance for `choice`: the trust import answers with the store
/// [`trust_store::discover`] finds (named on stderr with `-v`) only for the host's store;
/// any address may be reached; the real clock; the component's stderr shown.
pub fn host_config(choice: &TrustChoice, verbose: bool) -> HostConfig {
    let trust = choice.host_trust(trust_store::discover, |store| {
        if verbose {
            eprintln!(
                "* trust store: {} ({} certificates)",
                store.origin,
                store.certificates.len()
            );
        }
    });
    HostConfig {
        trust,
        revocation_lists: HostRevocationLists::default(),
        network: NetworkPolicy::Any,
        wall_clock: None,
        inherit_stderr: true,
        preopens: Vec::new(),
    }
}

/// The context the flags choose on `client`: `create-context` with `tls` and `--max-filesize`
/// for a verified choice (a refusal is its error's exit code), else the unverified context
/// with a warning on stderr; with `--http2`, offering `h2` (a build without HTTP/2 refuses).
pub fn open_context<C: ContextCalls>(
    args: &Args,
    client: &mut C,
    choice: &TrustChoice,
    tls: TlsOptions,
) -> Result<C::Context, Failure> {
    let context = match choice.context_options(args.max_filesize, tls) {
        Some(options) => client
            .create_context(&options)?
            .map_err(|err| Failure::from_error(client, &err))?,
        None => {
            eprintln!(
                "https-get: WARNING: --insecure: the server's certificate and host name are NOT verified"
            );
            client.create_unverified_context()?
        }
    };
    if args.http2 {
        client
            .offer_http2(context, true)?
            .map_err(|err| Failure::from_error(client, &err))?;
    }
    Ok(context)
}
