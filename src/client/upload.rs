//! Streamed request bodies: the head sent first, then the body as the caller writes it, framed
//! by its announced length or chunked. A large body or one of unknown size waits for the
//! server's `100 Continue` (at most [`CONTINUE_WAIT_MS`]) before its first byte; a server that
//! answers before the body is complete (refusing the expectation, or early) stops the upload,
//! and its answer is the response. No write waits past the request's time limits.

use std::rc::Rc;

use super::{Client, Connection, Response, SendOptions};
use crate::channel::{Link, Received};
use crate::error::{Error, Result};
use crate::http1::exchange::{Exchange, READ_CHUNK, receive_response};
use crate::http1::head::{BodyFraming, HeadReader, ResponseHead};
use crate::http1::{Body, BodyEncoder, Request};
use crate::net::{Deadline, Network, TimeLimits};
use crate::target::Target;

/// How long the first write waits for the server's answer to `Expect: 100-continue` before it
/// sends the body anyway (curl's default).
pub const CONTINUE_WAIT_MS: u64 = 1000;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The bytes were sent.
    Sending,
    /// The server answered before the body was complete: nothing more is sent, and
    /// [`Upload::finish`] returns its answer.
    Answered,
}

/// A request whose head has been sent and whose body is being written.
pub struct Upload<N: Network> {
    client: Rc<Client<N>>,
    url: String,
    request: Request,
    options: SendOptions,
    total: Option<Deadline>,
    origin: super::Origin,
    state: State<N>,
}

enum State<N: Network> {
    /// The body is being sent.
    Sending(Sending<N>),
    /// The server answered before the body was complete.
    Answered(Box<Exchange<Link<N::Stream>>>),
    /// A write failed; the upload is over.
    Failed,
}

struct Sending<N: Network> {
    channel: Connection<N>,
    encoder: BodyEncoder,
    /// What the server has sent so far, not yet a whole final head.
    received: Vec<u8>,
    heads: HeadReader,
    /// Whether the head asked for `100 Continue` and the body has not started.
    awaiting_continue: bool,
}

impl<N: Network> Client<N> {
    /// Sends the head of `request` (whose body is [`Body::Streamed`]) to `url`; the body
    /// follows through the returned [`Upload`].
    pub async fn begin(
        self: &Rc<Self>,
        url: &str,
        request: Request,
        options: &SendOptions,
    ) -> Result<Upload<N>> {
        let Body::Streamed { size } = request.body else {
            return Err(Error::Internal("begin takes a streamed body".into()));
        };
        let total = self.total_deadline(options);
        let target = Target::parse(url)?;
        let route = self.route(&target, options)?;
        let head = request.encode(&target)?;
        let mut channel = None;
        if let Some(mut idle) = self.idle_channel(&route.origin, options, total).await {
            // A head that cannot be written on an idle connection (the server closed it) is
            // written on a new one: no byte of the body has gone.
            if idle.write_all(&head).await.is_ok() {
                channel = Some(idle);
            }
        }
        let channel = match channel {
            Some(channel) => channel,
            None => {
                let mut fresh = self.connect(&target, &route, options, total).await?;
                fresh.write_all(&head).await?;
                fresh
            }
        };
        Ok(Upload {
            client: self.clone(),
            url: url.to_owned(),
            request: request.clone(),
            options: options.clone(),
            total,
            origin: route.origin,
            state: State::Sending(Sending {
                channel,
                encoder: BodyEncoder::new(size),
                received: Vec::new(),
                heads: HeadReader::default(),
                awaiting_continue: request.expects_continue(),
            }),
        })
    }
}

/// A final response head and its body's framing, arrived before the body was sent whole.
type Answer = (ResponseHead, BodyFraming);

impl<N: Network> Upload<N> {
    /// Sends `piece` as the next part of the body.
    pub async fn write(&mut self, piece: &[u8]) -> Result<Progress> {
        match self.state {
            State::Sending(_) => {}
            State::Answered(_) => return Ok(Progress::Answered),
            State::Failed => return Err(failed_before()),
        }
        self.step(async |upload, sending| {
            let (before, after) = sending.encoder.frame(piece)?;
            upload.send(sending, &[&before, piece, after]).await
        })
        .await
    }

    /// Ends the body and waits for the response's head; redirects are followed as the
    /// request's options say (a 307 or 308, which would need the body again, fails with
    /// [`Error::BodyNotReplayable`]).
    pub async fn finish(mut self) -> Result<Response<N>> {
        if let State::Sending(_) = self.state {
            self.step(async |upload, sending| {
                let mut tail = Vec::new();
                sending.encoder.finish(&mut tail)?;
                upload.send(sending, &[&tail]).await
            })
            .await?;
        }
        let exchange = match std::mem::replace(&mut self.state, State::Failed) {
            State::Answered(exchange) => *exchange,
            State::Sending(sending) => {
                receive_response(
                    sending.channel,
                    sending.received,
                    sending.heads,
                    &self.request,
                    self.client.policy.verifies(),
                    &self.client.limits,
                )
                .await?
            }
            State::Failed => return Err(failed_before()),
        };
        let response = self
            .client
            .response(&self.url, exchange, self.origin.clone());
        self.client
            .follow(
                self.url.clone(),
                self.request.clone(),
                &self.options,
                self.total,
                response,
            )
            .await
    }

