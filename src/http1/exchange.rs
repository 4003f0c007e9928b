//! The HTTP/1.1 connection pump: one request/response exchange over a [`Channel`]: the request
//! written, interim responses skipped, the final head parsed, and the body decoded in pieces as
//! it arrives. Whether the connection may carry another request is decided here.

use super::content::{ContentCoding, Decoded, DecodedBody, coding_to_undo};
use super::framing::BodyDecoder;
use super::head::{BodyFraming, HeadReader, ResponseHead};
use super::request::Request;
use crate::channel::{Channel, Received};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::net::Transport;
use crate::target::Target;
use crate::tls::TlsInfo;

/// How many ciphertext or plaintext bytes are read from the transport at a time.
pub const READ_CHUNK: usize = 16 * 1024;

/// An exchange whose response head has been read; its body is read in pieces.
pub struct Exchange<T> {
    /// The final (non-1xx) response head.
    pub head: ResponseHead,
    /// TLS details, for https.
    pub tls: Option<TlsInfo>,
    channel: Channel<T>,
    decoder: BodyDecoder,
    /// The content coding being undone, if any.
    content: Option<DecodedBody>,
    /// Whether the connection may carry another request once this body is read.
    reusable: bool,
    /// Received bytes not yet decoded, from `start`.
    pending: Vec<u8>,
    start: usize,
    /// Where received bytes land first (allocated once per response).
    scratch: Vec<u8>,
    ended: Option<bool>,
}

/// Sends `request` (its head, and a body given whole) over `channel` and reads the response
/// head, skipping interim responses.
pub async fn exchange<T: Transport>(
    mut channel: Channel<T>,
    target: &Target,
    request: &Request,
    verified: bool,
    limits: &Limits,
) -> Result<Exchange<T>> {
    let bytes = request.encode(target)?;
    channel.write_all(&bytes).await?;
    receive_response(
        channel,
        Vec::new(),
        HeadReader::default(),
        request,
        verified,
        limits,
    )
    .await
}

/// Reads the response to `request` from `channel`, after the bytes already `received` (which
/// `heads` has begun to read): interim responses are skipped, and the final head parsed.
pub async fn receive_response<T: Transport>(
    mut channel: Channel<T>,
    mut received: Vec<u8>,
    mut heads: HeadReader,
    request: &Request,
    verified: bool,
    limits: &Limits,
) -> Result<Exchange<T>> {
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        if let Some((head, framing)) =
            heads.take_final_head(&mut received, request.is_head(), limits)?
        {
            return Exchange::from_head(
                head, framing, channel, received, request, verified, limits,
            );
        }
        match channel.read(&mut chunk).await? {
            Received::Data(n) => received.extend_from_slice(&chunk[..n]),
            Received::CleanEnd | Received::UncleanEnd if received.is_empty() => {
                return Err(Error::ConnectionTerminated(
                    "the server closed the connection without sending a response".into(),
                ));
            }
            Received::CleanEnd | Received::UncleanEnd => {
                return Err(Error::HttpProtocol(
                    "the connection closed inside the response head".into(),
                ));
            }
        }
    }
}

impl<T: Transport> Exchange<T> {
    /// The exchange of a final `head` (to `request`) whose body is framed by `framing`;
    /// `pending` holds the bytes received after the head.
    pub fn from_head(
        head: ResponseHead,
        framing: BodyFraming,
        channel: Channel<T>,
        pending: Vec<u8>,
        request: &Request,
        verified: bool,
        limits: &Limits,
    ) -> Result<Self> {
        let tls = channel.tls_info(verified);
        // After HEAD a server may wrongly send a body anyway; its bytes could arrive later
        // and be read as the next response, so such a connection is not reused.
        let reusable =
            head.allows_reuse() && framing != BodyFraming::CloseDelimited && !request.is_head();
        let content = match (&request.accept_encoding, framing) {
            (Some(accepted), framing) if framing != BodyFraming::Empty => {
                coding_to_undo(&head, accepted).map(|c| DecodedBody::new(c, limits.body_bytes))
            }
            _ => None,
        };
        Ok(Exchange {
            head,
            tls,
            channel,
            decoder: BodyDecoder::new(framing, limits)?,
            content,
            reusable,
            pending,
            start: 0,
            scratch: vec![0; READ_CHUNK],
            ended: None,
        })
    }

