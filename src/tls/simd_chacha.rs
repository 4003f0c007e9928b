//! The ChaCha20-Poly1305 suites of the self-contained component over
//! `chacha20-poly1305-simd` (ChaCha20 four blocks at a time in wasm SIMD) instead of ring's
//! AEAD, which inside wasm runs ChaCha20 one block at a time. Everything else of each suite is
//! ring's: its hash, HKDF, TLS 1.2 PRF and key exchange. The record layouts are RFC 8446
//! section 5.2 (TLS 1.3) and RFC 7905 (TLS 1.2), sealed and opened in place as rustls's ring
//! provider does. [`crate::tls::provider`] takes these suites inside wasm only: natively ring's
//! own assembly is faster than the crate's portable backend.

use std::sync::LazyLock;

use chacha20_poly1305_simd::{ChaCha20Poly1305, KEY_LEN, TAG_LEN};
use rustls::crypto::CipherSuiteCommon;
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape, MessageDecrypter,
    MessageEncrypter, NONCE_LEN, Nonce, OutboundOpaqueMessage, OutboundPlainMessage,
    PrefixedPayload, Tls12AeadAlgorithm, Tls13AeadAlgorithm, UnsupportedOperationError,
    make_tls12_aad, make_tls13_aad,
};
use rustls::crypto::ring::cipher_suite as ring_suite;
use rustls::{
    CipherSuite, ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion,
    SupportedCipherSuite, Tls12CipherSuite, Tls13CipherSuite,
};

/// The largest plaintext a record may carry (RFC 8446 section 5.1).
const MAX_FRAGMENT_LEN: usize = 16_384;

/// TLS13_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 and
/// TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, in that order, over the SIMD AEAD.
pub(crate) fn simd_suites() -> [SupportedCipherSuite; 3] {
    *SIMD_SUITES
}

/// `suite`, or its SIMD twin if it is one of ring's ChaCha20-Poly1305 suites.
#[cfg(test)]
fn simd_twin(suite: SupportedCipherSuite) -> SupportedCipherSuite {
    SIMD_SUITES
        .iter()
        .find(|twin| twin.suite() == suite.suite())
        .copied()
        .unwrap_or(suite)
}

/// The three ChaCha20-Poly1305 suites, made once (rustls wants `'static` suites). Each takes
/// its hash, HKDF, TLS 1.2 PRF, key exchange and signature schemes from ring's AES-128-GCM
/// suite of the same kind (SHA-256 in all of them, as in the ChaCha20 suites), not from ring's
/// ChaCha20-Poly1305 suites: naming those would link ring's ChaCha20 and Poly1305 code into
/// the component, which never runs it (6 KB).
static SIMD_SUITES: LazyLock<[SupportedCipherSuite; 3]> = LazyLock::new(|| {
    [
        (
            ring_suite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ),
        (
            ring_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ),
        (
            ring_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ),
    ]
    .map(|(donor, suite)| match donor {
        SupportedCipherSuite::Tls13(ring) => {
            SupportedCipherSuite::Tls13(Box::leak(Box::new(Tls13CipherSuite {
                common: common(suite, &ring.common),
                hkdf_provider: ring.hkdf_provider,
                aead_alg: &SimdChaCha20Poly1305,
                quic: None,
            })))
        }
        SupportedCipherSuite::Tls12(ring) => {
            SupportedCipherSuite::Tls12(Box::leak(Box::new(Tls12CipherSuite {
                common: common(suite, &ring.common),
                kx: ring.kx,
                sign: ring.sign,
                aead_alg: &SimdChaCha20Poly1305,
                prf_provider: ring.prf_provider,
            })))
        }
    })
});

/// The common fields of `suite`: the donor's hash, and no confidentiality limit (as in
/// rustls's ChaCha20-Poly1305 suites: RFC 8446 section 5.5 sets none for it).
fn common(suite: CipherSuite, donor: &CipherSuiteCommon) -> CipherSuiteCommon {
    CipherSuiteCommon {
        suite,
        hash_provider: donor.hash_provider,
        confidentiality_limit: u64::MAX,
    }
}

/// ChaCha20-Poly1305 record protection for TLS 1.3 and 1.2 over the SIMD crate.
#[derive(Debug, Clone, Copy)]
struct SimdChaCha20Poly1305;

/// The crate's key from rustls's (which is always [`KEY_LEN`] bytes here: the suites'
/// `key_len` and `key_block_shape` ask for that).
fn aead_key(key: &AeadKey) -> ChaCha20Poly1305 {
    let mut bytes = [0u8; KEY_LEN];
    bytes.copy_from_slice(key.as_ref());
    ChaCha20Poly1305::new(&bytes)
}

