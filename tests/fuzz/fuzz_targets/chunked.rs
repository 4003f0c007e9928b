//! The chunked decoder fed in two arbitrary pieces must give the same answer as fed whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verified_https::http1::framing::BodyDecoder;
use verified_https::limits::Limits;
use verified_https::http1::head::BodyFraming;

fn decode(pieces: &[&[u8]]) -> Option<(Vec<u8>, bool)> {
    let mut decoder = BodyDecoder::new(BodyFraming::Chunked, &Limits::default()).ok()?;
    let mut body = Vec::new();
    for piece in pieces {
        let mut rest = *piece;
        while !rest.is_empty() && !decoder.is_complete() {
            let used = decoder.decode(rest, &mut body, 7).ok()?;
            if used == 0 {
                break;
            }
            rest = &rest[used..];
        }
    }
    Some((body, decoder.is_complete()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, wire)) = data.split_first() else { return };
    let at = usize::from(split).min(wire.len());
    let whole = decode(&[wire]);
    let split_up = decode(&[&wire[..at], &wire[at..]]);
    assert_eq!(whole, split_up);
});
