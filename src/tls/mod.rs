//! TLS: everything rustls is told, and everything it tells back.
//!
//! - [`policy`]: the rustls configuration of a verified or an unverified context;
//! - [`provider`]: the crypto (ring's suites, ChaCha20-Poly1305 first, no signing code);
//! - `simd_suites`: the ChaCha20-Poly1305 and AES-GCM suites over the SIMD crates, which
//!   [`provider`] takes inside wasm in place of ring's, their records framed by `record_aead`,
//!   their key schedule over ring's digests (`ring_key_schedule`);
//! - `p256_public`: ECDSA P-256 checks in variable time (public inputs), which [`provider`]
//!   takes inside wasm in place of ring's;
//! - [`lent`]: the same suites, groups and algorithms with their math lent by the host, their
//!   records framed by `record_aead` too;
//! - [`verifier`]: webpki's verifier, naming a lone self-signed certificate and remembering
//!   verified chains ([`verified_chains`]);
//! - [`danger`]: the verifier that skips chain and name checks (the unverified context only);
//! - [`stream`]: rustls driven over a blocking transport, one write per flight;
//! - [`identity`]: the client's certificate and key (mutual TLS);
//! - [`pins`]: public-key pinning, checked after verification;
//! - [`info`]: what a connection tells about its TLS;
//! - `resumption`: sessions resumed only while the chain behind them is still valid;
//! - [`der`]: the few certificate fields read directly (self-issued, validity);
//! - `errors`: rustls's errors mapped to the core's, in one place.

pub mod danger;
pub mod der;
mod errors;
pub mod identity;
pub mod info;
pub mod lent;
#[cfg(any(test, all(target_arch = "wasm32", not(feature = "host-crypto"))))]
mod p256_public;
pub mod pins;
pub mod policy;
pub mod provider;
mod record_aead;
mod resumption;
#[cfg(any(test, all(target_arch = "wasm32", not(feature = "host-crypto"))))]
mod ring_key_schedule;
#[cfg(any(test, all(target_arch = "wasm32", not(feature = "host-crypto"))))]
mod simd_suites;
pub mod stream;
pub mod verified_chains;
pub mod verifier;

pub use identity::ClientIdentity;
pub use info::TlsInfo;
pub use policy::{Policy, TlsOptions, TlsVersion};
