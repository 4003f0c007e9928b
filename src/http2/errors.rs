//! h2's errors as the core's, in one place: what the server said (GOAWAY, RST_STREAM) keeps
//! its error code, a limit the guard enforced comes back as the guard's own error, the
//! transport's failures (a timeout) as the channel reported them, and the rest is a
//! protocol error with h2's description.

use super::io::FailureSlot;
use crate::error::{Error, Http2Error};

/// The core's error for `err`, met while a response was being received over a stream that
/// keeps its failures in `failures`.
pub fn core_error(err: h2::Error, failures: &FailureSlot) -> Error {
    if let Some(io) = err.get_io() {
        return failures
            .failure()
            .unwrap_or_else(|| Error::ConnectionTerminated(io.to_string()));
    }
    let code = err.reason().map_or(0, u32::from);
    match (err.is_remote(), err.is_go_away(), err.is_reset()) {
        (true, true, _) => Error::Http2(Http2Error::GoAway(code)),
        (true, _, true) => Error::Http2(Http2Error::StreamReset(code)),
        _ => Error::Http2(Http2Error::Protocol(err.to_string())),
    }
}

/// The core's error for `err` met while a body was being received: the connection ending
/// before the stream did means the body is incomplete.
pub fn body_error(err: h2::Error, failures: &FailureSlot) -> Error {
    match core_error(err, failures) {
        Error::ConnectionTerminated(why) => Error::Incomplete(format!(
            "the connection ended before the HTTP/2 stream did: {why}"
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_h2_reached_itself_is_a_protocol_error_not_the_servers_word() {
        let reset = h2::Error::from(h2::Reason::CANCEL);
        assert!(matches!(
            core_error(reset, &FailureSlot::default()),
            Error::Http2(Http2Error::Protocol(_))
        ));
    }
}
