//! Content coding (RFC 9110 8.4), a layer above transfer framing: which codings a response's
//! body is decoded from, and the decoders, sans-IO. Each decoder takes compressed bytes as they
//! arrive and gives at most as many decoded bytes as asked for, so a decompression bomb costs
//! no more memory than an ordinary body, and the body limit counts decoded bytes.

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use super::head::ResponseHead;
use crate::error::{Error, Result};

/// A content coding this client decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentCoding {
    /// gzip (RFC 1952).
    Gzip,
    /// deflate: a zlib stream (RFC 1950), or a raw deflate stream as some servers send.
    Deflate,
}

impl ContentCoding {
    /// Every coding this build decodes, in the order `Accept-Encoding` lists them.
    pub const SUPPORTED: [ContentCoding; 2] = [ContentCoding::Gzip, ContentCoding::Deflate];

    /// The coding's token, as in `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            ContentCoding::Gzip => "gzip",
            ContentCoding::Deflate => "deflate",
        }
    }

    /// The coding a token names (`x-gzip` is gzip, RFC 9110 8.4.1.3).
    fn from_token(token: &str) -> Option<Self> {
        let token = token.trim();
        if token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip") {
            Some(ContentCoding::Gzip)
        } else if token.eq_ignore_ascii_case("deflate") {
            Some(ContentCoding::Deflate)
        } else {
            None
        }
    }
}

/// The `Accept-Encoding` value that asks for `codings`.
pub fn accept_encoding(codings: &[ContentCoding]) -> String {
    let tokens: Vec<&str> = codings.iter().map(|c| c.token()).collect();
    tokens.join(", ")
}

/// The coding to undo on `head`'s body, if the client `accepted` codings: one the
/// `Content-Encoding` names alone (`identity` aside) and that was asked for. A body in any
/// other coding (none, unknown, unasked, or several stacked) is delivered as sent.
pub fn coding_to_undo(head: &ResponseHead, accepted: &[ContentCoding]) -> Option<ContentCoding> {
    let mut tokens = head
        .values("content-encoding")
        .flat_map(|value| value.split(|&b| b == b','))
        .map(|token| String::from_utf8_lossy(token).trim().to_owned())
        .filter(|token| !token.is_empty() && !token.eq_ignore_ascii_case("identity"));
    let only = tokens.next()?;
    if tokens.next().is_some() {
        return None;
    }
    ContentCoding::from_token(&only).filter(|coding| accepted.contains(coding))
}

/// A content decoder: compressed bytes in, decoded bytes out, as they arrive.
pub struct ContentDecoder {
    coding: ContentCoding,
    stage: Stage,
    /// Whether any compressed byte has arrived (an empty body is not a truncated stream).
    started: bool,
}

/// Where a decoder is in its stream.
enum Stage {
    /// Waiting for a whole gzip member header.
    GzipHeader,
    /// Inflating; for gzip, with the running CRC-32 and size of the member's data.
    Inflating {
        state: Box<InflateState>,
        crc: u32,
        size: u32,
    },
    /// Waiting for a gzip member's 8-byte trailer (CRC-32 and size) to check it.
    GzipTrailer { crc: u32, size: u32 },
    /// The stream is complete; for gzip another member may follow.
    Done,
}

/// The longest gzip header accepted (its optional name, comment and extra field included).
const MAX_GZIP_HEADER: usize = 64 * 1024;

impl ContentDecoder {
    /// A decoder for `coding`.
    pub fn new(coding: ContentCoding) -> Self {
        ContentDecoder {
            coding,
            stage: Stage::GzipHeader,
            started: false,
        }
    }

    /// The coding it undoes.
    pub fn coding(&self) -> ContentCoding {
        self.coding
    }

