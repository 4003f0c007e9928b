//! The ceilings inside wasm: ring's primitives with no TLS, HTTP or I/O around them. `ring-raw MIB`
//! opens MIB MiB of 16 KiB records with each AEAD and prints one line per AEAD, `NAME BYTES NANOS`,
//! then the same for the SIMD ChaCha20-Poly1305 of the self-contained component
//! (`simd-chacha20-poly1305`) and its halves alone, ChaCha20 (`simd-chacha20`) and Poly1305
//! (`poly1305`), and its fixsliced AES-GCM (`simd-aes-128-gcm`, `simd-aes-256-gcm`) and that
//! one's halves, AES-256 counter mode (`simd-aes-256-ctr`) and GHASH (`ghash`), over the same
//! records; then times the public-key operations of a handshake and
//! prints `NAME OPERATIONS NANOS` for an X25519 key exchange (key generation and agreement) and a
//! P-256 ECDSA signature check, with ring (`p256-verify`) and with the variable-time crate of
//! the self-contained component (`p256-verify-vartime`, the digest taken with ring's SHA-256
//! inside the timing).

#![allow(
    clippy::expect_used,
    reason = "a benchmark guest: a failed setup stops it with the reason"
)]

use std::process::ExitCode;
use std::time::Instant;

use ring::aead::{
    AES_128_GCM, AES_256_GCM, Aad, Algorithm, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey,
};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::rand::SystemRandom;
use ring::signature::{self, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// Public-key operations timed per kind.
const OPERATIONS: u32 = 200;

/// The plaintext of a full TLS record.
const RECORD: usize = 16 * 1024;

fn main() -> ExitCode {
    let Some(mib) = std::env::args()
        .nth(1)
        .and_then(|m| m.parse::<usize>().ok())
    else {
        eprintln!("usage: ring-raw MIB");
        return ExitCode::FAILURE;
    };
    for (name, algorithm) in [
        ("chacha20-poly1305", &CHACHA20_POLY1305),
        ("aes-128-gcm", &AES_128_GCM),
        ("aes-256-gcm", &AES_256_GCM),
    ] {
        let nanos = open_records(algorithm, mib * 1024 * 1024 / RECORD);
        println!("{name} {} {nanos}", mib * 1024 * 1024);
    }
    let records = mib * 1024 * 1024 / RECORD;
    for (name, nanos) in [
        ("simd-chacha20-poly1305", simd_open_records(records)),
        ("simd-chacha20", simd_chacha20_records(records)),
        ("poly1305", poly1305_records(records)),
        ("simd-aes-128-gcm", simd_aes_open_records(16, records)),
        ("simd-aes-256-gcm", simd_aes_open_records(32, records)),
        ("simd-aes-256-ctr", simd_aes_ctr_records(records)),
        ("ghash", ghash_records(records)),
    ] {
        println!("{name} {} {nanos}", mib * 1024 * 1024);
    }
    println!("x25519 {OPERATIONS} {}", x25519_exchanges(OPERATIONS));
    println!(
        "p256-verify {OPERATIONS} {}",
        p256_verifications(OPERATIONS, false)
    );
    println!(
        "p256-verify-vartime {OPERATIONS} {}",
        p256_verifications(OPERATIONS, true)
    );
    ExitCode::SUCCESS
}

/// A client's share of `count` X25519 exchanges: a key pair, and agreement with a peer's key.
fn x25519_exchanges(count: u32) -> u128 {
    let rng = SystemRandom::new();
    let peer = EphemeralPrivateKey::generate(&X25519, &rng).expect("key");
    let peer_public = peer.compute_public_key().expect("public key");
    let start = Instant::now();
    for _ in 0..count {
        let ours = EphemeralPrivateKey::generate(&X25519, &rng).expect("key");
        std::hint::black_box(ours.compute_public_key().expect("public key"));
        let theirs = UnparsedPublicKey::new(&X25519, peer_public.as_ref());
        agreement::agree_ephemeral(ours, &theirs, |secret| {
            std::hint::black_box(secret.len());
        })
        .expect("agreement");
    }
    start.elapsed().as_nanos()
}

/// `count` checks of one P-256 ECDSA signature (a CertificateVerify or a certificate's), with
/// ring or with the variable-time crate.
fn p256_verifications(count: u32, vartime: bool) -> u128 {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .expect("key");
    let message = [0x42u8; 130];
    let signed = key.sign(&rng, &message).expect("signature");
    let public =
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, key.public_key());
    let start = Instant::now();
    for _ in 0..count {
        if vartime {
            let digest = ring::digest::digest(&ring::digest::SHA256, &message);
            p256_verify::verify_digest(key.public_key().as_ref(), digest.as_ref(), signed.as_ref())
                .expect("a good signature verifies");
        } else {
            public
                .verify(&message, signed.as_ref())
                .expect("a good signature verifies");
        }
    }
    start.elapsed().as_nanos()
}

