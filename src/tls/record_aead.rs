//! Record protection over any AEAD with a 96-bit nonce and a 16-byte tag: the record layouts
//! of RFC 8446 section 5.2 (TLS 1.3), RFC 7905 (ChaCha20-Poly1305 in TLS 1.2: the nonce is the
//! IV XOR the sequence number) and RFC 5288 (AES-GCM in TLS 1.2: a 4-byte salt and an explicit
//! 8-byte nonce carried in each record), as rustls's ring provider builds them, written once
//! for every AEAD [`RecordAead`] describes. `simd_suites` gives it the component's own SIMD
//! AEADs, and [`super::lent`] the AEADs a host lends.

use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape, MessageDecrypter,
    MessageEncrypter, NONCE_LEN, Nonce, OutboundOpaqueMessage, OutboundPlainMessage,
    PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm, UnsupportedOperationError,
    make_tls12_aad, make_tls13_aad,
};
use rustls::{ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion};

/// The tag length of every TLS AEAD.
pub(crate) const TAG_LEN: usize = 16;
/// The explicit nonce that AES-GCM records carry in TLS 1.2.
const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// The salt of a TLS 1.2 AES-GCM key: the fixed first part of each nonce.
const GCM_SALT_LEN: usize = NONCE_LEN - GCM_EXPLICIT_NONCE_LEN;
/// The largest plaintext a record may carry (RFC 8446 section 5.1).
const MAX_FRAGMENT_LEN: usize = 16_384;

/// How a TLS 1.2 record of an AEAD gets its nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tls12Nonce {
    /// The 12-byte IV XOR the sequence number, nothing in the record (RFC 7905).
    Xored,
    /// A 4-byte salt and an explicit 8-byte part at the head of each record (RFC 5288).
    Explicit,
}

/// An AEAD algorithm: what the record layouts need to know of it, and its keys.
pub(crate) trait RecordAead: Send + Sync + 'static {
    /// A key of this algorithm.
    type Key: RecordKey;

    /// Bytes in a key.
    fn key_len(&self) -> usize;

    /// Its TLS 1.2 record layout.
    fn tls12_nonce(&self) -> Tls12Nonce;

    /// The key of `key`'s bytes (always [`Self::key_len`] of them: the suites' key lengths and
    /// key block shapes ask for that).
    fn key(&self, key: &AeadKey) -> Self::Key;

    /// The traffic secrets of a key and IV, named by the algorithm.
    fn secrets(&self, key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets;
}

/// A key that seals and opens records in place.
pub(crate) trait RecordKey: Send + Sync + 'static {
    /// Encrypts `in_out` in place and returns the tag over `aad` and the ciphertext.
    fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error>;

    /// Checks the tag at the end of `payload` (the ciphertext, then its tag), then decrypts
    /// the ciphertext in place, and returns its length; a mismatch is
    /// [`Error::DecryptError`].
    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        payload: &mut [u8],
    ) -> Result<usize, Error>;
}

/// Record protection for TLS 1.3 and 1.2 over the AEAD `A`, as rustls's suites take it.
pub(crate) struct InPlace<A>(A);

impl<A> InPlace<A> {
    /// The record protection of `aead` (a constant, for `'static` suites, where `A` allows).
    pub(crate) const fn new(aead: A) -> Self {
        InPlace(aead)
    }
}

impl<A: RecordAead> Tls13AeadAlgorithm for InPlace<A> {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Encrypter {
            key: self.0.key(&key),
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Decrypter {
            key: self.0.key(&key),
            iv,
        })
    }

    fn key_len(&self) -> usize {
        self.0.key_len()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(self.0.secrets(key, iv))
    }
}