    /// Decodes from the start of `input`, appending at most `max` (at least 1) bytes to `out`;
    /// returns how many input bytes it used. It uses none when it needs more input than
    /// `input` holds to go on (a header or trailer in pieces): the caller appends the next
    /// bytes to the unused ones and calls again.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, max: usize) -> Result<usize> {
        let mut used = 0;
        // Inflating goes on without input too: the inflater may hold decoded bytes back.
        while out.len() < max
            && (used < input.len() || matches!(self.stage, Stage::Inflating { .. }))
        {
            let rest = &input[used..];
            self.started = true;
            let step = match &mut self.stage {
                Stage::GzipHeader if self.coding == ContentCoding::Gzip => {
                    let Some(len) = gzip_header_len(rest)? else {
                        break;
                    };
                    self.stage = Stage::Inflating {
                        state: InflateState::new_boxed(DataFormat::Raw),
                        crc: 0,
                        size: 0,
                    };
                    len
                }
                Stage::GzipHeader => {
                    // deflate: zlib as RFC 9110 says, or raw deflate, told apart by the
                    // zlib header's check bits (RFC 1950 2.2), as browsers and curl do.
                    if rest.len() < 2 {
                        break;
                    }
                    let zlib = rest[0] & 0x0f == 8
                        && u16::from_be_bytes([rest[0], rest[1]]).is_multiple_of(31);
                    let format = if zlib {
                        DataFormat::Zlib
                    } else {
                        DataFormat::Raw
                    };
                    self.stage = Stage::Inflating {
                        state: InflateState::new_boxed(format),
                        crc: 0,
                        size: 0,
                    };
                    0
                }
                Stage::Inflating { state, crc, size } => {
                    let start = out.len();
                    out.resize(max, 0);
                    let result = inflate(state, rest, &mut out[start..], MZFlush::None);
                    out.truncate(start + result.bytes_written);
                    let produced = &out[start..];
                    if self.coding == ContentCoding::Gzip {
                        *crc = crc32(*crc, produced);
                        *size = size.wrapping_add(produced.len() as u32);
                    }
                    match result.status {
                        Ok(MZStatus::StreamEnd) if self.coding == ContentCoding::Gzip => {
                            self.stage = Stage::GzipTrailer {
                                crc: *crc,
                                size: *size,
                            };
                        }
                        Ok(MZStatus::StreamEnd) => self.stage = Stage::Done,
                        Ok(_) => {}
                        // No progress possible with this input: more must come.
                        Err(MZError::Buf) => {}
                        Err(_) => return Err(corrupt(self.coding, "invalid deflate data")),
                    }
                    if result.bytes_consumed == 0 && result.bytes_written == 0 {
                        break;
                    }
                    result.bytes_consumed
                }
                Stage::GzipTrailer { crc, size } => {
                    if rest.len() < 8 {
                        break;
                    }
                    let crc_sent = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
                    let size_sent = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
                    if crc_sent != *crc {
                        return Err(corrupt(self.coding, "CRC-32 mismatch"));
                    }
                    if size_sent != *size {
                        return Err(corrupt(self.coding, "length mismatch"));
                    }
                    self.stage = Stage::Done;
                    8
                }
                // RFC 1952 2.2: a gzip file is a series of members.
                Stage::Done if self.coding == ContentCoding::Gzip => {
                    self.stage = Stage::GzipHeader;
                    0
                }
                Stage::Done => {
                    return Err(corrupt(
                        self.coding,
                        &format!("{} bytes after the end of the stream", rest.len()),
                    ));
                }
            };
            used += step;
        }
        if self.coding == ContentCoding::Gzip
            && matches!(self.stage, Stage::GzipHeader)
            && input.len() - used > MAX_GZIP_HEADER
        {
            return Err(corrupt(self.coding, "gzip header too long"));
        }
        Ok(used)
    }

    /// The compressed body has ended: it must end with a complete stream (or be empty).
    pub fn finish(&self) -> Result<()> {
        match self.stage {
            _ if !self.started => Ok(()),
            Stage::Done => Ok(()),
            _ => Err(corrupt(self.coding, "the compressed stream ends early")),
        }
    }
}

fn corrupt(coding: ContentCoding, why: &str) -> Error {
    Error::ContentDecoding(format!("{}: {why}", coding.token()))
}

/// The length of the gzip member header (RFC 1952 2.3) at the start of `input`, or `None` if
/// it continues beyond `input`.
fn gzip_header_len(input: &[u8]) -> Result<Option<usize>> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    let bad = |why: &str| Err(corrupt(ContentCoding::Gzip, why));
    if input.len() >= 2 && input[..2] != [0x1f, 0x8b] {
        return bad("not a gzip stream (bad magic bytes)");
    }
    if input.len() < 10 {
        return Ok(None);
    }
    if input[2] != 8 {
        return bad("unknown compression method");
    }
    let flags = input[3];
    if flags & 0xe0 != 0 {
        return bad("reserved header flags set");
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = input.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(end) = input
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
            else {
                return Ok(None);
            };
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((at <= input.len()).then_some(at))
}

