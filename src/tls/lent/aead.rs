//! Record protection over a lent AEAD key: the suites of [`crate::tls::provider`] with ring's
//! hash, HKDF and PRF, and the lender's AEAD. The record layouts are RFC 8446 section 5.2
//! (TLS 1.3), RFC 5288 (AES-GCM in TLS 1.2, an explicit 8-byte nonce) and RFC 7905
//! (ChaCha20-Poly1305 in TLS 1.2), as rustls's ring provider builds them.

use rustls::crypto::CipherSuiteCommon;
use rustls::crypto::cipher::{
    AeadKey, BorrowedPayload, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape,
    MessageDecrypter, MessageEncrypter, NONCE_LEN, Nonce, OutboundOpaqueMessage,
    OutboundPlainMessage, PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm,
    UnsupportedOperationError, make_tls12_aad, make_tls13_aad,
};
use rustls::{
    ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion, SupportedCipherSuite,
    Tls12CipherSuite, Tls13CipherSuite,
};

use super::{AeadAlgorithm, CryptoLender, LentAeadKey};

/// The tag length of every TLS AEAD.
const TAG_LEN: usize = 16;
/// The explicit nonce that AES-GCM records carry in TLS 1.2.
const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// The largest plaintext a record may carry (RFC 8446 section 5.1).
const MAX_FRAGMENT_LEN: usize = 16_384;

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
    let lent = LentAead { algorithm, lender };
    match suite {
        SupportedCipherSuite::Tls13(ring) => {
            SupportedCipherSuite::Tls13(Box::leak(Box::new(Tls13CipherSuite {
                common: common(&ring.common),
                hkdf_provider: ring.hkdf_provider,
                aead_alg: Box::leak(Box::new(lent)),
                quic: None,
            })))
        }
        SupportedCipherSuite::Tls12(ring) => {
            SupportedCipherSuite::Tls12(Box::leak(Box::new(Tls12CipherSuite {
                common: common(&ring.common),
                kx: ring.kx,
                sign: ring.sign,
                aead_alg: Box::leak(Box::new(lent)),
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

impl LentAead {
    fn key_len(&self) -> usize {
        match self.algorithm {
            AeadAlgorithm::Aes128Gcm => 16,
            AeadAlgorithm::Aes256Gcm | AeadAlgorithm::Chacha20Poly1305 => 32,
        }
    }

    /// The lender's key; a key it cannot make fails the first record that needs it.
    fn key(&self, key: &AeadKey) -> KeyOrWhy {
        self.lender.aead_key(self.algorithm, key.as_ref())
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
type KeyOrWhy = Result<Box<dyn LentAeadKey>, String>;

/// The lent key, or the error a record that needs it fails with.
fn usable(key: &KeyOrWhy) -> Result<&dyn LentAeadKey, Error> {
    key.as_deref()
        .map_err(|why| Error::General(format!("the host lends no AEAD key: {why}")))
}

impl Tls13AeadAlgorithm for LentAead {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Encrypter {
            key: self.key(&key),
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Decrypter {
            key: self.key(&key),
            iv,
        })
    }

    fn key_len(&self) -> usize {
        LentAead::key_len(self)
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(self.secrets(key, iv))
    }
}

impl Tls12AeadAlgorithm for LentAead {
    fn encrypter(&self, key: AeadKey, iv: &[u8], explicit: &[u8]) -> Box<dyn MessageEncrypter> {
        let key = self.key(&key);
        match self.algorithm {
            AeadAlgorithm::Chacha20Poly1305 => Box::new(Tls12ChachaEncrypter {
                key,
                iv: Iv::copy(iv),
            }),
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => Box::new(Tls12GcmEncrypter {
                key,
                iv: gcm_iv(iv, explicit),
            }),
        }
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        let key = self.key(&key);
        match self.algorithm {
            AeadAlgorithm::Chacha20Poly1305 => Box::new(Tls12ChachaDecrypter {
                key,
                iv: Iv::copy(iv),
            }),
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => {
                let mut salt = [0u8; 4];
                salt.copy_from_slice(&iv[..4]);
                Box::new(Tls12GcmDecrypter { key, salt })
            }
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        match self.algorithm {
            AeadAlgorithm::Chacha20Poly1305 => KeyBlockShape {
                enc_key_len: 32,
                fixed_iv_len: 12,
                explicit_nonce_len: 0,
            },
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => KeyBlockShape {
                enc_key_len: self.key_len(),
                fixed_iv_len: 4,
                explicit_nonce_len: GCM_EXPLICIT_NONCE_LEN,
            },
        }
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: &[u8],
        explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        let iv = match self.algorithm {
            AeadAlgorithm::Chacha20Poly1305 => Iv::copy(iv),
            AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => gcm_iv(iv, explicit),
        };
        Ok(self.secrets(key, iv))
    }
}

/// The 12-byte IV of a TLS 1.2 GCM key: the 4-byte salt, then the 8-byte explicit part.
fn gcm_iv(salt: &[u8], explicit: &[u8]) -> Iv {
    let mut iv = [0u8; NONCE_LEN];
    iv[..4].copy_from_slice(&salt[..4]);
    iv[4..].copy_from_slice(&explicit[..8]);
    Iv::new(iv)
}

/// TLS 1.3 records out: the plaintext, its content type, sealed.
struct Tls13Encrypter {
    key: KeyOrWhy,
    iv: Iv,
}

impl MessageEncrypter for Tls13Encrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let key = usable(&self.key)?;
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut plain = Vec::with_capacity(msg.payload.len() + 1);
        msg.payload.copy_to_vec(&mut plain);
        plain.extend_from_slice(&msg.typ.to_array());
        let sealed = key.seal(
            &Nonce::new(&self.iv, seq).0,
            &make_tls13_aad(total_len),
            &plain,
        );
        if sealed.len() != total_len {
            return Err(Error::EncryptError);
        }
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_slice(&sealed);
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

/// TLS 1.3 records in: opened, the padding and content type taken off.
struct Tls13Decrypter {
    key: KeyOrWhy,
    iv: Iv,
}

impl MessageDecrypter for Tls13Decrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let key = usable(&self.key)?;
        let payload = &mut msg.payload;
        if payload.len() < TAG_LEN {
            return Err(Error::DecryptError);
        }
        let aad = make_tls13_aad(payload.len());
        let plain = key
            .open(&Nonce::new(&self.iv, seq).0, &aad, payload)
            .ok_or(Error::DecryptError)?;
        put_plaintext(payload, &plain)?;
        msg.into_tls13_unpadded_message()
    }
}

/// Writes an opened record's plaintext over its ciphertext (it is a tag shorter), and cuts the
/// payload to it.
fn put_plaintext(payload: &mut BorrowedPayload<'_>, plain: &[u8]) -> Result<(), Error> {
    if plain.len() + TAG_LEN != payload.len() {
        return Err(Error::DecryptError);
    }
    payload[..plain.len()].copy_from_slice(plain);
    payload.truncate(plain.len());
    Ok(())
}

/// TLS 1.2 AES-GCM records out: the explicit nonce, then the sealed payload.
struct Tls12GcmEncrypter {
    key: KeyOrWhy,
    iv: Iv,
}

impl MessageEncrypter for Tls12GcmEncrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let key = usable(&self.key)?;
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let nonce = Nonce::new(&self.iv, seq).0;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        let sealed = key.seal(&nonce, &aad, &msg.payload.to_vec());
        if sealed.len() + GCM_EXPLICIT_NONCE_LEN != total_len {
            return Err(Error::EncryptError);
        }
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_slice(&nonce[4..]);
        payload.extend_from_slice(&sealed);
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + GCM_EXPLICIT_NONCE_LEN + TAG_LEN
    }
}

/// TLS 1.2 AES-GCM records in: the nonce from the salt and the record's explicit part.
struct Tls12GcmDecrypter {
    key: KeyOrWhy,
    salt: [u8; 4],
}

impl MessageDecrypter for Tls12GcmDecrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let key = usable(&self.key)?;
        let payload = &mut msg.payload;
        if payload.len() < GCM_EXPLICIT_NONCE_LEN + TAG_LEN {
            return Err(Error::DecryptError);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.salt);
        nonce[4..].copy_from_slice(&payload[..GCM_EXPLICIT_NONCE_LEN]);
        let plain_len = payload.len() - GCM_EXPLICIT_NONCE_LEN - TAG_LEN;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, plain_len);
        let plain = key
            .open(&nonce, &aad, &payload[GCM_EXPLICIT_NONCE_LEN..])
            .ok_or(Error::DecryptError)?;
        if plain.len() != plain_len {
            return Err(Error::DecryptError);
        }
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload[..plain_len].copy_from_slice(&plain);
        payload.truncate(plain_len);
        Ok(msg.into_plain_message())
    }
}

/// TLS 1.2 ChaCha20-Poly1305 records out: the nonce is the IV XOR the sequence number.
struct Tls12ChachaEncrypter {
    key: KeyOrWhy,
    iv: Iv,
}

impl MessageEncrypter for Tls12ChachaEncrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let key = usable(&self.key)?;
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        let sealed = key.seal(&Nonce::new(&self.iv, seq).0, &aad, &msg.payload.to_vec());
        if sealed.len() != total_len {
            return Err(Error::EncryptError);
        }
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_slice(&sealed);
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN
    }
}

/// TLS 1.2 ChaCha20-Poly1305 records in.
struct Tls12ChachaDecrypter {
    key: KeyOrWhy,
    iv: Iv,
}

impl MessageDecrypter for Tls12ChachaDecrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let key = usable(&self.key)?;
        let payload = &mut msg.payload;
        if payload.len() < TAG_LEN {
            return Err(Error::DecryptError);
        }
        let plain_len = payload.len() - TAG_LEN;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, plain_len);
        let plain = key
            .open(&Nonce::new(&self.iv, seq).0, &aad, payload)
            .ok_or(Error::DecryptError)?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        put_plaintext(payload, &plain)?;
        Ok(msg.into_plain_message())
    }
}