impl<A: RecordAead> Tls12AeadAlgorithm for InPlace<A> {
    fn encrypter(&self, key: AeadKey, iv: &[u8], explicit: &[u8]) -> Box<dyn MessageEncrypter> {
        let key = self.0.key(&key);
        match self.0.tls12_nonce() {
            Tls12Nonce::Xored => Box::new(Tls12Encrypter {
                key,
                iv: Iv::copy(iv),
            }),
            Tls12Nonce::Explicit => Box::new(Tls12GcmEncrypter {
                key,
                iv: gcm_iv(iv, explicit),
            }),
        }
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        let key = self.0.key(&key);
        match self.0.tls12_nonce() {
            Tls12Nonce::Xored => Box::new(Tls12Decrypter {
                key,
                iv: Iv::copy(iv),
            }),
            Tls12Nonce::Explicit => {
                let mut salt = [0u8; GCM_SALT_LEN];
                salt.copy_from_slice(&iv[..GCM_SALT_LEN]);
                Box::new(Tls12GcmDecrypter { key, salt })
            }
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        match self.0.tls12_nonce() {
            Tls12Nonce::Xored => KeyBlockShape {
                enc_key_len: self.0.key_len(),
                fixed_iv_len: NONCE_LEN,
                explicit_nonce_len: 0,
            },
            Tls12Nonce::Explicit => KeyBlockShape {
                enc_key_len: self.0.key_len(),
                fixed_iv_len: GCM_SALT_LEN,
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
        let iv = match self.0.tls12_nonce() {
            Tls12Nonce::Xored => Iv::copy(iv),
            Tls12Nonce::Explicit => gcm_iv(iv, explicit),
        };
        Ok(self.0.secrets(key, iv))
    }
}

/// The 12-byte IV of a TLS 1.2 GCM key: the 4-byte salt, then the 8-byte explicit part.
fn gcm_iv(salt: &[u8], explicit: &[u8]) -> Iv {
    let mut iv = [0u8; NONCE_LEN];
    iv[..GCM_SALT_LEN].copy_from_slice(&salt[..GCM_SALT_LEN]);
    iv[GCM_SALT_LEN..].copy_from_slice(&explicit[..GCM_EXPLICIT_NONCE_LEN]);
    Iv::new(iv)
}

/// Seals `payload[from..]` in place and appends the tag.
fn seal<K: RecordKey>(
    key: &K,
    nonce: Nonce,
    aad: &[u8],
    payload: &mut PrefixedPayload,
    from: usize,
) -> Result<(), Error> {
    let tag = key.seal_in_place(&nonce.0, aad, &mut payload.as_mut()[from..])?;
    payload.extend_from_slice(&tag);
    Ok(())
}

/// TLS 1.3 records out: the plaintext and its content type, sealed.
struct Tls13Encrypter<K> {
    key: K,
    iv: Iv,
}

impl<K: RecordKey> MessageEncrypter for Tls13Encrypter<K> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        let aad = make_tls13_aad(total_len);
        seal(&self.key, Nonce::new(&self.iv, seq), &aad, &mut payload, 0)?;
        // Every TLS 1.3 record has the legacy version 0x0303 (RFC 8446 section 5.1).
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
struct Tls13Decrypter<K> {
    key: K,
    iv: Iv,
}

impl<K: RecordKey> MessageDecrypter for Tls13Decrypter<K> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        let aad = make_tls13_aad(payload.len());
        let plain_len = self
            .key
            .open_in_place(&Nonce::new(&self.iv, seq).0, &aad, payload)?;
        payload.truncate(plain_len);
        msg.into_tls13_unpadded_message()
    }
}

/// TLS 1.2 records out whose nonce is the IV XOR the sequence number (RFC 7905).
struct Tls12Encrypter<K> {
    key: K,
    iv: Iv,
}

impl<K: RecordKey> MessageEncrypter for Tls12Encrypter<K> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        payload.extend_from_chunks(&msg.payload);
        seal(&self.key, Nonce::new(&self.iv, seq), &aad, &mut payload, 0)?;
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN
    }
}

/// TLS 1.2 records in whose nonce is the IV XOR the sequence number.
struct Tls12Decrypter<K> {
    key: K,
    iv: Iv,
}

impl<K: RecordKey> MessageDecrypter for Tls12Decrypter<K> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        let plain_len = payload
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::DecryptError)?;
        let aad = make_tls12_aad(seq, msg.typ, msg.version, plain_len);
        self.key
            .open_in_place(&Nonce::new(&self.iv, seq).0, &aad, payload)?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload.truncate(plain_len);
        Ok(msg.into_plain_message())
    }
}

/// TLS 1.2 AES-GCM records out: the explicit nonce, then the sealed payload (RFC 5288).
struct Tls12GcmEncrypter<K> {
    key: K,
    iv: Iv,
}

impl<K: RecordKey> MessageEncrypter for Tls12GcmEncrypter<K> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let nonce = Nonce::new(&self.iv, seq);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        payload.extend_from_slice(&nonce.0[GCM_SALT_LEN..]);
        payload.extend_from_chunks(&msg.payload);
        seal(&self.key, nonce, &aad, &mut payload, GCM_EXPLICIT_NONCE_LEN)?;
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + GCM_EXPLICIT_NONCE_LEN + TAG_LEN
    }
}

/// TLS 1.2 AES-GCM records in: the nonce from the salt and the record's explicit part.
struct Tls12GcmDecrypter<K> {
    key: K,
    salt: [u8; GCM_SALT_LEN],
}

impl<K: RecordKey> MessageDecrypter for Tls12GcmDecrypter<K> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        let plain_len = payload
            .len()
            .checked_sub(GCM_EXPLICIT_NONCE_LEN + TAG_LEN)
            .ok_or(Error::DecryptError)?;
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..GCM_SALT_LEN].copy_from_slice(&self.salt);
        nonce[GCM_SALT_LEN..].copy_from_slice(&payload[..GCM_EXPLICIT_NONCE_LEN]);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, plain_len);
        self.key
            .open_in_place(&nonce, &aad, &mut payload[GCM_EXPLICIT_NONCE_LEN..])?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload.copy_within(
            GCM_EXPLICIT_NONCE_LEN..GCM_EXPLICIT_NONCE_LEN + plain_len,
            0,
        );
        payload.truncate(plain_len);
        Ok(msg.into_plain_message())
    }
}
