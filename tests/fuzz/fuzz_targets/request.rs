//! URL parsing and request serialization: never panic, and a serialized request never carries
//! a CR or LF inside its request line or a header line (no injection).
#![no_main]

use libfuzzer_sys::fuzz_target;
use verified_https::http1::{Body, Request};
use verified_https::target::Target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{0}');
    let (Some(url), Some(method), Some(name), Some(value)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Ok(target) = Target::parse(url) else { return };
    let request = Request {
        method: method.to_owned(),
        headers: vec![(name.to_owned(), value.as_bytes().to_vec())],
        body: Body::Empty,
        accept_encoding: None,
    };
    let Ok(bytes) = request.encode(&target) else { return };
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a head ends with CRLFCRLF");
    // The head's lines, each with its CRLF (the last one's CRLF starts the blank line).
    for line in bytes[..head_end + 2].split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").expect("split at LF");
        let line = line.strip_suffix(b"\r").expect("every line ends with CRLF");
        assert!(!line.contains(&b'\r'), "a CR inside a line");
    }
});
