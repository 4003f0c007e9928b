//! Driving the async core over a blocking network port: every operation of a blocking
//! transport (the WASI 0.2 glue, [`crate::std_net`]) completes before it returns, so the
//! core's futures are ready the first time they are polled. A future that is not is a bug in
//! the port, reported as an internal error: never a spin, never a hang.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Result};

/// Runs `future` of the core over a blocking network port to its end.
pub fn block_on<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => Err(Error::Internal(
            "a blocking network operation did not complete".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ready_future_gives_its_outcome_and_a_pending_one_is_an_internal_error() {
        assert_eq!(block_on(async { Ok(7) }), Ok(7));
        assert_eq!(
            block_on(async { Err::<(), _>(Error::Timeout) }),
            Err(Error::Timeout)
        );
        let pending = block_on(std::future::pending::<Result<()>>());
        assert!(matches!(pending, Err(Error::Internal(_))), "{pending:?}");
    }
}