impl Tls13AeadAlgorithm for SimdChaCha20Poly1305 {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Encrypter {
            key: aead_key(&key),
            iv,
        })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Decrypter {
            key: aead_key(&key),
            iv,
        })
    }

    fn key_len(&self) -> usize {
        KEY_LEN
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv })
    }
}

impl Tls12AeadAlgorithm for SimdChaCha20Poly1305 {
    fn encrypter(&self, key: AeadKey, iv: &[u8], _explicit: &[u8]) -> Box<dyn MessageEncrypter> {
        Box::new(Tls12Encrypter {
            key: aead_key(&key),
            iv: Iv::copy(iv),
        })
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        Box::new(Tls12Decrypter {
            key: aead_key(&key),
            iv: Iv::copy(iv),
        })
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        KeyBlockShape {
            enc_key_len: KEY_LEN,
            fixed_iv_len: NONCE_LEN,
            explicit_nonce_len: 0,
        }
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: &[u8],
        _explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(ConnectionTrafficSecrets::Chacha20Poly1305 {
            key,
            iv: Iv::copy(iv),
        })
    }
}

/// Seals `payload` in place and appends the tag.
fn seal(
    key: &ChaCha20Poly1305,
    nonce: Nonce,
    aad: &[u8],
    payload: &mut PrefixedPayload,
) -> Result<(), Error> {
    let tag = key
        .seal_in_place(&nonce.0, aad, payload.as_mut())
        .map_err(|_| Error::EncryptError)?;
    payload.extend_from_slice(&tag);
    Ok(())
}

/// Opens `payload` (ciphertext then tag) in place: the plaintext's length.
fn open(
    key: &ChaCha20Poly1305,
    nonce: Nonce,
    aad: &[u8],
    payload: &mut [u8],
) -> Result<usize, Error> {
    let plain_len = payload
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::DecryptError)?;
    let (ciphertext, tag) = payload.split_at_mut(plain_len);
    let tag: &[u8; TAG_LEN] = (&*tag).try_into().map_err(|_| Error::DecryptError)?;
    key.open_in_place(&nonce.0, aad, ciphertext, tag)
        .map_err(|_| Error::DecryptError)?;
    Ok(plain_len)
}

/// TLS 1.3 records out: the plaintext and its content type, sealed.
struct Tls13Encrypter {
    key: ChaCha20Poly1305,
    iv: Iv,
}

impl MessageEncrypter for Tls13Encrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        seal(
            &self.key,
            Nonce::new(&self.iv, seq),
            &make_tls13_aad(total_len),
            &mut payload,
        )?;
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
struct Tls13Decrypter {
    key: ChaCha20Poly1305,
    iv: Iv,
}

impl MessageDecrypter for Tls13Decrypter {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        let aad = make_tls13_aad(payload.len());
        let plain_len = open(&self.key, Nonce::new(&self.iv, seq), &aad, payload)?;
        payload.truncate(plain_len);
        msg.into_tls13_unpadded_message()
    }
}

/// TLS 1.2 records out: the nonce is the IV XOR the sequence number (RFC 7905).
struct Tls12Encrypter {
    key: ChaCha20Poly1305,
    iv: Iv,
}

impl MessageEncrypter for Tls12Encrypter {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        payload.extend_from_chunks(&msg.payload);
        seal(&self.key, Nonce::new(&self.iv, seq), &aad, &mut payload)?;
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN
    }
}

/// TLS 1.2 records in.
struct Tls12Decrypter {
    key: ChaCha20Poly1305,
    iv: Iv,
}

impl MessageDecrypter for Tls12Decrypter {
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
        open(&self.key, Nonce::new(&self.iv, seq), &aad, payload)?;
        if plain_len > MAX_FRAGMENT_LEN {
            return Err(Error::PeerSentOversizedRecord);
        }
        payload.truncate(plain_len);
        Ok(msg.into_plain_message())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rustls::crypto::{CryptoProvider, ring};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use rustls::{
        ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
    };

    use super::*;

