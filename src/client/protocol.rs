//! The HTTP version of a connection: what a request offers by ALPN (`h2` beside `http/1.1`
//! only when it asks for HTTP/2 and the build has it), and the exchange the protocol the
//! server picked gets. Without the feature `http2` a request that asks for HTTP/2 is
//! refused, never silently sent over HTTP/1.1.

use std::borrow::Cow;

use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::http1::content::ContentCoding;
use crate::http1::{self, Exchange, Request, ResponseHead};
#[cfg(feature = "http2")]
use crate::http2::shared::Http2Response;
#[cfg(feature = "http2")]
use crate::http2::{self, Http2Exchange};
use crate::limits::Limits;
use crate::net::Transport;
use crate::target::{Scheme, Target};
use crate::tls::{Policy, TlsInfo};

/// The TLS policy of a new connection for `target`: `policy` itself, or for an https
/// request that asks for HTTP/2 (`http2`), the same policy offering `h2` first by ALPN.
pub fn connection_policy<'p>(
    policy: &'p Policy,
    target: &Target,
    http2: bool,
) -> Result<Cow<'p, Policy>> {
    if !http2 || target.scheme != Scheme::Https {
        return Ok(Cow::Borrowed(policy));
    }
    offer_http2(policy)
}

#[cfg(feature = "http2")]
fn offer_http2(policy: &Policy) -> Result<Cow<'_, Policy>> {
    Ok(Cow::Owned(policy.offering_http2()))
}

#[cfg(not(feature = "http2"))]
fn offer_http2(_: &Policy) -> Result<Cow<'_, Policy>> {
    Err(no_http2())
}

/// The error for asking a build without the feature `http2` for HTTP/2.
pub fn no_http2() -> Error {
    Error::InvalidRequest(
        "this build of the client has no HTTP/2 (it offers only http/1.1); HTTP/2 needs a \
         build with the feature http2 (target/verified-https-host-crypto.wasm)"
            .into(),
    )
}

/// A response's body as its protocol carries it.
#[allow(
    clippy::large_enum_variant,
    reason = "HTTP/1.1, the common case, stays inline; the larger HTTP/2 exchange is boxed"
)]
pub enum ExchangeBody<T> {
    /// HTTP/1.1: its connection may carry another request once the body is read.
    Http1(Exchange<T>),
    /// HTTP/2: its connection carries only this request.
    #[cfg(feature = "http2")]
    Http2(Box<Http2Exchange<T>>),
    /// HTTP/2: a stream on a connection that concurrent requests share.
    #[cfg(feature = "http2")]
    Shared(Box<Http2Response>),
}

impl<T> From<Exchange<T>> for ExchangeBody<T> {
    fn from(exchange: Exchange<T>) -> Self {
        ExchangeBody::Http1(exchange)
    }
}

impl<T: Transport> ExchangeBody<T> {
    /// Sends `request` over `channel` in the protocol its TLS agreed by ALPN (HTTP/1.1 when
    /// none was), and reads the response head: (head, TLS details, content coding undone,
    /// body).
    pub async fn exchange(
        channel: Channel<T>,
        target: &Target,
        request: &Request,
        verified: bool,
        limits: &Limits,
    ) -> Result<Self> {
        #[cfg(feature = "http2")]
        if channel
            .tls_info(verified)
            .and_then(|tls| tls.alpn)
            .as_deref()
            == Some("h2")
        {
            let exchange = http2::blocking::exchange(channel, target, request, verified, limits)?;
            return Ok(ExchangeBody::Http2(Box::new(exchange)));
        }
        http1::exchange(channel, target, request, verified, limits)
            .await
            .map(ExchangeBody::Http1)
    }

    /// The final response head.
    pub fn head(&self) -> &ResponseHead {
        match self {
            ExchangeBody::Http1(exchange) => &exchange.head,
            #[cfg(feature = "http2")]
            ExchangeBody::Http2(exchange) => &exchange.head,
            #[cfg(feature = "http2")]
            ExchangeBody::Shared(response) => &response.head,
        }
    }

    /// The TLS details, for https.
    pub fn tls(&self) -> Option<&TlsInfo> {
        match self {
            ExchangeBody::Http1(exchange) => exchange.tls.as_ref(),
            #[cfg(feature = "http2")]
            ExchangeBody::Http2(exchange) => exchange.tls.as_ref(),
            #[cfg(feature = "http2")]
            ExchangeBody::Shared(response) => response.tls.as_ref(),
        }
    }

    /// The content coding undone on the body, if any.
    pub fn content_decoded(&self) -> Option<ContentCoding> {
        match self {
            ExchangeBody::Http1(exchange) => exchange.content_decoded(),
            #[cfg(feature = "http2")]
            ExchangeBody::Http2(exchange) => exchange.content_decoded(),
            #[cfg(feature = "http2")]
            ExchangeBody::Shared(response) => response.content_decoded(),
        }
    }

    /// Reads at most `max` bytes of the body; `None` once it is complete.
    pub async fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        match self {
            ExchangeBody::Http1(exchange) => exchange.read_body(max).await,
            #[cfg(feature = "http2")]
            ExchangeBody::Http2(exchange) => exchange.read_body(max),
            #[cfg(feature = "http2")]
            ExchangeBody::Shared(response) => response.read_body(max).await,
        }
    }

    /// The connection, for another request, once the body has been read (HTTP/1.1 only).
    pub fn into_idle_channel(self) -> Option<Channel<T>> {
        match self {
            ExchangeBody::Http1(exchange) => exchange.into_idle_channel(),
            #[cfg(feature = "http2")]
            ExchangeBody::Http2(_) | ExchangeBody::Shared(_) => None,
        }
    }
}
