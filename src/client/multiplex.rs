//! HTTP/2 requests over a connection that the context's concurrent requests share (an async
//! network port, one that runs tasks): each request to an origin claims its shared
//! connection ([`Shared`]), waits while one is still negotiating, or opens it; a stream the
//! server refused unprocessed (REFUSED_STREAM, or above a GOAWAY's last-stream-id) is sent
//! once more on a new connection when its method is idempotent and it has no body.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::pool::{Claim, Origin, Shared};
use super::protocol::ExchangeBody;
use super::{Client, Connection, Response, Route, SendOptions};
use crate::error::Result;
use crate::http1::{Body, Request};
use crate::http2::shared::{SharedConnection, StreamTiming, Unanswered};
use crate::net::{Deadline, Network, Tasks, TimeLimits};
use crate::target::{Scheme, Target};

/// The shared connections of a client.
pub type SharedConnections = Rc<RefCell<Shared<SharedConnection>>>;

/// A connection [`Client::open_shared`] opened.
enum Opened<N: Network> {
    /// The server picked `h2`: shared from now on.
    Shared(SharedConnection),
    /// The server picked HTTP/1.1: this request's own connection.
    Unshared(Connection<N>),
}

/// A negotiation under way for an origin, ended as failed if the request that began it is
/// dropped first (so the requests waiting for it go on).
struct Negotiation<'a> {
    shared: &'a SharedConnections,
    origin: &'a Origin,
    done: bool,
}

impl Negotiation<'_> {
    /// Ends the negotiation: a connection to share, or none (`unshared`: HTTP/1.1).
    fn end(mut self, connection: Option<SharedConnection>, unshared: bool) {
        self.done = true;
        self.shared
            .borrow_mut()
            .opened(self.origin, connection, unshared);
    }
}

impl Drop for Negotiation<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.shared.borrow_mut().opened(self.origin, None, false);
        }
    }
}

impl<N: Network> Client<N> {
    /// Sends `request` as a stream on the shared HTTP/2 connection to its origin, if the
    /// request offers HTTP/2 over https and the network runs tasks; `None` when it goes the
    /// ordinary way (HTTP/1.1 on a connection of its own).
    pub(super) async fn send_shared(
        &self,
        url: &str,
        target: &Target,
        route: &Route,
        request: &Request,
        options: &SendOptions,
        total: Option<Deadline>,
    ) -> Result<Option<Response<N>>> {
        let Some(tasks) = self.network.tasks() else {
            return Ok(None);
        };
        if !options.http2 || target.scheme != Scheme::Https {
            return Ok(None);
        }
        let origin = &route.origin;
        let mut sent_again = false;
        loop {
            let claim = poll_fn(|cx| {
                match self.shared.borrow_mut().claim(
                    origin,
                    cx.waker(),
                    SharedConnection::is_running,
                ) {
                    Claim::Wait => Poll::Pending,
                    claim => Poll::Ready(claim),
                }
            })
            .await;
            let connection = match claim {
                Claim::Use(connection) => connection,
                Claim::Wait | Claim::Unshared => return Ok(None),
                Claim::Open => {
                    let negotiation = Negotiation {
                        shared: &self.shared,
                        origin,
                        done: false,
                    };
                    match self
                        .open_shared(target, route, options, total, tasks)
                        .await?
                    {
                        Opened::Shared(connection) => {
                            negotiation.end(Some(connection.clone()), false);
                            connection
                        }
                        Opened::Unshared(channel) => {
                            negotiation.end(None, true);
                            let verifies = self.policy.verifies();
                            let exchange = ExchangeBody::exchange(
                                channel,
                                target,
                                request,
                                verifies,
                                &self.limits,
                            )
                            .await?;
                            return Ok(Some(self.response(url, exchange, origin.clone())));
                        }
                    }
                }
            };
            let timing = StreamTiming {
                tasks,
                limits: TimeLimits {
                    total,
                    phase: None,
                    idle_ms: options.timeouts.read_ms,
                },
            };
            let exchange = connection.exchange(target, request, &self.limits, timing);
            let unanswered = match exchange.await {
                Ok(response) => {
                    let body = ExchangeBody::Shared(Box::new(response));
                    return Ok(Some(self.response(url, body, origin.clone())));
                }
                Err(unanswered) => unanswered,
            };
            match unanswered {
                Unanswered::NotSent(_) if !sent_again => {}
                Unanswered::Refused(_) if !sent_again && may_send_again(request) => {}
                Unanswered::NotSent(err) | Unanswered::Refused(err) | Unanswered::Failed(err) => {
                    return Err(err);
                }
            }
            // The connection carries no new stream: the next request opens another.
            self.shared.borrow_mut().forget(origin);
            sent_again = true;
        }
    }

    /// Connects for `target` offering `h2`; a connection whose server picked it becomes a
    /// shared connection, its h2 connection run by `tasks`. A shared connection's reads
    /// keep no request's time limits (it outlives each request; each stream keeps its own).
    async fn open_shared(
        &self,
        target: &Target,
        route: &Route,
        options: &SendOptions,
        total: Option<Deadline>,
        tasks: Tasks,
    ) -> Result<Opened<N>> {
        let mut channel = self.connect(target, route, options, total).await?;
        let verifies = self.policy.verifies();
        let alpn = channel.tls_info(verifies).and_then(|tls| tls.alpn);
        if alpn.as_deref() != Some("h2") {
            return Ok(Opened::Unshared(channel));
        }
        N::set_limits(channel.transport_mut().tcp_mut(), TimeLimits::default());
        let connection = SharedConnection::open(channel, verifies, &self.limits, tasks).await?;
        Ok(Opened::Shared(connection))
    }
}

/// Whether a request the server refused unprocessed may be sent again: an idempotent method
/// and no body.
fn may_send_again(request: &Request) -> bool {
    let bodiless = match &request.body {
        Body::Empty => true,
        Body::Bytes(bytes) => bytes.is_empty(),
        Body::Streamed { .. } => false,
    };
    request.is_idempotent() && bodiless
}
