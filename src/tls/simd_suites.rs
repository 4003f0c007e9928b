//! The self-contained component's own AEADs for rustls's suites: ChaCha20-Poly1305 over
//! `chacha20-poly1305-simd` (ChaCha20 four blocks at a time in wasm SIMD) and AES-128-GCM and
//! AES-256-GCM over `aes-gcm-simd` (fixsliced AES eight blocks at a time in wasm SIMD), instead
//! of ring's AEADs, which inside wasm run ChaCha20 one block at a time and AES bitsliced on
//! 32-bit words. Everything else of each suite is ring's: its hash, HKDF, TLS 1.2 PRF and key
//! exchange (built over ring's digests by [`super::ring_key_schedule`]). The record layouts are [`super::record_aead`]'s. [`crate::tls::provider`] takes
//! these suites inside wasm only: natively ring's own assembly (and AES instructions) is faster
//! than the crates' portable backends.

use aes_gcm_simd::AesGcm;
use chacha20_poly1305_simd::ChaCha20Poly1305;
use rustls::crypto::CipherSuiteCommon;
use rustls::crypto::KeyExchangeAlgorithm;
use rustls::crypto::cipher::{AeadKey, Iv, NONCE_LEN};
use rustls::{
    CipherSuite, ConnectionTrafficSecrets, Error, SignatureScheme, SupportedCipherSuite,
    Tls12CipherSuite, Tls13CipherSuite,
};

use super::record_aead::{InPlace, RecordAead, RecordKey, TAG_LEN, Tls12Nonce};
use super::ring_key_schedule;

/// The suites of ring's provider, in the client's order (TLS 1.3 first, ChaCha20-Poly1305
/// first within each version), each built here with the SIMD AEAD its name says and
/// everything else as ring's: the hash, HKDF and PRF over ring's digests
/// ([`super::ring_key_schedule`]), the TLS 1.2 key exchange and signature schemes, and the
/// confidentiality limits. Built rather than copied from ring's suite statics, which would
/// link ring's own AEADs (the tests check each against ring's suite of the same name).
pub(crate) fn simd_suites() -> Vec<SupportedCipherSuite> {
    vec![
        SupportedCipherSuite::Tls13(&TLS13_CHACHA20_POLY1305_SHA256),
        SupportedCipherSuite::Tls13(&TLS13_AES_256_GCM_SHA384),
        SupportedCipherSuite::Tls13(&TLS13_AES_128_GCM_SHA256),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        SupportedCipherSuite::Tls12(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
    ]
}

/// Record protection of each AEAD (constants: rustls wants `'static` algorithms).
static CHACHA20_POLY1305: InPlace<SimdChaCha20Poly1305> = InPlace::new(SimdChaCha20Poly1305);
/// AES-128-GCM's record protection.
static AES_128_GCM: InPlace<SimdAes128Gcm> = InPlace::new(SimdAes128Gcm);
/// AES-256-GCM's record protection.
static AES_256_GCM: InPlace<SimdAes256Gcm> = InPlace::new(SimdAes256Gcm);

/// The TLS 1.2 signature schemes of an ECDSA suite, as rustls's ring provider lists them.
static TLS12_ECDSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ED25519,
    SignatureScheme::ECDSA_NISTP521_SHA512,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ECDSA_NISTP256_SHA256,
];

/// The TLS 1.2 signature schemes of an RSA suite, as rustls's ring provider lists them.
static TLS12_RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
];

/// A TLS 1.3 suite: its id, hash, key schedule, confidentiality limit and AEAD.
macro_rules! tls13_suite {
    ($name:ident, $hash:ident, $hkdf:ident, $limit:expr, $aead:ident) => {
        static $name: Tls13CipherSuite = Tls13CipherSuite {
            common: CipherSuiteCommon {
                suite: CipherSuite::$name,
                hash_provider: &ring_key_schedule::$hash,
                confidentiality_limit: $limit,
            },
            hkdf_provider: &ring_key_schedule::$hkdf,
            aead_alg: &$aead,
            quic: None,
        };
    };
}

tls13_suite!(
    TLS13_CHACHA20_POLY1305_SHA256,
    SHA256,
    HKDF_SHA256,
    u64::MAX,
    CHACHA20_POLY1305
);
tls13_suite!(
    TLS13_AES_256_GCM_SHA384,
    SHA384,
    HKDF_SHA384,
    1 << 24,
    AES_256_GCM
);
tls13_suite!(
    TLS13_AES_128_GCM_SHA256,
    SHA256,
    HKDF_SHA256,
    1 << 24,
    AES_128_GCM
);

