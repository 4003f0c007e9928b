//! A whole response stream: head (interim responses skipped), framing, body in pieces of a
//! fuzzed size. Must never panic; a decoded Content-Length body is never longer than declared.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verified_https::http1::framing::BodyDecoder;
use verified_https::limits::Limits;
use verified_https::http1::head::{BodyFraming, HeadReader};

fuzz_target!(|data: &[u8]| {
    let Some((&read_size, stream)) = data.split_first() else { return };
    let mut received = stream.to_vec();
    let limits = Limits::default();
    let Ok(Some((_, framing))) = HeadReader::default().take_final_head(&mut received, false, &limits) else { return };
    let Ok(mut decoder) = BodyDecoder::new(framing, &limits) else { return };
    let mut body = Vec::new();
    let mut rest = received.as_slice();
    while !rest.is_empty() && !decoder.is_complete() {
        match decoder.decode(rest, &mut body, usize::from(read_size).max(1)) {
            Ok(0) => break,
            Ok(used) => rest = &rest[used..],
            Err(_) => return,
        }
    }
    if let BodyFraming::ContentLength(len) = framing {
        assert!(body.len() as u64 <= len);
    }
    let _ = decoder.finish(true);
});
