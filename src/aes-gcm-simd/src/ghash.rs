//! GHASH (NIST SP 800-38D section 6.4) in constant time, with no table: carry-less
//! multiplication by integer multiplications of operands with holes (BearSSL's
//! `ghash_ctmul64`, Thomas Pornin, MIT licence), which wasm32 runs as native `i64.mul`s.
//!
//! It computes GHASH as POLYVAL does (RFC 8452 appendix A: byte-reversed blocks and `H`
//! multiplied by `x`), the little-endian form in which the reduction needs no extra shift;
//! the multiplication is RustCrypto's `polyval` 0.6.2 `soft64` backend (Apache-2.0 or MIT),
//! itself BearSSL's.

/// An element of POLYVAL's field: the low and high 64 bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Element(u64, u64);

impl Element {
    /// The POLYVAL element of a GHASH block (its bytes reversed).
    #[inline(always)]
    fn from_ghash_block(block: &[u8; 16]) -> Self {
        let (high, low) = block.split_at(8);
        Element(be_u64(low), be_u64(high))
    }

    /// The GHASH block of a POLYVAL element.
    fn to_ghash_block(self) -> [u8; 16] {
        let mut block = [0u8; 16];
        block[..8].copy_from_slice(&self.1.to_be_bytes());
        block[8..].copy_from_slice(&self.0.to_be_bytes());
        block
    }

    /// The element times `x` (RFC 8452's `mulX_POLYVAL`).
    fn times_x(self) -> Self {
        let v = (u128::from(self.1) << 64) | u128::from(self.0);
        let top = v >> 127;
        let v = (v << 1) ^ top ^ (top << 127) ^ (top << 126) ^ (top << 121);
        Element(v as u64, (v >> 64) as u64)
    }

    /// The sum of two elements.
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        Element(self.0 ^ other.0, self.1 ^ other.1)
    }

    /// The product of two elements in POLYVAL's field (Karatsuba over three 64-bit carry-less
    /// products, their high halves from the bit-reversed operands; then the reduction).
    #[inline(always)]
    fn times(self, h: Self) -> Self {
        let (h0, h1) = (h.0, h.1);
        let (h0r, h1r) = (rev64(h0), rev64(h1));
        let (h2, h2r) = (h0 ^ h1, h0r ^ h1r);

        let (y0, y1) = (self.0, self.1);
        let (y0r, y1r) = (rev64(y0), rev64(y1));
        let (y2, y2r) = (y0 ^ y1, y0r ^ y1r);

        let z0 = bmul64(y0, h0);
        let z1 = bmul64(y1, h1);
        let mut z2 = bmul64(y2, h2);
        let mut z0h = bmul64(y0r, h0r);
        let mut z1h = bmul64(y1r, h1r);
        let mut z2h = bmul64(y2r, h2r);

        z2 ^= z0 ^ z1;
        z2h ^= z0h ^ z1h;
        z0h = rev64(z0h) >> 1;
        z1h = rev64(z1h) >> 1;
        z2h = rev64(z2h) >> 1;

        let v0 = z0;
        let mut v1 = z0h ^ z2;
        let mut v2 = z1 ^ z2h;
        let mut v3 = z1h;

        v2 ^= v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
        v1 ^= (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
        v3 ^= v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
        v2 ^= (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);

        Element(v2, v3)
    }
}

/// A big-endian `u64` from eight bytes.
#[inline(always)]
fn be_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_be_bytes(word)
}

/// Carry-less multiplication of `x` and `y`, truncated to the low 64 bits: four integer
/// multiplications of each operand's bits 4 apart, so carries fall into the holes between
/// them and are masked off.
#[inline(always)]
fn bmul64(x: u64, y: u64) -> u64 {
    const M0: u64 = 0x1111_1111_1111_1111;
    const M1: u64 = 0x2222_2222_2222_2222;
    const M2: u64 = 0x4444_4444_4444_4444;
    const M3: u64 = 0x8888_8888_8888_8888;
    let (x0, x1, x2, x3) = (x & M0, x & M1, x & M2, x & M3);
    let (y0, y1, y2, y3) = (y & M0, y & M1, y & M2, y & M3);
    let m = u64::wrapping_mul;
    let z0 = m(x0, y0) ^ m(x1, y3) ^ m(x2, y2) ^ m(x3, y1);
    let z1 = m(x0, y1) ^ m(x1, y0) ^ m(x2, y3) ^ m(x3, y2);
    let z2 = m(x0, y2) ^ m(x1, y1) ^ m(x2, y0) ^ m(x3, y3);
    let z3 = m(x0, y3) ^ m(x1, y2) ^ m(x2, y1) ^ m(x3, y0);
    (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3)
}

/// `x` with its bits in reverse order.
#[inline(always)]
fn rev64(x: u64) -> u64 {
    x.reverse_bits()
}

/// GHASH under one hash key `H`, over blocks fed in order.
#[derive(Clone)]
pub(crate) struct Ghash {
    /// `H` in POLYVAL's form.
    h: Element,
    /// The running hash.
    accumulator: Element,
}

impl Ghash {
    /// GHASH keyed by `h` (`E(K, 0^128)`), with nothing hashed yet.
    pub(crate) fn new(h: &[u8; 16]) -> Self {
        Ghash {
            h: Element::from_ghash_block(h).times_x(),
            accumulator: Element::default(),
        }
    }

    /// Hashes `data`, its last block padded with zeros to 16 bytes.
    pub(crate) fn update_padded(&mut self, data: &[u8]) {
        let mut blocks = data.chunks_exact(16);
        for block in &mut blocks {
            let block: &[u8; 16] = block.try_into().unwrap_or_else(|_| unreachable!());
            self.update_block(block);
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut block = [0u8; 16];
            block[..tail.len()].copy_from_slice(tail);
            self.update_block(&block);
        }
    }

    /// Hashes one block.
    #[inline(always)]
    pub(crate) fn update_block(&mut self, block: &[u8; 16]) {
        self.accumulator = self
            .accumulator
            .plus(Element::from_ghash_block(block))
            .times(self.h);
    }

    /// The hash of everything fed.
    pub(crate) fn finalize(self) -> [u8; 16] {
        self.accumulator.to_ghash_block()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::hex;

    /// GCM specification (McGrew and Viega), test case 2: `H` and GHASH of one ciphertext
    /// block and the lengths.
    #[test]
    fn ghash_gives_the_gcm_specification_s_test_case_2() {
        let h: [u8; 16] = hex("66e94bd4ef8a2c3b884cfa59ca342b2e").try_into().unwrap();
        let mut ghash = Ghash::new(&h);
        ghash.update_padded(&hex("0388dace60b6a392f328c2b971b2fe78"));
        ghash.update_padded(&hex("00000000000000000000000000000080"));
        assert_eq!(
            ghash.finalize().to_vec(),
            hex("f38cbb1ad69223dcc3457ae5b6b0f885")
        );
    }

    /// RFC 8452 appendix A's `mulX_POLYVAL` example (as corrected by its erratum).
    #[test]
    fn times_x_gives_rfc_8452_s_example() {
        let le = |bytes: &[u8]| {
            Element(
                u64::from_le_bytes(bytes[..8].try_into().unwrap()),
                u64::from_le_bytes(bytes[8..].try_into().unwrap()),
            )
        };
        let input = le(&hex("9c98c04df9387ded828175a92ba652d8"));
        let expected = le(&hex("3931819bf271fada0503eb52574ca572"));
        assert_eq!(input.times_x(), expected);
    }
}
