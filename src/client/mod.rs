//! The client: sends requests through a [`Network`] it is given, keeping idle connections per
//! origin ([`pool`]), following redirects as asked ([`redirect`]) on the same connection when
//! they stay on the origin, reaching servers through proxies ([`proxy`]), streaming request
//! bodies ([`upload`]), and sending an idempotent request again when the server had closed
//! the idle connection it went out on. The glue runs it over `wasi:sockets`;
//! [`crate::std_net`] runs the very same code over `std::net` (tests and the benchmarks'
//! native reference).

#[cfg(feature = "http2")]
pub mod multiplex;
pub mod pool;
pub mod protocol;
pub mod proxy;
pub mod redirect;
pub mod upload;

use std::cell::RefCell;
use std::rc::Rc;

use crate::channel::{Channel, Link};
use crate::error::{Error, Result};
use crate::http1::content::ContentCoding;
use crate::http1::{self, Request, ResponseHead};
use crate::limits::Limits;
use crate::net::{Deadline, Network, TimeLimits};
use crate::target::{Scheme, Target};
use crate::tls::stream::TlsStream;
use crate::tls::{Policy, TlsInfo};
use pool::{Origin, Pool};
use protocol::ExchangeBody;
use proxy::{Proxy, ProxyConfig};
use redirect::RedirectPolicy;

/// How long each part of a request may take, in milliseconds (none: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// Resolving the name and connecting.
    pub connect_ms: Option<u64>,
    /// The TLS handshake.
    pub handshake_ms: Option<u64>,
    /// The longest silence while sending or receiving.
    pub read_ms: Option<u64>,
    /// The whole request, from connecting to the last byte of the body, redirects included.
    pub total_ms: Option<u64>,
}

impl Timeouts {
    /// How long resolving and connecting may take unless the request says: 30 s.
    pub const DEFAULT_CONNECT_MS: u64 = 30_000;
    /// How long the TLS handshake may take unless the request says: 30 s.
    pub const DEFAULT_HANDSHAKE_MS: u64 = 30_000;
    /// The longest silence unless the request says: 300 s.
    pub const DEFAULT_READ_MS: u64 = 300_000;
    /// The value that asks for no limit at all.
    pub const UNLIMITED: u64 = u64::MAX;

    /// The time limits a request asked for, in milliseconds: an absent one takes its default
    /// (the whole request has none), and [`Timeouts::UNLIMITED`] asks for no limit. So no
    /// request waits forever on a silent server unless it asks to.
    pub fn requested(
        connect_ms: Option<u64>,
        handshake_ms: Option<u64>,
        read_ms: Option<u64>,
        total_ms: Option<u64>,
    ) -> Self {
        let limit = |asked: Option<u64>, default: Option<u64>| match asked {
            Some(Self::UNLIMITED) => None,
            Some(ms) => Some(ms),
            None => default,
        };
        Timeouts {
            connect_ms: limit(connect_ms, Some(Self::DEFAULT_CONNECT_MS)),
            handshake_ms: limit(handshake_ms, Some(Self::DEFAULT_HANDSHAKE_MS)),
            read_ms: limit(read_ms, Some(Self::DEFAULT_READ_MS)),
            total_ms: limit(total_ms, None),
        }
    }
}

/// Connect to `address` instead of resolving `host` (for `host:port`), like curl's `--resolve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOverride {
    /// The host as written in URLs.
    pub host: String,
    /// The port it applies to.
    pub port: u16,
    /// The address to connect to.
    pub address: String,
}

/// How one request is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// Time limits.
    pub timeouts: Timeouts,
    /// Addresses to use instead of resolving.
    pub connect_overrides: Vec<ConnectOverride>,
    /// Redirects to follow (none: 3xx responses are returned as they are).
    pub redirects: Option<RedirectPolicy>,
    /// The proxy to go through, unless its `no_proxy` names the host.
    pub proxy: Option<ProxyConfig>,
    /// Whether a new https connection offers HTTP/2 by ALPN (`h2`, then `http/1.1`); a
    /// server that picks `h2` gets HTTP/2 ([`protocol`]). Defaults to false: only
    /// `http/1.1` is offered.
    pub http2: bool,
}

/// A connection as the client keeps it: a channel over a TCP connection or a proxy's tunnel.
pub type Connection<N> = Channel<Link<<N as Network>::Stream>>;

/// The idle connections of a client, shared with its responses.
type SharedPool<N> = Rc<RefCell<Pool<Connection<N>>>>;

