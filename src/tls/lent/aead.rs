//! The suites of [`crate::tls::provider`] with ring's hash, HKDF and PRF, and the lender's
//! AEAD: a lent key seals and opens the records that [`crate::tls::record_aead`] frames.

use rustls::crypto::CipherSuiteCommon;
use rustls::crypto::cipher::{AeadKey, Iv, NONCE_LEN};
use rustls::{
    ConnectionTrafficSecrets, Error, SupportedCipherSuite, Tls12CipherSuite, Tls13CipherSuite,
};

use super::{AeadAlgorithm, CryptoLender, LentAeadKey};
use crate::tls::record_aead::{InPlace, RecordAead, RecordKey, TAG_LEN, Tls12Nonce};

/// The suites of [`crate::tls::provider::provider`], in its order, each with its AEAD lent.
pub(super) fn lent_suites(lender: &'static dyn CryptoLender) -> Vec<SupportedCipherSuite> {
    crate::tls::provider::ring_suites()
        .into_iter()
        .map(|suite| lent_suite(suite, lender))
        .collect()
}

/// `suite` with its AEAD computed by `lender` (and no QUIC: the client speaks TCP only).
fn lent_suite(
    suite: SupportedCipherSuite,
    lender: &'static dyn CryptoLender,
) -> SupportedCipherSuite {
    let algorithm = algorithm_of(&suite);
    let lent = || InPlace::new(LentAead { algorithm, lender });
    match suite {
        SupportedCipherSuite::Tls13(ring) => {
            SupportedCipherSuite::Tls13(Box::leak(Box::new(Tls13CipherSuite {
                common: common(&ring.common),
                hkdf_provider: ring.hkdf_provider,
                aead_alg: Box::leak(Box::new(lent())),
                quic: None,
            })))
        }
        SupportedCipherSuite::Tls12(ring) => {
            SupportedCipherSuite::Tls12(Box::leak(Box::new(Tls12CipherSuite {
                common: common(&ring.common),
                kx: ring.kx,
                sign: ring.sign,
                aead_alg: Box::leak(Box::new(lent())),
                prf_provider: ring.prf_provider,
            })))
        }
    }
}

/// A copy of ring's common suite fields (the type is not `Clone`).
fn common(ring: &CipherSuiteCommon) -> CipherSuiteCommon {
    CipherSuiteCommon {
        suite: ring.suite,
        hash_provider: ring.hash_provider,
        confidentiality_limit: ring.confidentiality_limit,
    }
}

/// The AEAD a suite's name says it uses.
fn algorithm_of(suite: &SupportedCipherSuite) -> AeadAlgorithm {
    let name = format!("{:?}", suite.suite());
    if name.contains("CHACHA20_POLY1305") {
        AeadAlgorithm::Chacha20Poly1305
    } else if name.contains("AES_256_GCM") {
        AeadAlgorithm::Aes256Gcm
    } else {
        AeadAlgorithm::Aes128Gcm
    }
}

/// One AEAD of one suite, computed by the lender.
#[derive(Debug, Clone, Copy)]
struct LentAead {
    algorithm: AeadAlgorithm,
    lender: &'static dyn CryptoLender,
}

impl RecordAead for LentAead {
    type Key = LentKey;

    fn key_len(&self) -> usize {
        match self.algorithm {
            AeadAlgorithm::Aes128Gcm => 16,
            AeadAlgorithm::Aes256Gcm | AeadAlgorithm::Chacha20Poly1305 => 32,
        }
    }

    fn tls12_nonce(&self) -> Tls12Nonce {
        match self.algorithm {
            AeadAlgorithm::Chacha20Poly1305 => Tls12Nonce::Xored,
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => Tls12Nonce::Explicit,
        }
    }

    /// The lender's key; a key it cannot make fails the first record that needs it.
    fn key(&self, key: &AeadKey) -> LentKey {
        LentKey(self.lender.aead_key(self.algorithm, key.as_ref()))
    }

    fn secrets(&self, key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        match self.algorithm {
            AeadAlgorithm::Aes128Gcm => ConnectionTrafficSecrets::Aes128Gcm { key, iv },
            AeadAlgorithm::Aes256Gcm => ConnectionTrafficSecrets::Aes256Gcm { key, iv },
            AeadAlgorithm::Chacha20Poly1305 => {
                ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
            }
        }
    }
}

/// A lent key, or why the lender has none.
struct LentKey(Result<Box<dyn LentAeadKey>, String>);

impl LentKey {
    /// The lent key, or the error a record that needs it fails with.
    fn usable(&self) -> Result<&dyn LentAeadKey, Error> {
        self.0
            .as_deref()
            .map_err(|why| Error::General(format!("the host lends no AEAD key: {why}")))
    }
}

impl RecordKey for LentKey {
    /// Seals a copy of `in_out` (the lender returns the ciphertext and tag as new bytes), then
    /// writes the ciphertext back over it.
    fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let sealed = self.usable()?.seal(nonce, aad, in_out);
        if sealed.len() != in_out.len() + TAG_LEN {
            return Err(Error::EncryptError);
        }
        let (ciphertext, tag) = sealed.split_at(in_out.len());
        in_out.copy_from_slice(ciphertext);
        tag.try_into().map_err(|_| Error::EncryptError)
    }

    /// Opens `payload` through the lender, then writes the plaintext over its start.
    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        payload: &mut [u8],
    ) -> Result<usize, Error> {
        let plain = self
            .usable()?
            .open(nonce, aad, payload)
            .ok_or(Error::DecryptError)?;
        if plain.len() + TAG_LEN != payload.len() {
            return Err(Error::DecryptError);
        }
        payload[..plain.len()].copy_from_slice(&plain);
        Ok(plain.len())
    }
}
