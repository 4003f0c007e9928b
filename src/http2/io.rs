//! A byte stream with the [`FrameGuard`] on its read side: h2 reads through it, so a frame
//! that breaks one of the client's limits is never parsed. h2 keeps only the text of an I/O
//! error, so the core's error (the guard's, or the channel's: a timeout) is kept beside it
//! in a [`FailureSlot`], where [`super::errors`] finds it.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::guard::FrameGuard;
use crate::error::Error;

/// Where the stream under h2 keeps the core's error of its first failure.
#[derive(Debug, Clone, Default)]
pub struct FailureSlot(Rc<RefCell<Option<Error>>>);

impl FailureSlot {
    /// Keeps `err` (unless an earlier failure is kept) and returns it as h2's I/O error.
    pub fn fail(&self, err: Error) -> io::Error {
        let text = err.to_string();
        self.0.borrow_mut().get_or_insert(err);
        io::Error::other(text)
    }

    /// The error of the first failure, if there was one.
    pub fn failure(&self) -> Option<Error> {
        self.0.borrow().clone()
    }
}

/// A stream whose incoming bytes pass the guard before they are read.
pub struct Guarded<S> {
    inner: S,
    guard: FrameGuard,
    failures: FailureSlot,
}

impl<S> Guarded<S> {
    /// `inner` read through `guard`, its failures kept in `failures`.
    pub fn new(inner: S, guard: FrameGuard, failures: FailureSlot) -> Self {
        Guarded {
            inner,
            guard,
            failures,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let arrived = &buf.filled()[before..];
                Poll::Ready(
                    this.guard
                        .inspect(arrived)
                        .map_err(|err| this.failures.fail(err)),
                )
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