/// The most bytes of a redirect's body read (and dropped) so that its connection can carry
/// the next request; a longer body costs the connection instead.
const REDIRECT_BODY_DRAIN: usize = 64 * 1024;

/// How a request reaches its server: the pool's key for its connections, and the proxy
/// tunnel, if any.
struct Route {
    origin: Origin,
    proxy: Option<Proxy>,
    /// Where the proxy is connected to: its host, or the address a connect override gives it.
    proxy_address: String,
    /// The `host:port` a CONNECT asks for.
    tunnel_to: String,
}

/// A client: a TLS policy, response limits and the idle connections its requests reuse.
pub struct Client<N: Network> {
    network: N,
    policy: Policy,
    limits: Limits,
    pool: SharedPool<N>,
    /// The HTTP/2 connections its concurrent requests share (an async port only).
    #[cfg(feature = "http2")]
    shared: multiplex::SharedConnections,
}

impl<N: Network> Client<N> {
    /// A client that connects through `network` with `policy` and `limits`.
    pub fn new(network: N, policy: Policy, limits: Limits) -> Self {
        Client {
            network,
            policy,
            limits,
            pool: Rc::default(),
            #[cfg(feature = "http2")]
            shared: Rc::default(),
        }
    }

    /// The TLS policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The response limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends `request` (whose body, if any, is given whole) to `url`, following redirects as
    /// `options` say.
    pub async fn send(
        &self,
        url: &str,
        request: Request,
        options: &SendOptions,
    ) -> Result<Response<N>> {
        if matches!(request.body, http1::Body::Streamed { .. }) {
            return Err(Error::Internal("a streamed body is sent with begin".into()));
        }
        let total = self.total_deadline(options);
        let response = self.send_once(url, &request, options, total).await?;
        self.follow(url.to_owned(), request, options, total, response)
            .await
    }

    /// The deadline of a whole request that starts now, redirects included.
    fn total_deadline(&self, options: &SendOptions) -> Option<Deadline> {
        options
            .timeouts
            .total_ms
            .map(|ms| Deadline::after_millis(self.network.now(), ms))
    }

    /// Follows the redirects that start with `response` (to `request` for `url`), as
    /// `options` say, before `total`. A redirect's body is read and dropped, so that its
    /// connection carries the next request when that stays on the origin.
    async fn follow(
        &self,
        mut url: String,
        mut request: Request,
        options: &SendOptions,
        total: Option<Deadline>,
        mut response: Response<N>,
    ) -> Result<Response<N>> {
        let Some(policy) = &options.redirects else {
            return Ok(response);
        };
        let mut followed = 0;
        loop {
            let location = response.head.values("location").next().map(<[u8]>::to_vec);
            let next = redirect::next_request(
                &url,
                &request,
                response.head.status,
                location.as_deref(),
                policy,
                followed,
            )?;
            let Some((next_url, next_request)) = next else {
                return Ok(response);
            };
            response.discard(REDIRECT_BODY_DRAIN).await;
            (url, request) = (next_url, next_request);
            followed += 1;
            response = self.send_once(&url, &request, options, total).await?;
        }
    }

    /// Sends one request, on an idle connection to its origin if there is one, before `total`.
    async fn send_once(
        &self,
        url: &str,
        request: &Request,
        options: &SendOptions,
        total: Option<Deadline>,
    ) -> Result<Response<N>> {
        let target = Target::parse(url)?;
        let route = self.route(&target, options)?;
        let verifies = self.policy.verifies();
        let exchange_over =
            |channel| ExchangeBody::exchange(channel, &target, request, verifies, &self.limits);
        #[cfg(feature = "http2")]
        if let Some(response) = self
            .send_shared(url, &target, &route, request, options, total)
            .await?
        {
            return Ok(response);
        }

        if let Some(channel) = self.idle_channel(&route.origin, options, total).await {
            match exchange_over(channel).await {
                Ok(response) => return Ok(self.response(url, response, route.origin)),
                // The server closed the idle connection before it saw the request: send the
                // request again on a new connection if that cannot do harm.
                Err(Error::ConnectionTerminated(_)) if request.is_idempotent() => {}
                Err(err) => return Err(err),
            }
        }
        let channel = self.connect(&target, &route, options, total).await?;
        let response = exchange_over(channel).await?;
        Ok(self.response(url, response, route.origin))
    }

