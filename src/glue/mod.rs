//! The only code that touches WIT: exports the `client` interface, calls the `trust` import,
//! and maps the core's `Error` to the WIT `error-code` in one place.

mod net;

use std::cell::RefCell;
use std::rc::Rc;

use rustls_pki_types::UnixTime;
use wasip2::clocks::monotonic_clock;

use crate::error::{CertificateError, Error};
use crate::exchange::{self, Channel};
use crate::limits::Limits;
use crate::pool::{Origin, Pool};
use crate::redirect::{self, RedirectPolicy};
use crate::request::Request;
use crate::response::ResponseHead;
use crate::target::{Scheme, Target};
use crate::tls::{Policy, TlsInfo};
use crate::trust::{self, AnchorSource};
use net::{Deadline, TcpStream, TimeLimits};

wit_bindgen::generate!({
    world: "https-client",
    path: "wit",
});

use exports::verified::https::client as wit;
use verified::https::trust as host_trust;

/// The component: the implementation of the exported `client` interface.
struct Component;

export!(Component);

impl wit::Guest for Component {
    type Context = HttpsContext;
    type Response = HttpsResponse;

    fn create_default_context() -> Result<wit::Context, wit::ErrorCode> {
        let (roots, crls) = host_anchors().map_err(wit_error)?;
        HttpsContext::verified(roots, crls, AnchorSource::Host, Limits::default())
    }

    fn create_context(options: wit::ContextOptions) -> Result<wit::Context, wit::ErrorCode> {
        let limits = core_limits(&options.limits);
        let caller_crls = options.revocation_lists;
        let (roots, crls, source) = match options.trust_anchors {
            wit::TrustAnchors::Host if caller_crls.is_empty() => {
                let (roots, crls) = host_anchors().map_err(wit_error)?;
                (roots, crls, AnchorSource::Host)
            }
            wit::TrustAnchors::Host => {
                return Err(wit_error(Error::InvalidTrustAnchors(
                    "revocation lists cannot be added to the host's anchors; the host supplies its own"
                        .into(),
                )));
            }
            wit::TrustAnchors::Pem(pem) => {
                let roots = trust::roots_from_pem(&pem, AnchorSource::Caller).map_err(wit_error)?;
                (roots, caller_crls, AnchorSource::Caller)
            }
            wit::TrustAnchors::Der(certs) => {
                let roots =
                    trust::roots_from_der(certs, AnchorSource::Caller).map_err(wit_error)?;
                (roots, caller_crls, AnchorSource::Caller)
            }
        };
        HttpsContext::verified(roots, crls, source, limits)
    }

    fn create_unverified_context() -> wit::Context {
        wit::Context::new(HttpsContext {
            policy: Policy::unverified(),
            limits: Limits::default(),
            pool: Rc::default(),
        })
    }
}

/// The host's trust anchors and revocation lists, through the `trust` import.
fn host_anchors() -> Result<(rustls::RootCertStore, Vec<Vec<u8>>), Error> {
    let anchors = host_trust::trust_anchors().map_err(|why| {
        Error::TrustStoreUnavailable(format!("the host has no trust store: {why}"))
    })?;
    let crls = host_trust::revocation_lists().map_err(|why| {
        Error::TrustStoreUnavailable(format!(
            "the host's revocation lists are unavailable: {why}"
        ))
    })?;
    Ok((trust::roots_from_der(anchors, AnchorSource::Host)?, crls))
}

/// The core's limits from the WIT record: absent fields take the defaults.
fn core_limits(limits: &wit::Limits) -> Limits {
    let default = Limits::default();
    let size = |value: Option<u32>, default: usize| value.map_or(default, |v| v as usize);
    Limits {
        header_section_bytes: size(
            limits.max_header_section_bytes,
            default.header_section_bytes,
        ),
        header_count: size(limits.max_header_count, default.header_count),
        status_line_bytes: size(limits.max_status_line_bytes, default.status_line_bytes),
        chunk_line_bytes: size(limits.max_chunk_line_bytes, default.chunk_line_bytes),
        body_bytes: limits.max_body_bytes.or(default.body_bytes),
    }
}

/// The idle connections of a context.
type ConnectionPool = Pool<Channel<TcpStream>>;

/// A context: the TLS policy and the response limits its requests use, and its idle
/// connections (shared with its responses, which return their connection when done).
struct HttpsContext {
    policy: Policy,
    limits: Limits,
    pool: Rc<RefCell<ConnectionPool>>,
}

impl HttpsContext {
    fn verified(
        roots: rustls::RootCertStore,
        crls: Vec<Vec<u8>>,
        source: AnchorSource,
        limits: Limits,
    ) -> Result<wit::Context, wit::ErrorCode> {
        Ok(wit::Context::new(HttpsContext {
            policy: Policy::verified(roots, crls, source).map_err(wit_error)?,
            limits,
            pool: Rc::default(),
        }))
    }

