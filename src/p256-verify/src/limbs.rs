//! 256-bit unsigned integers as eight little-endian 32-bit limbs: the conversions, comparisons
//! and small steps that the scalars' inversion, their wNAF and the range checks need.

/// The limbs of a 32-byte big-endian integer.
pub(crate) fn from_be_bytes(bytes: &[u8; 32]) -> [u32; 8] {
    let mut limbs = [0u32; 8];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let at = 28 - 4 * i;
        *limb = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    }
    limbs
}

/// Whether `a < b`.
pub(crate) const fn less_than(a: &[u32; 8], b: &[u32; 8]) -> bool {
    let mut i = 8;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// Whether `a == b`.
pub(crate) const fn equal(a: &[u32; 8], b: &[u32; 8]) -> bool {
    let mut i = 0;
    while i < 8 {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `a == 0`.
pub(crate) const fn is_zero(a: &[u32; 8]) -> bool {
    equal(a, &[0; 8])
}

/// `a + b` and the carry out of the top limb.
pub(crate) const fn add(a: &[u32; 8], b: &[u32; 8]) -> ([u32; 8], bool) {
    let mut out = [0u32; 8];
    let mut carry = 0u64;
    let mut i = 0;
    while i < 8 {
        let sum = a[i] as u64 + b[i] as u64 + carry;
        out[i] = sum as u32;
        carry = sum >> 32;
        i += 1;
    }
    (out, carry != 0)
}

/// `a - b` and whether it borrowed (`a < b`).
pub(crate) const fn sub(a: &[u32; 8], b: &[u32; 8]) -> ([u32; 8], bool) {
    let mut out = [0u32; 8];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < 8 {
        let difference = (a[i] as u64).wrapping_sub(b[i] as u64 + borrow);
        out[i] = difference as u32;
        borrow = (difference >> 63) & 1;
        i += 1;
    }
    (out, borrow != 0)
}

/// `a - small`, for `a >= small`.
pub(crate) const fn sub_small(a: &[u32; 8], small: u32) -> [u32; 8] {
    let mut b = [0u32; 8];
    b[0] = small;
    sub(a, &b).0
}

/// `(carry·2^256 + a) / 2`.
pub(crate) const fn shift_right_one(a: &[u32; 8], carry: bool) -> [u32; 8] {
    let mut out = [0u32; 8];
    let mut i = 0;
    while i < 8 {
        let high = if i == 7 { carry as u32 } else { a[i + 1] & 1 };
        out[i] = (a[i] >> 1) | (high << 31);
        i += 1;
    }
    out
}