    /// A rustls client whose only suite is `suite`'s SIMD twin, and a server of ring's, in
    /// memory: the handshake completes with that suite, and 100 KiB go each way, byte for
    /// byte.
    fn records_go_both_ways_through_the_twin_of(suite: SupportedCipherSuite) {
        let twin = simd_twin(suite);
        let replaced = match (twin, suite) {
            (SupportedCipherSuite::Tls13(a), SupportedCipherSuite::Tls13(b)) => !std::ptr::eq(a, b),
            (SupportedCipherSuite::Tls12(a), SupportedCipherSuite::Tls12(b)) => !std::ptr::eq(a, b),
            _ => false,
        };
        assert!(replaced, "{suite:?} has a SIMD twin");
        let signed = rcgen::generate_simple_self_signed(vec!["simd.test".to_string()]).unwrap();
        let mut roots = RootCertStore::empty();
        roots.add(signed.cert.der().clone()).unwrap();
        let version = match twin {
            SupportedCipherSuite::Tls13(_) => &rustls::version::TLS13,
            SupportedCipherSuite::Tls12(_) => &rustls::version::TLS12,
        };
        let client_provider = CryptoProvider {
            cipher_suites: vec![twin],
            ..ring::default_provider()
        };
        let client_config = ClientConfig::builder_with_provider(Arc::new(client_provider))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signed.signing_key.serialize_der()));
        let server_config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![signed.cert.der().clone()], key)
            .unwrap();
        let name = ServerName::try_from("simd.test").unwrap();
        let mut client =
            Connection::from(ClientConnection::new(Arc::new(client_config), name).unwrap());
        let mut server = Connection::from(ServerConnection::new(Arc::new(server_config)).unwrap());
        let upload: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
        let download: Vec<u8> = upload.iter().rev().copied().collect();
        client.set_buffer_limit(None);
        server.set_buffer_limit(None);
        client.writer().write_all(&upload).unwrap();
        server.writer().write_all(&download).unwrap();
        let (mut at_server, mut at_client) = (Vec::new(), Vec::new());
        for _ in 0..100 {
            pump(&mut client, &mut server, &mut at_server);
            pump(&mut server, &mut client, &mut at_client);
        }
        assert_eq!(
            client.negotiated_cipher_suite().unwrap().suite(),
            suite.suite()
        );
        assert_eq!(at_server, upload);
        assert_eq!(at_client, download);
    }

    /// Moves whatever `from` has to send into `to`, and the plaintext `to` receives into
    /// `received`.
    fn pump(from: &mut Connection, to: &mut Connection, received: &mut Vec<u8>) {
        let mut wire = Vec::new();
        while from.wants_write() {
            from.write_tls(&mut wire).unwrap();
        }
        let mut wire = wire.as_slice();
        while !wire.is_empty() {
            to.read_tls(&mut wire).unwrap();
            to.process_new_packets().unwrap();
            read_available(to, received);
        }
    }

    /// Appends the plaintext `connection` has received to `into`.
    fn read_available(connection: &mut Connection, into: &mut Vec<u8>) {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match connection.reader().read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => into.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn tls13_records_go_both_ways_through_the_simd_aead() {
        records_go_both_ways_through_the_twin_of(ring_suite::TLS13_CHACHA20_POLY1305_SHA256);
    }

    #[test]
    fn tls12_records_go_both_ways_through_the_simd_aead() {
        records_go_both_ways_through_the_twin_of(
            ring_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        );
    }

    #[test]
    fn each_simd_suite_is_ring_s_chacha20_suite_but_for_its_aead() {
        let rings = [
            ring_suite::TLS13_CHACHA20_POLY1305_SHA256,
            ring_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            ring_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ];
        for (ours, theirs) in simd_suites().into_iter().zip(rings) {
            assert_eq!(ours.suite(), theirs.suite());
            match (ours, theirs) {
                (SupportedCipherSuite::Tls13(a), SupportedCipherSuite::Tls13(b)) => {
                    let hash = |suite: &Tls13CipherSuite| suite.common.hash_provider.algorithm();
                    assert_eq!(hash(a), hash(b));
                    assert_eq!(
                        a.common.confidentiality_limit,
                        b.common.confidentiality_limit
                    );
                    assert!(a.quic.is_none());
                }
                (SupportedCipherSuite::Tls12(a), SupportedCipherSuite::Tls12(b)) => {
                    let hash = |suite: &Tls12CipherSuite| suite.common.hash_provider.algorithm();
                    assert_eq!(hash(a), hash(b));
                    assert_eq!(
                        a.common.confidentiality_limit,
                        b.common.confidentiality_limit
                    );
                    assert_eq!(a.kx, b.kx);
                    assert_eq!(a.sign, b.sign);
                }
                _ => panic!("{:?} changed version", theirs.suite()),
            }
        }
    }

    #[test]
    fn suites_other_than_chacha20_stay_ring_s() {
        let aes = ring_suite::TLS13_AES_128_GCM_SHA256;
        let SupportedCipherSuite::Tls13(theirs) = aes else {
            unreachable!()
        };
        let SupportedCipherSuite::Tls13(ours) = simd_twin(aes) else {
            unreachable!()
        };
        assert!(std::ptr::eq(ours, theirs));
    }
}