    /// Runs `send` on the body being sent (after the go-ahead, if one is awaited), moving the
    /// upload to its next state: answered when the server's final head arrived, failed when
    /// anything failed.
    async fn step(
        &mut self,
        send: impl AsyncFnOnce(&Self, &mut Sending<N>) -> Result<Option<Answer>>,
    ) -> Result<Progress> {
        let State::Sending(mut sending) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(failed_before());
        };
        let answer = match self.go_ahead(&mut sending).await? {
            None => send(self, &mut sending).await?,
            answer => answer,
        };
        let Some((head, framing)) = answer else {
            self.state = State::Sending(sending);
            return Ok(Progress::Sending);
        };
        let mut exchange = Exchange::from_head(
            head,
            framing,
            sending.channel,
            sending.received,
            &self.request,
            self.client.policy.verifies(),
            &self.client.limits,
        )?;
        // The body was not sent whole: the connection cannot carry another request.
        exchange.retire();
        self.state = State::Answered(Box::new(exchange));
        Ok(Progress::Answered)
    }

    /// Before body bytes go: the server's answer to `Expect: 100-continue` the first time
    /// (waiting at most [`CONTINUE_WAIT_MS`]), or whatever it has sent meanwhile.
    async fn go_ahead(&self, sending: &mut Sending<N>) -> Result<Option<Answer>> {
        if std::mem::take(&mut sending.awaiting_continue) {
            return self.await_answer(sending, Wait::ForContinue).await;
        }
        if sending.channel.has_input().await {
            return self.await_answer(sending, Wait::WhatArrived).await;
        }
        Ok(None)
    }

    /// Reads what the server sends, as `wait` says, for at most [`CONTINUE_WAIT_MS`]: its
    /// final head is the answer; a `100 Continue` (for [`Wait::ForContinue`]) or the end of the
    /// wait is none. The server closing the connection is an error.
    async fn await_answer(&self, sending: &mut Sending<N>, wait: Wait) -> Result<Option<Answer>> {
        let limits = &self.client.limits;
        let until = Deadline::after_millis(self.client.network.now(), CONTINUE_WAIT_MS);
        let set_phase = |sending: &mut Sending<N>, phase| {
            let limits = TimeLimits {
                total: self.total,
                phase,
                idle_ms: self.options.timeouts.read_ms,
            };
            N::set_limits(sending.channel.transport_mut().tcp_mut(), limits);
        };
        set_phase(sending, Some(until));
        let interim_before = sending.heads.interim_seen();
        let mut chunk = vec![0; READ_CHUNK];
        let mut reads = 0;
        let outcome = loop {
            match sending
                .heads
                .take_final_head(&mut sending.received, false, limits)
            {
                Ok(Some(answer)) => break Ok(Some(answer)),
                Ok(None) => {}
                Err(err) => break Err(err),
            }
            let go_ahead = sending.heads.interim_seen() > interim_before;
            if go_ahead && wait == Wait::ForContinue || reads > 0 && wait == Wait::WhatArrived {
                break Ok(None);
            }
            reads += 1;
            match sending.channel.read(&mut chunk).await {
                Ok(Received::Data(n)) => sending.received.extend_from_slice(&chunk[..n]),
                Ok(Received::CleanEnd | Received::UncleanEnd) => {
                    break Err(Error::ConnectionTerminated(
                        "the server closed the connection before the request body was sent".into(),
                    ));
                }
                // The wait is over (unless the whole request's deadline has passed too).
                Err(Error::Timeout)
                    if self
                        .total
                        .is_none_or(|total| self.client.network.now() < total.0) =>
                {
                    break Ok(None);
                }
                Err(err) => break Err(err),
            }
        };
        set_phase(sending, None);
        outcome
    }

    /// Sends body bytes in their framing (`parts`, sent in one flight, none copied); a
    /// connection that fails may carry the server's answer.
    async fn send(&self, sending: &mut Sending<N>, parts: &[&[u8]]) -> Result<Option<Answer>> {
        if parts.iter().all(|part| part.is_empty()) {
            return Ok(None);
        }
        match sending.channel.write_parts(parts).await {
            Ok(()) => Ok(None),
            // A server that answers and closes mid-upload (413, 401) makes the write fail: its
            // answer, if it arrived, is what the caller needs.
            Err(err) => match self.await_answer(sending, Wait::ForContinue).await {
                Ok(Some(answer)) => Ok(Some(answer)),
                _ => Err(err),
            },
        }
    }
}

/// What [`Upload::await_answer`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// The answer to `Expect: 100-continue`: a `100 Continue`, a final head, or the end of the
    /// wait.
    ForContinue,
    /// Only what has arrived: one read, a final head if it is whole.
    WhatArrived,
}

fn failed_before() -> Error {
    Error::InvalidRequest("the upload failed earlier; start the request again".into())
}