    /// The route to `target`: through the proxy unless `no_proxy` names the host, to the
    /// address a connect override gives (through a proxy, CONNECT asks for that address: the
    /// override says where the name is, and TLS still verifies the name).
    fn route(&self, target: &Target, options: &SendOptions) -> Result<Route> {
        let host = target.host_text();
        let overridden_for = |target: &Target| {
            let host = target.host_text();
            options
                .connect_overrides
                .iter()
                .find(|o| o.port == target.port && same_host(&o.host, &host))
                .map(|o| o.address.clone())
        };
        let overridden = overridden_for(target);
        let proxy = match &options.proxy {
            Some(config) => Some(Proxy::parse(config)?).filter(|p| p.applies_to(&target.host)),
            None => None,
        };
        let proxy_address = proxy.as_ref().map_or(String::new(), |p| {
            overridden_for(&p.target).unwrap_or_else(|| p.target.host_text())
        });
        let tunnel_to = match &overridden {
            Some(address) if address.contains(':') => format!("[{address}]:{}", target.port),
            Some(address) => format!("{address}:{}", target.port),
            None => target.authority_with_port(),
        };
        Ok(Route {
            origin: Origin {
                scheme: match target.scheme {
                    Scheme::Https => "https",
                    Scheme::Http => "http",
                },
                address: overridden.unwrap_or_else(|| host.clone()),
                host,
                port: target.port,
                via: proxy.as_ref().map(Proxy::key),
            },
            proxy,
            proxy_address,
            tunnel_to,
        })
    }

    /// A new connection for `target` along `route`: TCP (to the server or the proxy), the
    /// tunnel, and TLS for https, each within its timeout and `total`. A resumed session (the
    /// server's, or an https proxy's) that outlived the chain it was verified with is not
    /// used: the context has then forgotten those sessions, so a second attempt is a full
    /// handshake that verifies again.
    async fn connect(
        &self,
        target: &Target,
        route: &Route,
        options: &SendOptions,
        total: Option<Deadline>,
    ) -> Result<Connection<N>> {
        match self.connect_once(target, route, options, total).await? {
            Some(channel) => Ok(channel),
            None => self
                .connect_once(target, route, options, total)
                .await?
                .ok_or_else(|| Error::Internal("a second handshake resumed a session".into())),
        }
    }

    /// One attempt of [`Client::connect`]; `None` if a resumed session outlived its chain.
    async fn connect_once(
        &self,
        target: &Target,
        route: &Route,
        options: &SendOptions,
        total: Option<Deadline>,
    ) -> Result<Option<Connection<N>>> {
        let timeouts = options.timeouts;
        let after = |ms: Option<u64>| ms.map(|ms| Deadline::after_millis(self.network.now(), ms));
        let connect_deadline = Deadline::earliest(after(timeouts.connect_ms), total);
        let (host, port) = match &route.proxy {
            Some(proxy) => (route.proxy_address.clone(), proxy.target.port),
            None => (route.origin.address.clone(), target.port),
        };
        let mut tcp = self.network.connect(&host, port, connect_deadline).await?;
        let mut limits = TimeLimits {
            total,
            phase: after(timeouts.handshake_ms),
            idle_ms: timeouts.read_ms,
        };
        N::set_limits(&mut tcp, limits);
        let link = match &route.proxy {
            None => Link::Tcp(tcp),
            Some(proxy) => {
                let mut link = match proxy.target.scheme {
                    Scheme::Http => Link::Tcp(tcp),
                    Scheme::Https => {
                        let name = proxy.target.server_name()?;
                        let tls = TlsStream::connect(&self.policy, name, tcp).await?;
                        if self.outlived_its_chain(tls.resumed_chain(), &proxy.target)? {
                            return Ok(None);
                        }
                        Link::ProxyTls(Box::new(tls))
                    }
                };
                proxy::open_tunnel(proxy, &mut link, &route.tunnel_to, &self.limits).await?;
                link
            }
        };
        let policy = protocol::connection_policy(&self.policy, target, options.http2)?;
        let mut channel = Channel::open(target, link, Some(&policy)).await?;
        if self.outlived_its_chain(channel.resumed_chain(), target)? {
            return Ok(None);
        }
        limits.phase = None;
        N::set_limits(channel.transport_mut().tcp_mut(), limits);
        Ok(Some(channel))
    }

