//! P-256 ECDSA signature verification (FIPS 186-5 section 6.4.2) for the verified-https
//! component, in variable time: every input of a verification — the public key, the signed
//! digest, the signature — is public, so the computation may branch and index on them, as
//! BoringSSL's `ec_GFp_mont_mul_public` does. This crate never touches a secret and must
//! not be used with one: it has no signing and no key agreement.
//!
//! Inside wasm ring computes `u1·G` and `u2·Q` as two constant-time multiplications and then
//! inverts Z in the field. Here:
//! - `u1·G + u2·Q` is one interleaved wNAF multiplication (Shamir/Straus): one chain of 256
//!   doublings shared by both scalars, `u2` in width-5 wNAF over Q, 3Q, …, 15Q (computed per
//!   verification, Jacobian), `u1` in width-6 wNAF over G, 3G, …, 31G (affine, computed at
//!   compile time), so each nonzero digit of `u1` is a mixed addition;
//! - the x check needs no field inversion: `r·Z² == X`, and `(r+n)·Z² == X` when `r + n < p`;
//! - `1/s mod n` is the binary extended Euclidean algorithm;
//! - the field arithmetic mod p is fiat-crypto's formally verified 32-bit Montgomery code
//!   (`p256_32`), which suits wasm32: it has 32×32→64 multiplications but no 64×64→128; the
//!   two products mod n of a verification are a looped Montgomery multiplication (small, and
//!   tested against the vectors and ring like the rest).
//!
//! In scope: the check of a signature over a digest the caller computed (SHA-256 or SHA-384:
//! its leftmost 256 bits are taken), a public key in SEC1 uncompressed form (`0x04 ‖ X ‖ Y`,
//! as an X.509 SubjectPublicKeyInfo's subjectPublicKey carries it), the signature DER encoded
//! as ring accepts it and nothing laxer. Out of scope: signing, compressed keys, other curves,
//! the fixed-width (P1363) signature encoding.
//!
//! The tests check the Wycheproof vectors (`tests/vectors`) and compare every verdict with
//! ring's, natively and inside wasm; the workspace's fuzz target `p256_verify` compares it
//! with ring's on random and mutated keys, messages and signatures.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod der;
mod field;
mod limbs;
mod point;
mod scalar;

use field::Fe;
use point::{Affine, G_ODD_MULTIPLES, G_WINDOW, Jacobian};
use scalar::Scalar;

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The public key is not an uncompressed point of P-256: wrong length or form, a
    /// coordinate not below p, or not on the curve.
    InvalidPublicKey,
    /// The signature is not a DER `ECDSA-Sig-Value` with r and s in `1..n`.
    MalformedSignature,
    /// The signature does not match the key and digest.
    Mismatch,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::InvalidPublicKey => "invalid P-256 public key",
            Error::MalformedSignature => "malformed ECDSA signature",
            Error::Mismatch => "ECDSA signature mismatch",
        })
    }
}

impl core::error::Error for Error {}

/// Checks a DER-encoded ECDSA signature over `digest` (the message's hash; a digest longer
/// than 32 bytes counts by its leftmost 256 bits) with a P-256 public key in SEC1
/// uncompressed form. Variable time: for public inputs only.
pub fn verify_digest(public_key: &[u8], digest: &[u8], signature: &[u8]) -> Result<(), Error> {
    let q = parse_public_key(public_key).ok_or(Error::InvalidPublicKey)?;
    let (r_bytes, s_bytes) = der::parse_signature(signature).ok_or(Error::MalformedSignature)?;
    let r = Scalar::from_be_bytes_nonzero(&r_bytes).ok_or(Error::MalformedSignature)?;
    let s = Scalar::from_be_bytes_nonzero(&s_bytes).ok_or(Error::MalformedSignature)?;
    let e = Scalar::from_digest(digest);
    let w = s.invert_vartime();
    let sum = double_scalar_mul(&e.mul(&w), &r.mul(&w), &q);
    if x_matches(&sum, &r) {
        Ok(())
    } else {
        Err(Error::Mismatch)
    }
}

/// The point of `0x04 ‖ X ‖ Y`, if both coordinates are below p and it is on the curve.
fn parse_public_key(public_key: &[u8]) -> Option<Affine> {
    let (&0x04, coordinates) = public_key.split_first()? else {
        return None;
    };
    let (x, y) = coordinates.split_at_checked(32)?;
    let x = Fe::from_be_bytes(x.try_into().ok()?)?;
    let y = Fe::from_be_bytes(y.try_into().ok()?)?;
    Affine::on_curve(x, y)
}

/// The width of Q's wNAF: a table of Q, 3Q, …, 15Q.
const Q_WINDOW: u32 = 5;

/// `u1·G + u2·Q`, interleaved: one doubling per bit from the top, an addition per nonzero
/// digit of either scalar.
fn double_scalar_mul(u1: &Scalar, u2: &Scalar, q: &Affine) -> Jacobian {
    let mut q_odd_multiples = [Jacobian::from_affine(q); 1 << (Q_WINDOW - 2)];
    let twice_q = q_odd_multiples[0].double();
    for i in 1..q_odd_multiples.len() {
        q_odd_multiples[i] = q_odd_multiples[i - 1].add(&twice_q);
    }
    let (g_digits, q_digits) = (u1.wnaf(G_WINDOW), u2.wnaf(Q_WINDOW));
    let mut sum = Jacobian::INFINITY;
    for (&g_digit, &q_digit) in g_digits.iter().zip(&q_digits).rev() {
        // Doubling the point at infinity changes nothing: skip the leading zero digits.
        if !sum.is_infinity() {
            sum = sum.double();
        }
        if g_digit != 0 {
            let multiple = &G_ODD_MULTIPLES[usize::from(g_digit.unsigned_abs() / 2)];
            sum = sum.add_affine(&if g_digit > 0 {
                *multiple
            } else {
                multiple.neg()
            });
        }
        if q_digit != 0 {
            let multiple = &q_odd_multiples[usize::from(q_digit.unsigned_abs() / 2)];
            sum = sum.add(&if q_digit > 0 {
                *multiple
            } else {
                multiple.neg()
            });
        }
    }
    sum
}

/// Whether the x coordinate of `point` (not at infinity), reduced mod n, is r — without
/// leaving Jacobian coordinates: x = X/Z², and x mod n = r means x = r or x = r + n (only
/// possible when r + n < p).
fn x_matches(point: &Jacobian, r: &Scalar) -> bool {
    if point.is_infinity() {
        return false;
    }
    let zz = point.z.square();
    if Fe::from_limbs_at_run_time(r.0).mul(&zz).equals(&point.x) {
        return true;
    }
    let (r_plus_n, carried) = limbs::add(&r.0, &scalar::N);
    !carried
        && limbs::less_than(&r_plus_n, &field::P)
        && Fe::from_limbs_at_run_time(r_plus_n)
            .mul(&zz)
            .equals(&point.x)
}

#[cfg(test)]
mod tests;