    /// The content coding undone on the body, if any.
    pub fn content_decoded(&self) -> Option<ContentCoding> {
        self.content.as_ref().map(DecodedBody::coding)
    }

    /// Marks the connection as not to be reused (the request was not sent whole).
    pub fn retire(&mut self) {
        self.reusable = false;
    }

    /// Reads at most `max` bytes of the body (decoded, if a content coding is undone); `None`
    /// once the body is complete. A connection that ends before the body's framing is
    /// satisfied is an error, and so is a content coding that cannot be undone.
    pub async fn read_body(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let Some(mut content) = self.content.take() else {
            return self.read_framed(max).await;
        };
        let read = loop {
            match content.decode(max) {
                Ok(Decoded::Bytes(out)) => break Ok(Some(out)),
                Ok(Decoded::Complete) => break Ok(None),
                Ok(Decoded::NeedsCoded) => match self.read_framed(READ_CHUNK).await {
                    Ok(piece) => content.push_coded(piece.as_deref()),
                    Err(err) => break Err(err),
                },
                Err(err) => break Err(err),
            }
        };
        self.content = Some(content);
        read
    }

    /// Reads at most `max` bytes of the body as framed (before content decoding).
    async fn read_framed(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        loop {
            if self.decoder.is_complete() {
                return Ok(None);
            }
            if self.start < self.pending.len() {
                let used =
                    self.decoder
                        .decode(&self.pending[self.start..], &mut out, max.max(1))?;
                self.start += used;
                if self.start == self.pending.len() {
                    self.pending.clear();
                    self.start = 0;
                }
                if !out.is_empty() {
                    return Ok(Some(out));
                }
                if self.decoder.is_complete() || self.start < self.pending.len() && used > 0 {
                    continue;
                }
            }
            if let Some(clean) = self.ended {
                self.decoder.finish(clean)?;
                continue;
            }
            self.receive(&mut out, max.max(1)).await?;
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }

    /// The connection, once the body has been read completely, if the server allows another
    /// request on it and sent nothing beyond the response.
    pub fn into_idle_channel(self) -> Option<Channel<T>> {
        let clean = self.decoder.is_complete() && self.start == self.pending.len();
        (clean && self.reusable && self.ended.is_none()).then_some(self.channel)
    }

    /// Receives more of the response. With nothing pending, the bytes are decoded straight
    /// from the scratch buffer into `out` (a copy less per record in bulk transfers); what the
    /// decoder leaves waits in `pending`.
    async fn receive(&mut self, out: &mut Vec<u8>, max: usize) -> Result<()> {
        let n = match self.channel.read(&mut self.scratch).await? {
            Received::Data(n) => n,
            Received::CleanEnd => {
                self.ended = Some(true);
                return Ok(());
            }
            Received::UncleanEnd => {
                self.ended = Some(false);
                return Ok(());
            }
        };
        let used = if self.pending.is_empty() {
            self.decoder.decode(&self.scratch[..n], out, max)?
        } else {
            0
        };
        self.pending.extend_from_slice(&self.scratch[used..n]);
        Ok(())
    }
}

/// The pump driven over an in-memory transport, one test per state of an exchange: request
/// written; head awaited (in pieces, after interim responses, or never); body read (by length,
/// chunked, to the close, cut short); and the connection reusable or retired at the end.
#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::io;

    use super::*;
    use crate::blocking::block_on;

    /// What the peer does at each read: hand over bytes, fail, or (once the script runs out)
    /// end the stream.
    enum Step {
        Bytes(&'static [u8]),
        Fail(io::ErrorKind),
    }

