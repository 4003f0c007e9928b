//! The ceiling of bulk transfer inside wasm: ring's AEADs opening TLS-sized records with no TLS,
//! HTTP or I/O around them. `ring-raw MIB` opens MIB MiB of 16 KiB records with each AEAD and
//! prints one line per AEAD: `NAME BYTES NANOS`.

use std::process::ExitCode;
use std::time::Instant;

use ring::aead::{AES_128_GCM, Aad, Algorithm, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

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
    ] {
        let nanos = open_records(algorithm, mib * 1024 * 1024 / RECORD);
        println!("{name} {} {nanos}", mib * 1024 * 1024);
    }
    ExitCode::SUCCESS
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
