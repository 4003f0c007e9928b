//! The `trust` import as the core's [`HostTrustStore`]: the host's answers, passed on as they
//! are (the rule for using them is [`crate::trust::choose`]).

use super::bindings::verified::https::trust as host_trust;
use crate::trust::HostTrustStore;

/// The host's trust store, reached through the `verified:https/trust` import.
pub(super) struct TrustImport;

impl HostTrustStore for TrustImport {
    fn trust_anchors(&self) -> Result<Vec<Vec<u8>>, String> {
        host_trust::trust_anchors()
    }

    fn revocation_lists(&self) -> Result<Vec<Vec<u8>>, String> {
        host_trust::revocation_lists()
    }
}