    /// A transport that plays a script of reads and records every write.
    struct Scripted {
        reads: VecDeque<Step>,
        written: Vec<u8>,
        refuse_writes: bool,
    }

    impl Scripted {
        fn new(reads: impl IntoIterator<Item = Step>) -> Self {
            Scripted {
                reads: reads.into_iter().collect(),
                written: Vec::new(),
                refuse_writes: false,
            }
        }
    }

    impl Transport for Scripted {
        async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.reads.pop_front() {
                None => Ok(0),
                Some(Step::Fail(kind)) => Err(io::Error::from(kind)),
                Some(Step::Bytes(bytes)) => {
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes[..n]);
                    if n < bytes.len() {
                        self.reads.push_front(Step::Bytes(&bytes[n..]));
                    }
                    Ok(n)
                }
            }
        }

        async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
            if self.refuse_writes {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            self.written.extend_from_slice(data);
            Ok(())
        }

        async fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }

        async fn has_input(&mut self) -> bool {
            !self.reads.is_empty()
        }
    }

    fn target() -> Target {
        Target::parse("http://a.test/path?q").unwrap()
    }

    fn request(method: &str) -> Request {
        Request {
            method: method.into(),
            headers: vec![],
            body: crate::http1::Body::Empty,
            accept_encoding: None,
        }
    }

    fn start(method: &str, reads: impl IntoIterator<Item = Step>) -> Result<Exchange<Scripted>> {
        block_on(exchange(
            Channel::Plain(Scripted::new(reads)),
            &target(),
            &request(method),
            false,
            &Limits::default(),
        ))
    }

    fn read_body(exchange: &mut Exchange<Scripted>, max: usize) -> Result<Option<Vec<u8>>> {
        block_on(exchange.read_body(max))
    }

    /// The whole body, read `max` bytes at a time.
    fn body(exchange: &mut Exchange<Scripted>, max: usize) -> Result<Vec<u8>> {
        let mut all = Vec::new();
        while let Some(piece) = read_body(exchange, max)? {
            assert!(!piece.is_empty() && piece.len() <= max.max(1), "{piece:?}");
            all.extend_from_slice(&piece);
        }
        Ok(all)
    }

    fn written(exchange: Exchange<Scripted>) -> Option<Vec<u8>> {
        match exchange.into_idle_channel()? {
            Channel::Plain(io) => Some(io.written),
            Channel::Tls(_) => None,
        }
    }

    const OK_HELLO: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn the_request_is_written_whole_before_any_read() {
        let mut exchange = start("GET", [Step::Bytes(OK_HELLO)]).unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap(), b"hello");
        let sent = written(exchange).expect("reusable");
        assert_eq!(sent, request("GET").encode(&target()).unwrap());
        assert!(sent.starts_with(b"GET /path?q HTTP/1.1\r\n"));
    }

    #[test]
    fn a_head_that_arrives_in_pieces_is_parsed_once_whole() {
        let pieces: Vec<Step> = OK_HELLO.chunks(3).map(Step::Bytes).collect();
        let mut exchange = start("GET", pieces).unwrap();
        assert_eq!(exchange.head.status, 200);
        assert_eq!(body(&mut exchange, 2).unwrap(), b"hello");
        assert!(exchange.into_idle_channel().is_some());
    }

    #[test]
    fn interim_responses_are_skipped_to_the_final_head() {
        let exchange = start(
            "GET",
            [
                Step::Bytes(b"HTTP/1.1 100 Continue\r\n\r\n"),
                Step::Bytes(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
                Step::Bytes(OK_HELLO),
            ],
        )
        .unwrap();
        assert_eq!(exchange.head.status, 200);
    }

    #[test]
    fn a_server_that_closes_without_answering_terminates_the_connection() {
        let err = start("GET", []).err().unwrap();
        assert!(matches!(err, Error::ConnectionTerminated(_)), "{err:?}");
    }

    #[test]
    fn a_connection_closed_inside_the_head_is_a_protocol_error() {
        let err = start("GET", [Step::Bytes(b"HTTP/1.1 200 OK\r\nContent-")])
            .err()
            .unwrap();
        assert!(matches!(err, Error::HttpProtocol(_)), "{err:?}");
    }

    #[test]
    fn a_silent_server_past_its_deadline_is_a_timeout() {
        let err = start("GET", [Step::Fail(io::ErrorKind::TimedOut)])
            .err()
            .unwrap();
        assert_eq!(err, Error::Timeout);
        let mut exchange = start(
            "GET",
            [
                Step::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe"),
                Step::Fail(io::ErrorKind::TimedOut),
            ],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap_err(), Error::Timeout);
    }

    #[test]
    fn a_request_that_cannot_be_sent_terminates_the_connection() {
        let mut io = Scripted::new([Step::Bytes(OK_HELLO)]);
        io.refuse_writes = true;
        let err = block_on(exchange(
            Channel::Plain(io),
            &target(),
            &request("GET"),
            false,
            &Limits::default(),
        ))
        .err()
        .unwrap();
        assert!(
            matches!(&err, Error::ConnectionTerminated(why) if why.starts_with("sending the request")),
            "{err:?}"
        );
    }

    #[test]
    fn a_chunked_body_split_across_reads_is_decoded_and_the_connection_kept() {
        let mut exchange = start(
            "GET",
            [
                Step::Bytes(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
                Step::Bytes(b"lo\r\n7\r\n, worl"),
                Step::Bytes(b"d\r\n0\r\n\r\n"),
            ],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 4).unwrap(), b"hello, world");
        assert!(exchange.into_idle_channel().is_some());
    }

    #[test]
    fn a_body_shorter_than_its_content_length_is_incomplete() {
        let mut exchange = start(
            "GET",
            [Step::Bytes(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
            )],
        )
        .unwrap();
        let err = body(&mut exchange, 64).unwrap_err();
        assert!(matches!(err, Error::Incomplete(_)), "{err:?}");
    }

    #[test]
    fn a_close_delimited_body_ends_at_the_close_and_retires_the_connection() {
        let mut exchange = start(
            "GET",
            [
                Step::Bytes(b"HTTP/1.1 200 OK\r\n\r\nall of it"),
                Step::Bytes(b" and more"),
            ],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap(), b"all of it and more");
        assert!(exchange.into_idle_channel().is_none());
    }

    #[test]
    fn connection_close_retires_the_connection() {
        let mut exchange = start(
            "GET",
            [Step::Bytes(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            )],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap(), b"ok");
        assert!(exchange.into_idle_channel().is_none());
    }

    #[test]
    fn bytes_beyond_the_response_retire_the_connection() {
        let mut exchange = start(
            "GET",
            [Step::Bytes(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n",
            )],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap(), b"ok");
        assert!(exchange.into_idle_channel().is_none());
    }

    #[test]
    fn a_head_response_has_no_body_and_is_never_reused() {
        let mut exchange = start(
            "HEAD",
            [Step::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")],
        )
        .unwrap();
        assert_eq!(body(&mut exchange, 64).unwrap(), b"");
        assert!(exchange.into_idle_channel().is_none());
    }

    #[test]
    fn a_body_not_read_to_its_end_does_not_free_the_connection() {
        let mut exchange = start(
            "GET",
            [Step::Bytes(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe",
            )],
        )
        .unwrap();
        assert_eq!(
            read_body(&mut exchange, 64).unwrap().as_deref(),
            Some(&b"he"[..])
        );
        assert!(exchange.into_idle_channel().is_none());
    }

    #[test]
    fn no_tls_details_are_reported_for_plain_http() {
        let exchange = start("GET", [Step::Bytes(OK_HELLO)]).unwrap();
        assert_eq!(exchange.tls, None);
    }
}
