//! Trust anchors from PEM or DER: never panic; an accepted store is never empty.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verified_https::trust::{AnchorSource, roots_from_der, roots_from_pem};

fuzz_target!(|data: &[u8]| {
    if let Ok(roots) = roots_from_pem(data, AnchorSource::Caller) {
        assert!(!roots.is_empty());
    }
    if let Ok(roots) = roots_from_der(vec![data.to_vec()], AnchorSource::Host) {
        assert_eq!(roots.len(), 1);
    }
});