    /// Whether a resumed session's `chain` is no longer one the policy accepts for `target`.
    fn outlived_its_chain(
        &self,
        chain: Option<&[rustls_pki_types::CertificateDer<'static>]>,
        target: &Target,
    ) -> Result<bool> {
        Ok(match chain {
            Some(chain) => !self.policy.accepts_resumed(chain, &target.server_name()?),
            None => false,
        })
    }

    /// An idle connection to `origin` with no input waiting, its time limits set for a
    /// request: one with stray bytes (a body after a 204, an answer sent before the request)
    /// or whose server has closed it is dropped, and the next one tried.
    async fn idle_channel(
        &self,
        origin: &Origin,
        options: &SendOptions,
        total: Option<Deadline>,
    ) -> Option<Connection<N>> {
        loop {
            let mut channel = self.pool.borrow_mut().take(origin, self.network.now())?;
            if channel.has_input().await {
                continue;
            }
            N::set_limits(
                channel.transport_mut().tcp_mut(),
                TimeLimits {
                    total,
                    phase: None,
                    idle_ms: options.timeouts.read_ms,
                },
            );
            return Some(channel);
        }
    }

    fn response(
        &self,
        url: &str,
        response: impl Into<ExchangeBody<Link<N::Stream>>>,
        origin: Origin,
    ) -> Response<N> {
        let response = response.into();
        Response {
            url: url.to_owned(),
            head: response.head().clone(),
            tls: response.tls().cloned(),
            content_decoded: response.content_decoded(),
            body: Some(response),
            network: self.network.clone(),
            pool: self.pool.clone(),
            origin,
        }
    }
}

/// Whether an override's host names the URL's host: names without regard to case, IP
/// literals by value (so `2001:DB8::1` and `[2001:db8::1]` match).
fn same_host(written: &str, url_host: &str) -> bool {
    let bare = written.trim_start_matches('[').trim_end_matches(']');
    match (
        bare.parse::<std::net::IpAddr>(),
        url_host.parse::<std::net::IpAddr>(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => bare.eq_ignore_ascii_case(url_host),
    }
}

/// A response whose head has arrived; its body is read in pieces, and once it is complete the
/// connection goes back to the client's idle connections if it can carry another request.
pub struct Response<N: Network> {
    /// The URL this response is for (after redirects).
    pub url: String,
    /// The final response head.
    pub head: ResponseHead,
    /// TLS details, for https.
    pub tls: Option<TlsInfo>,
    /// The content coding undone on the body, if any.
    pub content_decoded: Option<ContentCoding>,
    /// The body still arriving; `None` once complete or failed.
    body: Option<ExchangeBody<Link<N::Stream>>>,
    network: N,
    pool: SharedPool<N>,
    origin: Origin,
}

impl<N: Network> Response<N> {
    /// Reads at most `max` bytes of the body; `None` once it is complete. An error ends the
    /// body (and its connection).
    pub async fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let Some(body) = self.body.as_mut() else {
            return Ok(None);
        };
        match body.read_body(max).await {
            Ok(None) => {
                if let Some(channel) = self.body.take().and_then(ExchangeBody::into_idle_channel) {
                    let now = self.network.now();
                    self.pool
                        .borrow_mut()
                        .put(self.origin.clone(), channel, now);
                }
                Ok(None)
            }
            Ok(Some(piece)) => Ok(Some(piece)),
            Err(err) => {
                self.body = None;
                Err(err)
            }
        }
    }

    /// Reads and drops the body, so that its connection goes back to the idle ones, unless
    /// it is longer than `max` bytes (then the connection is closed instead).
    async fn discard(&mut self, max: usize) {
        let mut read = 0;
        while read <= max {
            match self.read_body(max + 1 - read).await {
                Ok(Some(piece)) => read += piece.len(),
                Ok(None) | Err(_) => return,
            }
        }
        self.body = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_timeouts_take_their_defaults_and_unlimited_is_asked_for_explicitly() {
        let defaults = Timeouts::requested(None, None, None, None);
        assert_eq!(
            defaults,
            Timeouts {
                connect_ms: Some(30_000),
                handshake_ms: Some(30_000),
                read_ms: Some(300_000),
                total_ms: None,
            }
        );
        let asked = Timeouts::requested(Some(5), Some(Timeouts::UNLIMITED), Some(7), Some(9));
        assert_eq!(
            asked,
            Timeouts {
                connect_ms: Some(5),
                handshake_ms: None,
                read_ms: Some(7),
                total_ms: Some(9),
            }
        );
    }

    #[test]
    fn override_hosts_match_names_without_case_and_ip_literals_by_value() {
        assert!(same_host("Example.TEST", "example.test"));
        assert!(same_host("[2001:DB8::1]", "2001:db8::1"));
        assert!(same_host("2001:db8:0::1", "2001:db8::1"));
        assert!(!same_host("other.test", "example.test"));
    }
}
