//! The content decoder chain: a fuzzed body in a fuzzed coding (gzip or deflate), cut into
//! pieces of fuzzed sizes, read in pieces of a fuzzed size under a fuzzed decoded-size limit.
//! Must never panic; no piece is longer than asked for; nothing beyond the limit is delivered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verified_https::error::Error;
use verified_https::http1::content::{ContentCoding, Decoded, DecodedBody};

fuzz_target!(|data: &[u8]| {
    let [coding, piece, read, limit, body @ ..] = data else { return };
    let coding = if coding & 1 == 0 { ContentCoding::Gzip } else { ContentCoding::Deflate };
    let piece = usize::from(*piece).max(1);
    let read = usize::from(*read).max(1) * 64;
    let limit = (limit & 0x80 != 0).then(|| u64::from(limit & 0x7f) * 1024);
    let mut decoder = DecodedBody::new(coding, limit);
    let mut pieces = body.chunks(piece).map(<[u8]>::to_vec);
    let mut delivered = 0u64;
    loop {
        match decoder.decode(read) {
            Ok(Decoded::NeedsCoded) => decoder.push_coded(pieces.next().as_deref()),
            Ok(Decoded::Bytes(out)) => {
                assert!(!out.is_empty() && out.len() <= read);
                delivered += out.len() as u64;
                if let Some(limit) = limit {
                    assert!(delivered <= limit, "{delivered} > {limit}");
                }
            }
            Ok(Decoded::Complete) => break,
            Err(Error::ContentDecoding(_) | Error::BodyTooLarge(_)) => break,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
});