/// A TLS 1.2 ECDHE suite: its id, hash, PRF, confidentiality limit, signature schemes and
/// AEAD.
macro_rules! tls12_suite {
    ($name:ident, $hash:ident, $prf:ident, $limit:expr, $sign:ident, $aead:ident) => {
        static $name: Tls12CipherSuite = Tls12CipherSuite {
            common: CipherSuiteCommon {
                suite: CipherSuite::$name,
                hash_provider: &ring_key_schedule::$hash,
                confidentiality_limit: $limit,
            },
            kx: KeyExchangeAlgorithm::ECDHE,
            sign: $sign,
            aead_alg: &$aead,
            prf_provider: &ring_key_schedule::$prf,
        };
    };
}

tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    SHA256,
    PRF_SHA256,
    u64::MAX,
    TLS12_ECDSA_SCHEMES,
    CHACHA20_POLY1305
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    SHA256,
    PRF_SHA256,
    u64::MAX,
    TLS12_RSA_SCHEMES,
    CHACHA20_POLY1305
);
tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    SHA384,
    PRF_SHA384,
    1 << 24,
    TLS12_ECDSA_SCHEMES,
    AES_256_GCM
);
tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    SHA256,
    PRF_SHA256,
    1 << 24,
    TLS12_ECDSA_SCHEMES,
    AES_128_GCM
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    SHA384,
    PRF_SHA384,
    1 << 24,
    TLS12_RSA_SCHEMES,
    AES_256_GCM
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    SHA256,
    PRF_SHA256,
    1 << 24,
    TLS12_RSA_SCHEMES,
    AES_128_GCM
);

/// `payload`'s ciphertext and the tag after it; a payload shorter than a tag is
/// [`Error::DecryptError`].
fn split_tag(payload: &mut [u8]) -> Result<(&mut [u8], &[u8; TAG_LEN]), Error> {
    let plain_len = payload
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::DecryptError)?;
    let (ciphertext, tag) = payload.split_at_mut(plain_len);
    let tag: &[u8; TAG_LEN] = (&*tag).try_into().map_err(|_| Error::DecryptError)?;
    Ok((ciphertext, tag))
}

/// The first `N` bytes of rustls's key (which has exactly the suite's key length).
fn key_bytes<const N: usize>(key: &AeadKey) -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&key.as_ref()[..N]);
    bytes
}

/// ChaCha20-Poly1305 over `chacha20-poly1305-simd`.
struct SimdChaCha20Poly1305;

impl RecordAead for SimdChaCha20Poly1305 {
    type Key = ChaCha20Poly1305;

    fn key_len(&self) -> usize {
        chacha20_poly1305_simd::KEY_LEN
    }

    fn tls12_nonce(&self) -> Tls12Nonce {
        Tls12Nonce::Xored
    }

    fn key(&self, key: &AeadKey) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&key_bytes(key))
    }

    fn secrets(&self, key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
    }
}

/// AES-128-GCM over `aes-gcm-simd`.
struct SimdAes128Gcm;

/// AES-256-GCM over `aes-gcm-simd`.
struct SimdAes256Gcm;

/// The [`RecordAead`] of an AES-GCM key size: only the key length, the constructor and the
/// secrets' name differ.
macro_rules! aes_gcm_record_aead {
    ($name:ident, $key_len:literal, $new:ident, $secrets:ident) => {
        impl RecordAead for $name {
            type Key = AesGcm;

            fn key_len(&self) -> usize {
                $key_len
            }

            fn tls12_nonce(&self) -> Tls12Nonce {
                Tls12Nonce::Explicit
            }

            fn key(&self, key: &AeadKey) -> AesGcm {
                AesGcm::$new(&key_bytes(key))
            }

            fn secrets(&self, key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
                ConnectionTrafficSecrets::$secrets { key, iv }
            }
        }
    };
}

aes_gcm_record_aead!(SimdAes128Gcm, 16, new_128, Aes128Gcm);
aes_gcm_record_aead!(SimdAes256Gcm, 32, new_256, Aes256Gcm);