/// CRC-32 (ISO-HDLC, as gzip uses) of `data`, continuing from `crc`. A 1 KiB table, built at
/// compile time: the component's size budget has no room for a crate's 16 KiB of tables.
fn crc32(crc: u32, data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut c = n as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[n] = c;
            n += 1;
        }
        table
    };
    let mut c = !crc;
    for &b in data {
        c = TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// A decoded body over a source of compressed pieces: what the pump reads when a coding is
/// undone. It keeps the compressed bytes not yet decoded, and counts decoded bytes against
/// the body limit.
pub struct DecodedBody {
    decoder: ContentDecoder,
    coded: Vec<u8>,
    start: usize,
    decoded: u64,
    limit: Option<u64>,
    coded_done: bool,
}

impl DecodedBody {
    /// Decodes a body in `coding`, failing once it exceeds `limit` decoded bytes.
    pub fn new(coding: ContentCoding, limit: Option<u64>) -> Self {
        DecodedBody {
            decoder: ContentDecoder::new(coding),
            coded: Vec::new(),
            start: 0,
            decoded: 0,
            limit,
            coded_done: false,
        }
    }

    /// The coding undone.
    pub fn coding(&self) -> ContentCoding {
        self.decoder.coding()
    }

    /// Decodes at most `max` bytes from the compressed bytes given so far
    /// ([`DecodedBody::push_coded`]): some bytes, the end of the decoded body, or the need
    /// for more compressed bytes.
    pub fn decode(&mut self, max: usize) -> Result<Decoded> {
        let max = max.max(1);
        loop {
            let allowance = self.limit.map(|limit| limit - self.decoded);
            let ask = allowance.map_or(max, |left| {
                max.min(usize::try_from(left + 1).unwrap_or(max))
            });
            let mut out = Vec::new();
            let used = self
                .decoder
                .decode(&self.coded[self.start..], &mut out, ask)?;
            self.start += used;
            if self.start == self.coded.len() {
                self.coded.clear();
                self.start = 0;
            }
            if !out.is_empty() {
                if let (Some(limit), Some(left)) = (self.limit, allowance)
                    && out.len() as u64 > left
                {
                    return Err(Error::BodyTooLarge(limit));
                }
                self.decoded += out.len() as u64;
                return Ok(Decoded::Bytes(out));
            }
            if used > 0 {
                continue;
            }
            if self.coded_done {
                self.decoder.finish()?;
                if self.start < self.coded.len() {
                    return Err(Error::ContentDecoding(format!(
                        "{}: the compressed stream ends early",
                        self.coding().token()
                    )));
                }
                return Ok(Decoded::Complete);
            }
            return Ok(Decoded::NeedsCoded);
        }
    }

    /// Gives the next piece of the compressed body, or (`None`) its end.
    pub fn push_coded(&mut self, piece: Option<&[u8]>) {
        match piece {
            Some(piece) => self.coded.extend_from_slice(piece),
            None => self.coded_done = true,
        }
    }
}

/// What one [`DecodedBody::decode`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Decoded bytes.
    Bytes(Vec<u8>),
    /// The decoded body is complete.
    Complete,
    /// More compressed bytes are needed first.
    NeedsCoded,
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};

    impl DecodedBody {
        /// Reads at most `max` decoded bytes, taking compressed pieces from `next_coded`
        /// (`None` once the compressed body is complete), as the pump does.
        fn read(
            &mut self,
            max: usize,
            mut next_coded: impl FnMut() -> Result<Option<Vec<u8>>>,
        ) -> Result<Option<Vec<u8>>> {
            loop {
                match self.decode(max)? {
                    Decoded::Bytes(out) => return Ok(Some(out)),
                    Decoded::Complete => return Ok(None),
                    Decoded::NeedsCoded => self.push_coded(next_coded()?.as_deref()),
                }
            }
        }
    }

    /// A gzip member of `data` with the given header flags' fields.
    fn gzip(data: &[u8], name: Option<&[u8]>) -> Vec<u8> {
        let mut out = vec![
            0x1f,
            0x8b,
            8,
            if name.is_some() { 0x08 } else { 0 },
            0,
            0,
            0,
            0,
            0,
            3,
        ];
        if let Some(name) = name {
            out.extend_from_slice(name);
            out.push(0);
        }
        out.extend_from_slice(&compress_to_vec(data, 6));
        out.extend_from_slice(&crc32(0, data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    /// Decodes `coded` fed in pieces of `piece` bytes, reading at most `max` at a time.
    fn decode_in_pieces(
        coding: ContentCoding,
        coded: &[u8],
        piece: usize,
        max: usize,
        limit: Option<u64>,
    ) -> Result<Vec<u8>> {
        let mut body = DecodedBody::new(coding, limit);
        let mut pieces = coded.chunks(piece).map(<[u8]>::to_vec);
        let mut decoded = Vec::new();
        while let Some(out) = body.read(max, || Ok(pieces.next()))? {
            assert!(out.len() <= max);
            decoded.extend_from_slice(&out);
        }
        Ok(decoded)
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(crc32(0, b"1234"), b"56789"), 0xcbf4_3926);
    }

    #[test]
    fn gzip_decodes_byte_identical_in_any_piece_size_with_a_named_header() {
        let data = sample();
        let coded = gzip(&data, Some(b"file.bin"));
        for (piece, max) in [(1, 7), (3, 1000), (4096, 16 * 1024), (coded.len(), 1 << 20)] {
            let out = decode_in_pieces(ContentCoding::Gzip, &coded, piece, max, None).unwrap();
            assert_eq!(out, data, "pieces of {piece}");
        }
    }

    #[test]
    fn concatenated_gzip_members_are_one_body() {
        let mut coded = gzip(b"hello, ", None);
        coded.extend(gzip(b"world", None));
        let out = decode_in_pieces(ContentCoding::Gzip, &coded, 5, 64, None).unwrap();
        assert_eq!(out, b"hello, world");
    }

    #[test]
    fn deflate_takes_zlib_and_raw_streams() {
        let data = sample();
        for coded in [compress_to_vec_zlib(&data, 6), compress_to_vec(&data, 6)] {
            let out = decode_in_pieces(ContentCoding::Deflate, &coded, 1000, 4096, None).unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn corrupt_and_truncated_streams_are_their_own_errors() {
        let data = sample();
        let coded = gzip(&data, None);
        let mut bad_crc = coded.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 1;
        let mut bad_data = coded.clone();
        bad_data[20] ^= 0xff;
        let cases: [(&str, &[u8]); 5] = [
            ("CRC-32 mismatch", &bad_crc),
            ("ends early", &coded[..coded.len() - 3]),
            ("ends early", &coded[..coded.len() / 2]),
            ("bad magic", b"not gzip at all"),
            ("", &bad_data),
        ];
        for (why, coded) in cases {
            let err = decode_in_pieces(ContentCoding::Gzip, coded, 512, 4096, None).unwrap_err();
            assert!(
                matches!(&err, Error::ContentDecoding(text) if text.contains(why)),
                "{why}: {err:?}"
            );
        }
        let mut trailing = compress_to_vec_zlib(b"abc", 6);
        trailing.extend_from_slice(b"junk");
        let err = decode_in_pieces(ContentCoding::Deflate, &trailing, 512, 64, None).unwrap_err();
        assert!(matches!(err, Error::ContentDecoding(text) if text.contains("after the end")));
    }

    #[test]
    fn a_bomb_stops_at_the_limit_with_the_body_size_error_and_bounded_pieces() {
        let zeros = vec![0u8; 64 << 20];
        let coded = gzip(&zeros, None);
        assert!(coded.len() < 100_000, "{}", coded.len());
        let mut body = DecodedBody::new(ContentCoding::Gzip, Some(1 << 20));
        let mut pieces = coded.chunks(16 * 1024).map(<[u8]>::to_vec);
        let mut delivered = 0;
        let err = loop {
            match body.read(64 * 1024, || Ok(pieces.next())) {
                Ok(Some(out)) => delivered += out.len(),
                Ok(None) => panic!("the whole bomb was delivered"),
                Err(err) => break err,
            }
        };
        assert_eq!(err, Error::BodyTooLarge(1 << 20));
        assert!(delivered <= 1 << 20);
        // Exactly at the limit is fine.
        let out = decode_in_pieces(
            ContentCoding::Gzip,
            &gzip(&[7; 1000], None),
            100,
            64,
            Some(1000),
        );
        assert_eq!(out.unwrap().len(), 1000);
    }

    #[test]
    fn an_empty_body_is_not_a_truncated_stream() {
        let out = decode_in_pieces(ContentCoding::Gzip, b"", 1, 64, None).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn only_a_single_asked_for_coding_is_undone() {
        let head = |value: &str| ResponseHead {
            status: 200,
            reason: "OK".into(),
            headers: vec![("Content-Encoding".into(), value.as_bytes().to_vec())],
            http10: false,
        };
        let all = ContentCoding::SUPPORTED;
        assert_eq!(
            coding_to_undo(&head("gzip"), &all),
            Some(ContentCoding::Gzip)
        );
        assert_eq!(
            coding_to_undo(&head(" X-Gzip "), &all),
            Some(ContentCoding::Gzip)
        );
        assert_eq!(
            coding_to_undo(&head("identity, deflate"), &all),
            Some(ContentCoding::Deflate)
        );
        assert_eq!(
            coding_to_undo(&head("gzip"), &[ContentCoding::Deflate]),
            None
        );
        assert_eq!(coding_to_undo(&head("gzip, deflate"), &all), None);
        assert_eq!(coding_to_undo(&head("compress"), &all), None);
        assert_eq!(accept_encoding(&all), "gzip, deflate");
    }
}
