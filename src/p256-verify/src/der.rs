//! The DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, parsed as strictly as
//! ring parses it (its `der` module): a low tag number, a length in the shortest form of at
//! most two bytes, minimal positive integers, nothing after either.

/// r and s as 32-byte big-endian integers, if the signature is well formed and each is
/// positive and at most 32 bytes long (the range `1..n` is checked by the caller).
pub(crate) fn parse_signature(der: &[u8]) -> Option<([u8; 32], [u8; 32])> {
    let (contents, rest) = read_tlv(der, SEQUENCE)?;
    if !rest.is_empty() {
        return None;
    }
    let (r, rest) = positive_integer(contents)?;
    let (s, rest) = positive_integer(rest)?;
    rest.is_empty().then_some((r, s))
}

/// The tag of a SEQUENCE (constructed).
const SEQUENCE: u8 = 0x30;
/// The tag of an INTEGER.
const INTEGER: u8 = 0x02;

/// The contents of the element with tag `expected` at the start of `input`, and what follows.
fn read_tlv(input: &[u8], expected: u8) -> Option<(&[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    // High tag numbers are not DER that ring reads.
    if tag & 0x1f == 0x1f || tag != expected {
        return None;
    }
    let (&first, input) = input.split_first()?;
    let (length, input) = match first {
        short if short < 0x80 => (usize::from(short), input),
        0x81 => {
            let (&length, input) = input.split_first()?;
            // Shorter than 128 would fit the short form.
            (length >= 0x80).then_some((usize::from(length), input))?
        }
        0x82 => {
            let (length, input) = input.split_at_checked(2)?;
            let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
            (length >= 0x100).then_some((length, input))?
        }
        _ => return None,
    };
    input.split_at_checked(length)
}

/// A positive INTEGER of at most 32 bytes (without its sign byte), left-padded, and what
/// follows it.
fn positive_integer(input: &[u8]) -> Option<([u8; 32], &[u8])> {
    let (value, rest) = read_tlv(input, INTEGER)?;
    let magnitude = match value {
        [] => return None,
        // Zero is not positive.
        [0] => return None,
        // A leading zero only to keep the next byte's top bit from reading as a sign.
        [0, next, ..] if next & 0x80 == 0 => return None,
        [0, tail @ ..] => tail,
        // Negative.
        [first, ..] if first & 0x80 != 0 => return None,
        whole => whole,
    };
    if magnitude.len() > 32 {
        return None;
    }
    let mut padded = [0u8; 32];
    padded[32 - magnitude.len()..].copy_from_slice(magnitude);
    Some((padded, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_signature_parses_and_every_laxer_encoding_is_refused() {
        let mut expected_r = [0u8; 32];
        expected_r[31] = 1;
        let mut expected_s = [0u8; 32];
        expected_s[31] = 0x80;
        let good = [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80];
        assert_eq!(parse_signature(&good), Some((expected_r, expected_s)));
        for bad in [
            // Trailing byte after the sequence, and inside it.
            &[0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80, 0x00][..],
            &[0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80, 0x00],
            // A long-form length that fits the short form.
            &[0x30, 0x81, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80],
            // s = 0x80 without its sign byte (negative), with a redundant zero, zero, empty.
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x80],
            &[0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x03, 0x00, 0x00, 0x80],
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00],
            &[0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x00],
            // A wrong tag, a length past the end, an indefinite length.
            &[0x31, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80],
            &[0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80],
            &[
                0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80, 0x00, 0x00,
            ],
        ] {
            assert_eq!(parse_signature(bad), None, "{bad:02x?}");
        }
        // 33 bytes of magnitude.
        let mut long = vec![0x30, 38, 0x02, 33];
        long.extend([0x01; 33]);
        long.extend([0x02, 0x01, 0x01]);
        assert_eq!(parse_signature(&long), None);
    }
}