/// The [`RecordKey`] of a SIMD crate's key: both crates seal and open in place with the same
/// signatures (the tag apart from the ciphertext), so only the type differs.
macro_rules! simd_record_key {
    ($key:ty) => {
        impl RecordKey for $key {
            fn seal_in_place(
                &self,
                nonce: &[u8; NONCE_LEN],
                aad: &[u8],
                in_out: &mut [u8],
            ) -> Result<[u8; TAG_LEN], Error> {
                <$key>::seal_in_place(self, nonce, aad, in_out).map_err(|_| Error::EncryptError)
            }

            fn open_in_place(
                &self,
                nonce: &[u8; NONCE_LEN],
                aad: &[u8],
                payload: &mut [u8],
            ) -> Result<usize, Error> {
                let (ciphertext, tag) = split_tag(payload)?;
                <$key>::open_in_place(self, nonce, aad, ciphertext, tag)
                    .map_err(|_| Error::DecryptError)?;
                Ok(ciphertext.len())
            }
        }
    };
}

simd_record_key!(ChaCha20Poly1305);
simd_record_key!(AesGcm);

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rustls::crypto::ring::cipher_suite as ring_suite;
    use rustls::crypto::{CryptoProvider, ring};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use rustls::{
        ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
    };

    use super::*;

    /// The component's suite of `ring`'s name.
    fn twin_of(ring: SupportedCipherSuite) -> SupportedCipherSuite {
        simd_suites()
            .into_iter()
            .find(|twin| twin.suite() == ring.suite())
            .unwrap_or_else(|| panic!("{ring:?} has a SIMD twin"))
    }

    /// A rustls client whose only suite is the component's suite of `suite`'s name, and a
    /// server of ring's, in memory: the handshake (and so the key schedule built over ring's
    /// digests) completes with that suite, and 100 KiB go each way, byte for byte.
    fn records_go_both_ways_through_the_twin_of(suite: SupportedCipherSuite) {
        let twin = twin_of(suite);
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
    fn tls13_records_go_both_ways_through_each_simd_aead() {
        records_go_both_ways_through_the_twin_of(ring_suite::TLS13_CHACHA20_POLY1305_SHA256);
        records_go_both_ways_through_the_twin_of(ring_suite::TLS13_AES_256_GCM_SHA384);
        records_go_both_ways_through_the_twin_of(ring_suite::TLS13_AES_128_GCM_SHA256);
    }

    #[test]
    fn tls12_records_go_both_ways_through_each_simd_aead() {
        records_go_both_ways_through_the_twin_of(
            ring_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        );
        records_go_both_ways_through_the_twin_of(
            ring_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        );
        records_go_both_ways_through_the_twin_of(
            ring_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        );
    }

    #[test]
    fn each_simd_suite_is_ring_s_suite_of_its_name_but_for_the_aead() {
        let ours = simd_suites();
        let rings = crate::tls::provider::ring_suites();
        assert_eq!(
            ours.iter().map(|suite| suite.suite()).collect::<Vec<_>>(),
            rings.iter().map(|suite| suite.suite()).collect::<Vec<_>>(),
            "the same suites in the same order"
        );
        for (twin, ring) in ours.into_iter().zip(rings) {
            let same_common = |a: &CipherSuiteCommon, b: &CipherSuiteCommon| {
                assert_eq!(a.hash_provider.algorithm(), b.hash_provider.algorithm());
                assert_eq!(a.hash_provider.output_len(), b.hash_provider.output_len());
                assert_eq!(
                    a.hash_provider.hash(b"abc").as_ref(),
                    b.hash_provider.hash(b"abc").as_ref()
                );
                assert_eq!(a.confidentiality_limit, b.confidentiality_limit);
            };
            match (twin, ring) {
                (SupportedCipherSuite::Tls13(a), SupportedCipherSuite::Tls13(b)) => {
                    same_common(&a.common, &b.common);
                    assert!(a.quic.is_none() && b.quic.is_some());
                    assert_eq!(a.aead_alg.key_len(), b.aead_alg.key_len(), "{ring:?}");
                }
                (SupportedCipherSuite::Tls12(a), SupportedCipherSuite::Tls12(b)) => {
                    same_common(&a.common, &b.common);
                    assert_eq!(a.kx, b.kx, "{ring:?}");
                    assert_eq!(a.sign, b.sign, "{ring:?}");
                    let (ours, rings) =
                        (a.aead_alg.key_block_shape(), b.aead_alg.key_block_shape());
                    assert_eq!(
                        (ours.enc_key_len, ours.fixed_iv_len, ours.explicit_nonce_len),
                        (
                            rings.enc_key_len,
                            rings.fixed_iv_len,
                            rings.explicit_nonce_len
                        ),
                        "{ring:?}"
                    );
                }
                _ => panic!("{ring:?} and its twin differ in version"),
            }
        }
    }
}
