//! Contexts: whom a request trusts.

use crate::bindings::verified::https::client::{self, ContextOptions, Limits, TrustAnchors};
use crate::error::Error;

/// Trust and verification settings, shared by the requests sent through it (and its pool of
/// idle connections: reuse one context for requests to the same server).
pub struct Context {
    inner: client::Context,
}

impl Context {
    /// A context that verifies chain and host name against the anchors of the component's
    /// composition (its trust provider, or the host's `trust`). Fails with
    /// `trust-store-unavailable` when there are none: never a silent fallback.
    pub fn verified() -> Result<Self, Error> {
        let inner = client::create_default_context()?;
        Ok(Self { inner })
    }

    /// A verified context that trusts exactly the `CERTIFICATE` blocks of `pem`, instead of
    /// the composition's anchors.
    pub fn trusting_pem(pem: &[u8]) -> Result<Self, Error> {
        let inner = client::create_context(&ContextOptions {
            trust_anchors: TrustAnchors::Pem(pem.to_vec()),
            revocation_lists: Vec::new(),
            limits: Limits {
                max_header_section_bytes: None,
                max_header_count: None,
                max_status_line_bytes: None,
                max_chunk_line_bytes: None,
                max_interim_responses: None,
                max_body_bytes: None,
            },
            client_identity: None,
            min_version: None,
            max_version: None,
            pinned_public_keys: Vec::new(),
        })?;
        Ok(Self { inner })
    }

    /// DANGER: a context that does not verify the server's chain or name (TLS still runs, to
    /// a server nobody vouched for). Every response through it has `verified() == false`.
    pub fn dangerous_unverified() -> Self {
        Self {
            inner: client::create_unverified_context(),
        }
    }

    /// Whether this context verifies certificates (false only for
    /// [`Context::dangerous_unverified`]).
    pub fn verifies(&self) -> bool {
        self.inner.verifies()
    }

    /// The client's context, for the request builder.
    pub(crate) fn inner(&self) -> &client::Context {
        &self.inner
    }
}