    /// Sends `request`, following redirects as its options say.
    fn send(&self, request: wit::Request) -> Result<HttpsResponse, Error> {
        let options = request.options;
        let mut url = request.url;
        let mut core_request = Request {
            method: request.method,
            headers: request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: request.body,
        };
        let policy = options.redirects.map(|p| RedirectPolicy {
            max_redirects: p.max_redirects,
            allow_https_to_http: p.allow_https_to_http,
        });
        let mut followed = 0;
        loop {
            let response = self.send_once(&url, &core_request, &options)?;
            let Some(policy) = &policy else {
                return Ok(response);
            };
            let location = response.head.values("location").next();
            match redirect::next_request(
                &url,
                &core_request,
                response.head.status,
                location,
                policy,
                followed,
            )? {
                None => return Ok(response),
                Some((next_url, next_request)) => {
                    (url, core_request) = (next_url, next_request);
                    followed += 1;
                }
            }
        }
    }

    /// Sends one request, on an idle connection to its origin if there is one.
    fn send_once(
        &self,
        url: &str,
        core_request: &Request,
        options: &wit::RequestOptions,
    ) -> Result<HttpsResponse, Error> {
        let target = Target::parse(url)?;
        let total = options.timeout_ms.map(Deadline::after_millis);
        let host = target.host_text();
        let address = options
            .connect_overrides
            .iter()
            .find(|o| o.port == target.port && same_host(&o.host, &host))
            .map_or(host.clone(), |o| o.address.clone());
        let origin = Origin {
            scheme: match target.scheme {
                Scheme::Https => "https",
                Scheme::Http => "http",
            },
            host,
            port: target.port,
            address,
        };
        let exchange_over = |channel| {
            exchange::exchange(
                channel,
                &target,
                core_request,
                self.policy.verifies(),
                &self.limits,
            )
        };

        let idle = self.pool.borrow_mut().take(&origin, monotonic_clock::now());
        if let Some(mut channel) = idle {
            channel.transport_mut().set_limits(TimeLimits {
                total,
                phase: None,
                idle_ms: options.read_timeout_ms,
            });
            match exchange_over(channel) {
                Ok(response) => return Ok(self.response(url, response, origin)),
                // The server closed the idle connection before it saw the request: send the
                // request again on a new connection if that cannot do harm.
                Err(Error::ConnectionTerminated(_)) if core_request.is_idempotent() => {}
                Err(err) => return Err(err),
            }
        }

        let connect_deadline = Deadline::earliest(
            options.connect_timeout_ms.map(Deadline::after_millis),
            total,
        );
        let mut tcp = net::connect(&origin.address, target.port, connect_deadline)?;
        tcp.set_limits(TimeLimits {
            total,
            phase: options.handshake_timeout_ms.map(Deadline::after_millis),
            idle_ms: options.read_timeout_ms,
        });
        let mut channel = Channel::open(&target, tcp, Some(self.policy.config.clone()))?;
        channel.transport_mut().set_phase_deadline(None);
        let response = exchange_over(channel)?;
        Ok(self.response(url, response, origin))
    }

