//! The `crypto` import as the lender of [`crate::tls::lent`]: each AEAD key and key share a
//! resource the host keeps, each signature verified by the host. Only the math crosses; what
//! it decides stays in the core.

use super::bindings::verified::https::crypto as host;
use crate::tls::lent::{
    AeadAlgorithm, CryptoLender, KeyExchangeGroup, LentAeadKey, LentKeyShare, SignatureAlgorithm,
};

/// The host's crypto, through the import.
#[derive(Debug)]
pub(super) struct HostCrypto;

impl CryptoLender for HostCrypto {
    fn aead_key(
        &self,
        algorithm: AeadAlgorithm,
        key: &[u8],
    ) -> Result<Box<dyn LentAeadKey>, String> {
        let algorithm = match algorithm {
            AeadAlgorithm::Aes128Gcm => host::AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm => host::AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::Chacha20Poly1305 => host::AeadAlgorithm::Chacha20Poly1305,
        };
        let key = host::aead_key_from(algorithm, key)?;
        Ok(Box::new(HostAeadKey(key)))
    }

    fn start_key_exchange(&self, group: KeyExchangeGroup) -> Result<Box<dyn LentKeyShare>, String> {
        let group = match group {
            KeyExchangeGroup::X25519 => host::KeyExchangeGroup::X25519,
            KeyExchangeGroup::Secp256r1 => host::KeyExchangeGroup::Secp256r1,
            KeyExchangeGroup::Secp384r1 => host::KeyExchangeGroup::Secp384r1,
        };
        let share = host::start_key_exchange(group)?;
        Ok(Box::new(HostKeyShare(share)))
    }

    fn verify_signature(
        &self,
        algorithm: SignatureAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        use SignatureAlgorithm as S;
        use host::SignatureAlgorithm as H;
        let algorithm = match algorithm {
            S::EcdsaP256Sha256 => H::EcdsaP256Sha256,
            S::EcdsaP256Sha384 => H::EcdsaP256Sha384,
            S::EcdsaP384Sha256 => H::EcdsaP384Sha256,
            S::EcdsaP384Sha384 => H::EcdsaP384Sha384,
            S::Ed25519 => H::Ed25519,
            S::RsaPssSha256 => H::RsaPssSha256,
            S::RsaPssSha384 => H::RsaPssSha384,
            S::RsaPssSha512 => H::RsaPssSha512,
            S::RsaPkcs1Sha256 => H::RsaPkcs1Sha256,
            S::RsaPkcs1Sha384 => H::RsaPkcs1Sha384,
            S::RsaPkcs1Sha512 => H::RsaPkcs1Sha512,
        };
        host::verify_signature(algorithm, public_key, message, signature)
    }
}

/// An AEAD key the host keeps (dropped with the connection's record layer).
struct HostAeadKey(host::AeadKey);

impl LentAeadKey for HostAeadKey {
    fn seal(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(nonce, aad, plaintext)
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.0.open(nonce, aad, ciphertext).ok()
    }
}

/// A key share the host keeps.
struct HostKeyShare(host::KeyShare);

impl LentKeyShare for HostKeyShare {
    fn public_key(&self) -> Vec<u8> {
        self.0.public_key()
    }

    fn agree(self: Box<Self>, peer: &[u8]) -> Option<Vec<u8>> {
        self.0.agree(peer).ok()
    }
}