/// Opens `records` sealed records of `RECORD` bytes (each copied into place first, as a TLS
/// client copies received records); the nanoseconds it took.
fn open_records(algorithm: &'static Algorithm, records: usize) -> u128 {
    let key_bytes = vec![7u8; algorithm.key_len()];
    let key = LessSafeKey::new(UnboundKey::new(algorithm, &key_bytes).expect("key length"));
    let nonce = || Nonce::assume_unique_for_key([9; 12]);
    let mut sealed = vec![0x5a; RECORD];
    key.seal_in_place_append_tag(nonce(), Aad::empty(), &mut sealed)
        .expect("seal");
    let mut working = sealed.clone();
    let start = Instant::now();
    for _ in 0..records {
        working.copy_from_slice(&sealed);
        let plain = key
            .open_in_place(nonce(), Aad::empty(), &mut working)
            .expect("a record sealed with the same key opens");
        std::hint::black_box(plain);
    }
    start.elapsed().as_nanos()
}

/// [`open_records`] with the SIMD ChaCha20-Poly1305.
fn simd_open_records(records: usize) -> u128 {
    let key = chacha20_poly1305_simd::ChaCha20Poly1305::new(&[7; 32]);
    let mut sealed = vec![0x5a; RECORD];
    let tag = key
        .seal_in_place(&[9; 12], &[], &mut sealed)
        .expect("a record seals");
    let mut working = sealed.clone();
    let start = Instant::now();
    for _ in 0..records {
        working.copy_from_slice(&sealed);
        key.open_in_place(&[9; 12], &[], &mut working, &tag)
            .expect("a record sealed with the same key opens");
        std::hint::black_box(&working);
    }
    start.elapsed().as_nanos()
}

/// The ChaCha20 half of [`simd_open_records`] alone: the keystream XORed into each record.
fn simd_chacha20_records(records: usize) -> u128 {
    let mut working = vec![0x5a; RECORD];
    let start = Instant::now();
    for _ in 0..records {
        chacha20_poly1305_simd::halves::chacha20_xor(&[7; 32], &[9; 12], 1, &mut working);
        std::hint::black_box(&working);
    }
    start.elapsed().as_nanos()
}

/// The Poly1305 half of [`simd_open_records`] alone: a tag over each record.
fn poly1305_records(records: usize) -> u128 {
    let record = vec![0x5a; RECORD];
    let start = Instant::now();
    for _ in 0..records {
        std::hint::black_box(chacha20_poly1305_simd::halves::poly1305(&[7; 32], &record));
    }
    start.elapsed().as_nanos()
}

/// [`open_records`] with the fixsliced AES-GCM of the self-contained component, its key
/// `key_len` bytes.
fn simd_aes_open_records(key_len: usize, records: usize) -> u128 {
    let key = match key_len {
        16 => aes_gcm_simd::AesGcm::new_128(&[7; 16]),
        _ => aes_gcm_simd::AesGcm::new_256(&[7; 32]),
    };
    let mut sealed = vec![0x5a; RECORD];
    let tag = key
        .seal_in_place(&[9; 12], &[], &mut sealed)
        .expect("a record seals");
    let mut working = sealed.clone();
    let start = Instant::now();
    for _ in 0..records {
        working.copy_from_slice(&sealed);
        key.open_in_place(&[9; 12], &[], &mut working, &tag)
            .expect("a record sealed with the same key opens");
        std::hint::black_box(&working);
    }
    start.elapsed().as_nanos()
}

/// The AES-256 counter-mode half of [`simd_aes_open_records`] alone.
fn simd_aes_ctr_records(records: usize) -> u128 {
    let mut working = vec![0x5a; RECORD];
    let start = Instant::now();
    for _ in 0..records {
        aes_gcm_simd::halves::aes_256_ctr_xor(&[7; 32], &[9; 12], &mut working);
        std::hint::black_box(&working);
    }
    start.elapsed().as_nanos()
}

/// The GHASH half of [`simd_aes_open_records`] alone.
fn ghash_records(records: usize) -> u128 {
    let record = vec![0x5a; RECORD];
    let start = Instant::now();
    for _ in 0..records {
        std::hint::black_box(aes_gcm_simd::halves::ghash(&[7; 16], &record));
    }
    start.elapsed().as_nanos()
}
