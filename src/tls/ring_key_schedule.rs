//! rustls's hash and HMAC (and so its TLS 1.3 HKDF and TLS 1.2 PRF) over `ring::digest` and
//! `ring::hmac`, for the suites the component builds itself (`simd_suites`). rustls's ring
//! provider has the same code but keeps it private; reaching it through ring's suite statics
//! instead links those statics' AEADs (ring's AES-GCM and ChaCha20-Poly1305 for wasm, 23 KB),
//! which the component's suites replace.

use ring::{digest, hmac};
use rustls::crypto::hash::{self, HashAlgorithm};
use rustls::crypto::hmac as rustls_hmac;
use rustls::crypto::tls12::PrfUsingHmac;
use rustls::crypto::tls13::HkdfUsingHmac;

/// SHA-256.
pub(crate) static SHA256: Hash = Hash(&digest::SHA256, HashAlgorithm::SHA256);
/// SHA-384.
pub(crate) static SHA384: Hash = Hash(&digest::SHA384, HashAlgorithm::SHA384);

/// TLS 1.3's key schedule with HMAC-SHA-256.
pub(crate) static HKDF_SHA256: HkdfUsingHmac<'static> = HkdfUsingHmac(&HMAC_SHA256);
/// TLS 1.3's key schedule with HMAC-SHA-384.
pub(crate) static HKDF_SHA384: HkdfUsingHmac<'static> = HkdfUsingHmac(&HMAC_SHA384);
/// TLS 1.2's PRF with HMAC-SHA-256.
pub(crate) static PRF_SHA256: PrfUsingHmac<'static> = PrfUsingHmac(&HMAC_SHA256);
/// TLS 1.2's PRF with HMAC-SHA-384.
pub(crate) static PRF_SHA384: PrfUsingHmac<'static> = PrfUsingHmac(&HMAC_SHA384);

static HMAC_SHA256: Hmac = Hmac(&hmac::HMAC_SHA256);
static HMAC_SHA384: Hmac = Hmac(&hmac::HMAC_SHA384);

/// A ring digest algorithm as rustls's hash.
pub(crate) struct Hash(&'static digest::Algorithm, HashAlgorithm);

impl hash::Hash for Hash {
    fn start(&self) -> Box<dyn hash::Context> {
        Box::new(HashContext(digest::Context::new(self.0)))
    }

    fn hash(&self, bytes: &[u8]) -> hash::Output {
        hash::Output::new(digest::digest(self.0, bytes).as_ref())
    }

    fn output_len(&self) -> usize {
        self.0.output_len()
    }

    fn algorithm(&self) -> HashAlgorithm {
        self.1
    }
}

/// A running digest.
struct HashContext(digest::Context);

impl hash::Context for HashContext {
    fn fork_finish(&self) -> hash::Output {
        hash::Output::new(self.0.clone().finish().as_ref())
    }

    fn fork(&self) -> Box<dyn hash::Context> {
        Box::new(HashContext(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> hash::Output {
        hash::Output::new(self.0.finish().as_ref())
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

/// A ring HMAC algorithm as rustls's.
struct Hmac(&'static hmac::Algorithm);

impl rustls_hmac::Hmac for Hmac {
    fn with_key(&self, key: &[u8]) -> Box<dyn rustls_hmac::Key> {
        Box::new(HmacKey(hmac::Key::new(*self.0, key)))
    }

    fn hash_output_len(&self) -> usize {
        self.0.digest_algorithm().output_len()
    }
}

/// An HMAC key.
struct HmacKey(hmac::Key);

impl rustls_hmac::Key for HmacKey {
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> rustls_hmac::Tag {
        let mut context = hmac::Context::with_key(&self.0);
        context.update(first);
        for piece in middle {
            context.update(piece);
        }
        context.update(last);
        rustls_hmac::Tag::new(context.sign().as_ref())
    }

    fn tag_len(&self) -> usize {
        self.0.algorithm().digest_algorithm().output_len()
    }
}
