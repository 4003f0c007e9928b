//! The component's `error-code` for scripts: curl's exit code. (For people, the component words
//! each error itself: [`ClientInstance::describe_error`](crate::ClientInstance::describe_error).)

use crate::{ErrorCode, Http2Error};

/// curl's exit code for an error: the table `host-test/exit_code_table.rs`, shared with the
/// guest library, lists them.
pub fn exit_code(err: &ErrorCode) -> u8 {
    include!("../../exit_code_table.rs")
}
