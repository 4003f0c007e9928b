//! A rustls [`CryptoProvider`] whose math a [`CryptoLender`] computes (the host, through the
//! `crypto` import of the host-crypto build): the AEADs of every suite, the key exchange and
//! signature verification. What rustls decides with that math stays here: the suites and their
//! order, hashing, HKDF and the TLS 1.2 PRF (ring's, inside the component), and the chain,
//! name and policy checks of [`crate::tls::verifier`], which receive this provider's
//! signature algorithms like ring's.
//!
//! - this file: the lender's interface and the provider built over it;
//! - `aead`: TLS 1.2 and 1.3 record protection over a lent key;
//! - `kx`: key exchange over a lent key share;
//! - `verify`: webpki's signature algorithms over the lent verification.

mod aead;
mod kx;
mod verify;

use rustls::crypto::CryptoProvider;
use std::fmt;

use super::provider::{NoPrivateKeys, SystemRandom};

/// The AEADs of the TLS suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlgorithm {
    /// AES-128-GCM (16-byte key).
    Aes128Gcm,
    /// AES-256-GCM (32-byte key).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (32-byte key).
    Chacha20Poly1305,
}

/// The key exchange groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyExchangeGroup {
    /// X25519.
    X25519,
    /// ECDH over P-256.
    Secp256r1,
    /// ECDH over P-384.
    Secp384r1,
}

/// The signature algorithms verified (webpki's, with its RSA key sizes of 2048 to 8192 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256, SHA-256.
    EcdsaP256Sha256,
    /// ECDSA P-256, SHA-384.
    EcdsaP256Sha384,
    /// ECDSA P-384, SHA-256.
    EcdsaP384Sha256,
    /// ECDSA P-384, SHA-384.
    EcdsaP384Sha384,
    /// Ed25519.
    Ed25519,
    /// RSA-PSS, SHA-256.
    RsaPssSha256,
    /// RSA-PSS, SHA-384.
    RsaPssSha384,
    /// RSA-PSS, SHA-512.
    RsaPssSha512,
    /// RSA PKCS#1 v1.5, SHA-256.
    RsaPkcs1Sha256,
    /// RSA PKCS#1 v1.5, SHA-384.
    RsaPkcs1Sha384,
    /// RSA PKCS#1 v1.5, SHA-512.
    RsaPkcs1Sha512,
}

/// Whoever computes the crypto: makes AEAD keys and key shares, and verifies signatures.
pub trait CryptoLender: Send + Sync + fmt::Debug {
    /// A key of `algorithm` from `key`, or why there is none.
    fn aead_key(
        &self,
        algorithm: AeadAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn LentAeadKey>, String>;

    /// A fresh ephemeral key share of `group`, or why there is none.
    fn start_key_exchange(&self, group: KeyExchangeGroup) -> Result<Box<dyn LentKeyShare>, String>;

    /// Whether `signature` is `public_key`'s valid signature of `message` under `algorithm`.
    fn verify_signature(
        &self,
        algorithm: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool;
}

/// An AEAD key the lender keeps.
pub trait LentAeadKey: Send + Sync {
    /// The ciphertext of `plaintext`, followed by the 16-byte tag.
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8>;

    /// The plaintext of `ciphertext` (with its tag at the end), or `None` if it is not
    /// authentic.
    fn open(&self, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>;
}

/// An ephemeral key share the lender keeps.
pub trait LentKeyShare: Send + Sync {
    /// The public key, as TLS carries it.
    fn public_key(&self) -> Vec<u8>;

    /// The shared secret with `peer`, or `None` if `peer` is not a valid public key.
    fn agree(self: Box<Self>, peer: &[u8]) -> Option<Vec<u8>>;
}

/// The provider whose AEADs, key exchange and signature verification `lender` computes, with
/// the suites, groups and algorithms of `provider::provider` in the same order. Its
/// suites and algorithms live as long as the process (rustls wants them `'static`): build it
/// once, as [`lend`] does.
pub fn lent_provider(lender: &'static dyn CryptoLender) -> CryptoProvider {
    CryptoProvider {
        cipher_suites: aead::lent_suites(lender),
        kx_groups: kx::lent_groups(lender),
        signature_verification_algorithms: verify::lent_algorithms(lender),
        secure_random: &SystemRandom,
        key_provider: &NoPrivateKeys,
    }
}

/// Makes the provider `lender` computes the one every context of this process uses (rustls's
/// process default, which `provider::provider` prefers). Called before the first
/// context; later calls change nothing.
pub fn lend(lender: &'static dyn CryptoLender) {
    if CryptoProvider::get_default().is_none() {
        // Another thread may have installed it in between: the same provider, so either wins.
        let _ = lent_provider(lender).install_default();
    }
}

#[cfg(test)]
mod tests;
