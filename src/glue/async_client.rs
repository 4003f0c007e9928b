//! The export of `verified:https-async/client` (the `async-client` build): `send` as an
//! async function over the same contexts as the synchronous `client`, its request body read
//! from a stream and its response body pumped into one by a task of its own (wit-bindgen's
//! `spawn`), so that many requests of one instance are under way at once.

use std::rc::Rc;

use wit_bindgen::{FutureWriter, StreamReader, StreamResult, StreamWriter};

use super::bindings::exports::verified::https_async::client as async_wit;
use super::bindings::{wit_future, wit_stream};
use super::convert::{core_request_parts, wit_coding, wit_error, wit_headers, wit_tls_info};
use super::{Component, HttpsContext, PlatformNetwork, wit};
use crate::client::upload::Progress;
use crate::client::{self, Client, SendOptions};
use crate::error::{Error, Result};
use crate::http1::{Body, Request};

/// The most bytes of the response body written into its stream at a time: one TLS record's
/// plaintext, so that a request in flight holds one record's worth, not four.
const BODY_PIECE: usize = 16 * 1024;

/// The most bytes of the request body read from its stream at a time.
const UPLOAD_PIECE: usize = 64 * 1024;

impl async_wit::Guest for Component {
    async fn send(
        context: wit::ContextBorrow<'_>,
        request: async_wit::Request,
    ) -> std::result::Result<async_wit::Response, wit::ErrorCode> {
        let context = context.get::<HttpsContext>();
        let client = context.client.clone();
        let body = match request.body {
            None => Body::Empty,
            Some(_) => Body::Streamed {
                size: request.body_size,
            },
        };
        let (core, mut options) =
            core_request_parts(request.method, request.headers, body, request.options)
                .map_err(wit_error)?;
        // The context's choice (`offer-http2`); a streamed body still offers only http/1.1.
        options.http2 = context.offers_http2.get() && request.body.is_none();
        let response = match request.body {
            None => client.send(&request.url, core, &options).await,
            Some(body) => upload(&client, &request.url, core, &options, body).await,
        }
        .map_err(wit_error)?;
        let (body_writer, body) = wit_stream::new::<u8>();
        let (end_writer, body_end) = wit_future::new(pump_stopped);
        let head = async_wit::Response {
            url: response.url.clone(),
            status: response.head.status,
            reason: response.head.reason.clone(),
            headers: wit_headers(&response.head.headers),
            tls: response.tls.clone().map(wit_tls_info),
            content_decoded: response
                .content_decoded
                .map(wit_coding)
                .into_iter()
                .collect(),
            body,
            body_end,
        };
        wit_bindgen::spawn(pump_body(response, body_writer, end_writer));
        Ok(head)
    }
}

/// What `body-end` says when the pump stopped before the body's end: the caller dropped the
/// body's stream, which ended the request.
fn pump_stopped() -> std::result::Result<(), wit::ErrorCode> {
    Err(wit_error(Error::ConnectionTerminated(
        "the response body's stream was dropped before its end".into(),
    )))
}

/// Sends `request` with its body read from `body` until the caller ends that stream (or the
/// server answers first), and waits for the response's head.
async fn upload(
    client: &Rc<Client<PlatformNetwork>>,
    url: &str,
    request: Request,
    options: &SendOptions,
    mut body: StreamReader<u8>,
) -> Result<client::Response<PlatformNetwork>> {
    let mut upload = client.begin(url, request, options).await?;
    loop {
        let (result, piece) = body.read(Vec::with_capacity(UPLOAD_PIECE)).await;
        if !piece.is_empty() && upload.write(&piece).await? == Progress::Answered {
            break;
        }
        if result == StreamResult::Dropped {
            break;
        }
    }
    upload.finish().await
}

/// Writes the body of `response` into `body` as it arrives, then says in `end` how it ended.
/// A caller that drops the stream ends the request: the response, and its connection, are
/// dropped here.
async fn pump_body(
    mut response: client::Response<PlatformNetwork>,
    mut body: StreamWriter<u8>,
    end: FutureWriter<std::result::Result<(), wit::ErrorCode>>,
) {
    let outcome = loop {
        match response.read_body(BODY_PIECE).await {
            Ok(Some(piece)) => {
                if !body.write_all(piece).await.is_empty() {
                    return;
                }
            }
            Ok(None) => break Ok(()),
            Err(err) => break Err(wit_error(err)),
        }
    };
    drop(body);
    // A caller that dropped `body-end` does not want to know.
    let _ = end.write(outcome).await;
}