    fn response(
        &self,
        url: &str,
        response: exchange::Response<TcpStream>,
        origin: Origin,
    ) -> HttpsResponse {
        HttpsResponse {
            url: url.to_owned(),
            head: response.head.clone(),
            tls: response.tls.clone(),
            body: RefCell::new(Some(response)),
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

impl wit::GuestContext for HttpsContext {
    fn verifies(&self) -> bool {
        self.policy.verifies()
    }

    fn verify_chain(&self, chain: Vec<Vec<u8>>, server_name: String) -> Result<(), wit::ErrorCode> {
        self.policy
            .verify_chain(&chain, &server_name, UnixTime::now())
            .map_err(wit_error)
    }

    fn send(&self, request: wit::Request) -> Result<wit::Response, wit::ErrorCode> {
        HttpsContext::send(self, request)
            .map(wit::Response::new)
            .map_err(wit_error)
    }
}

/// A response and the connection its body is still arriving on.
struct HttpsResponse {
    url: String,
    head: ResponseHead,
    tls: Option<TlsInfo>,
    /// The body still arriving; `None` once it is complete (its connection back in the pool).
    body: RefCell<Option<exchange::Response<TcpStream>>>,
    pool: Rc<RefCell<ConnectionPool>>,
    origin: Origin,
}

impl wit::GuestResponse for HttpsResponse {
    fn url(&self) -> String {
        self.url.clone()
    }

    fn status(&self) -> u16 {
        self.head.status
    }

    fn reason(&self) -> String {
        self.head.reason.clone()
    }

    fn headers(&self) -> Vec<wit::Header> {
        self.head
            .headers
            .iter()
            .map(|(name, value)| wit::Header {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }

    fn tls(&self) -> Option<wit::TlsInfo> {
        self.tls.clone().map(wit_tls_info)
    }

    fn read_body(&self, max_bytes: u32) -> Result<Option<Vec<u8>>, wit::ErrorCode> {
        let mut body = self.body.borrow_mut();
        let Some(response) = body.as_mut() else {
            return Ok(None);
        };
        match response.read_body(max_bytes as usize) {
            Ok(None) => {
                // Complete: the connection goes back to the pool if it can carry another request.
                if let Some(channel) = body.take().and_then(exchange::Response::into_idle_channel) {
                    let now = monotonic_clock::now();
                    self.pool
                        .borrow_mut()
                        .put(self.origin.clone(), channel, now);
                }
                Ok(None)
            }
            Ok(Some(piece)) => Ok(Some(piece)),
            Err(err) => {
                body.take();
                Err(wit_error(err))
            }
        }
    }
}

fn wit_tls_info(info: TlsInfo) -> wit::TlsInfo {
    wit::TlsInfo {
        version: info.version,
        cipher_suite: info.cipher_suite,
        alpn: info.alpn,
        verified: info.verified,
        peer_certificates: info.peer_certificates,
    }
}

/// The one mapping from the core's errors to the WIT `error-code`.
fn wit_error(err: Error) -> wit::ErrorCode {
    use wit::ErrorCode as W;
    match err {
        Error::InvalidUrl(why) => W::InvalidUrl(why),
        Error::InvalidRequest(why) => W::InvalidRequest(why),
        Error::TrustStoreUnavailable(why) => W::TrustStoreUnavailable(why),
        Error::InvalidTrustAnchors(why) => W::InvalidTrustAnchors(why),
        Error::Dns(why) => W::DnsError(why),
        Error::ConnectionRefused(why) => W::ConnectionRefused(why),
        Error::DestinationUnavailable(why) => W::DestinationUnavailable(why),
        Error::ConnectionTimeout => W::ConnectionTimeout,
        Error::Certificate(cert) => W::TlsCertificateError(wit_certificate_error(cert)),
        Error::TlsAlert(alert) => W::TlsAlertReceived(alert),
        Error::TlsProtocol(why) => W::TlsProtocolError(why),
        Error::HttpProtocol(why) => W::HttpProtocolError(why),
        Error::HeaderSectionTooLarge(limit) => W::HttpResponseHeaderSectionSize(limit),
        Error::TooManyHeaders(limit) => W::HttpResponseHeaderCount(limit),
        Error::StatusLineTooLong(limit) => W::HttpResponseStatusLineSize(limit),
        Error::ChunkLineTooLong(limit) => W::HttpResponseChunkLineSize(limit),
        Error::BodyTooLarge(limit) => W::HttpResponseBodySize(limit),
        Error::Incomplete(why) => W::HttpResponseIncomplete(why),
        Error::ConnectionTerminated(why) => W::ConnectionTerminated(why),
        Error::Timeout => W::HttpResponseTimeout,
        Error::TooManyRedirects(limit) => W::TooManyRedirects(limit),
        Error::InsecureRedirect(to) => W::InsecureRedirect(to),
        Error::Internal(why) => W::InternalError(why),
    }
}

fn wit_certificate_error(err: CertificateError) -> wit::CertificateError {
    use wit::CertificateError as W;
    match err {
        CertificateError::UnknownIssuer => W::UnknownIssuer,
        CertificateError::SelfSigned => W::SelfSigned,
        CertificateError::Expired { time, not_after } => W::Expired(wit::ValidityPayload {
            time_used: time,
            limit: not_after,
        }),
        CertificateError::NotYetValid { time, not_before } => {
            W::NotYetValid(wit::ValidityPayload {
                time_used: time,
                limit: not_before,
            })
        }
        CertificateError::NameMismatch {
            expected,
            presented,
        } => W::NameMismatch(wit::NameMismatchPayload {
            expected,
            presented,
        }),
        CertificateError::BadSignature => W::BadSignature,
        CertificateError::UnsupportedSignatureAlgorithm => W::UnsupportedSignatureAlgorithm,
        CertificateError::Revoked => W::Revoked,
        CertificateError::InvalidPurpose => W::InvalidPurpose,
        CertificateError::UnhandledCriticalExtension => W::UnhandledCriticalExtension,
        CertificateError::BadEncoding => W::BadEncoding,
        CertificateError::Other(why) => W::Other(why),
    }
}
