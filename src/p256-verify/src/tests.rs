//! Edge cases of the whole verification, with signatures made here from known keys and
//! nonces (the digest is the caller's, so any `e` can be signed for).

use super::*;

/// `a + b mod n`.
fn add_mod_n(a: &Scalar, b: &Scalar) -> Scalar {
    let (sum, carried) = limbs::add(&a.0, &b.0);
    let (reduced, borrowed) = limbs::sub(&sum, &scalar::N);
    Scalar(if carried || !borrowed { reduced } else { sum })
}

/// `-a mod n`.
fn neg_mod_n(a: &Scalar) -> Scalar {
    if limbs::is_zero(&a.0) {
        *a
    } else {
        Scalar(limbs::sub(&scalar::N, &a.0).0)
    }
}

fn small(value: u32) -> Scalar {
    Scalar([value, 0, 0, 0, 0, 0, 0, 0])
}

fn be_bytes(limbs: &[u32; 8]) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, limb) in limbs.iter().enumerate() {
        bytes[28 - 4 * i..32 - 4 * i].copy_from_slice(&limb.to_be_bytes());
    }
    bytes
}

/// The canonical limbs of a field element.
fn canonical(x: &Fe) -> [u32; 8] {
    x.to_limbs()
}

/// `k·G` in affine coordinates.
fn times_g(k: &Scalar) -> Affine {
    let point = double_scalar_mul(k, &small(0), &point::G);
    affine(&point)
}

fn affine(point: &Jacobian) -> Affine {
    let z = point.z.invert();
    Affine {
        x: point.x.mul(&z.square()),
        y: point.y.mul(&z.square().mul(&z)),
    }
}

fn public_key(point: &Affine) -> Vec<u8> {
    let mut key = vec![0x04];
    key.extend(be_bytes(&canonical(&point.x)));
    key.extend(be_bytes(&canonical(&point.y)));
    key
}

fn der_integer(bytes: &[u8; 32]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(31);
    let mut value = bytes[start..].to_vec();
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    let mut out = vec![0x02, value.len() as u8];
    out.extend(value);
    out
}

fn der_signature(r: &[u8; 32], s: &[u8; 32]) -> Vec<u8> {
    let (r, s) = (der_integer(r), der_integer(s));
    let mut out = vec![0x30, (r.len() + s.len()) as u8];
    out.extend(r);
    out.extend(s);
    out
}

/// r of the nonce k: x(kG) mod n.
fn r_of(k: &Scalar) -> Scalar {
    Scalar::from_digest(&be_bytes(&canonical(&times_g(k).x)))
}

#[test]
fn a_signature_made_with_a_known_key_verifies_and_a_changed_digest_does_not() {
    let (d, k, e) = (small(0x1234_5678), small(987_654_321), small(42));
    let r = r_of(&k);
    // s = (e + r·d)/k.
    let s = add_mod_n(&e, &r.mul(&d)).mul(&k.invert_vartime());
    let key = public_key(&times_g(&d));
    let signature = der_signature(&be_bytes(&r.0), &be_bytes(&s.0));
    assert_eq!(verify_digest(&key, &be_bytes(&e.0), &signature), Ok(()));
    assert_eq!(
        verify_digest(&key, &be_bytes(&small(43).0), &signature),
        Err(Error::Mismatch)
    );
}

#[test]
fn s_of_n_minus_one_verifies() {
    // Choose s = n-1 and k, then sign for e = s·k - r·d.
    let (d, k) = (small(77), small(1_000_003));
    let s = Scalar(limbs::sub_small(&scalar::N, 1));
    let r = r_of(&k);
    let e = add_mod_n(&s.mul(&k), &neg_mod_n(&r.mul(&d)));
    let key = public_key(&times_g(&d));
    let signature = der_signature(&be_bytes(&r.0), &be_bytes(&s.0));
    assert_eq!(verify_digest(&key, &be_bytes(&e.0), &signature), Ok(()));
}

#[test]
fn a_sum_at_infinity_is_refused() {
    // e = -r·d makes u1·G + u2·Q = (e + r·d)/s·G the point at infinity.
    let d = small(5);
    let (r, s) = (small(11), small(13));
    let e = neg_mod_n(&r.mul(&d));
    let key = public_key(&times_g(&d));
    let signature = der_signature(&be_bytes(&r.0), &be_bytes(&s.0));
    assert_eq!(
        verify_digest(&key, &be_bytes(&e.0), &signature),
        Err(Error::Mismatch)
    );
}

#[test]
fn equal_points_in_one_step_of_the_ladder_double() {
    // Q = G and e = r: every digit of u1 and u2 is the same, so each step adds G's multiple
    // and then the equal multiple of Q.
    let k = small(31_337);
    let r = r_of(&k);
    // R = (e + r)/s·G = 2r/s·G = kG for s = 2r/k.
    let s = add_mod_n(&r, &r).mul(&k.invert_vartime());
    let signature = der_signature(&be_bytes(&r.0), &be_bytes(&s.0));
    let key = public_key(&point::G);
    assert_eq!(verify_digest(&key, &be_bytes(&r.0), &signature), Ok(()));
}

#[test]
fn an_x_of_r_plus_n_matches_r() {
    // A point R with n <= x < p (no known discrete log: found by trying x = n + i), as the
    // public key; e = 0 and s = r make u1 = 0, u2 = 1, so the sum is R and x = r + n.
    let mut i = 0u32;
    let point = loop {
        let x_limbs = limbs::add(&scalar::N, &[i, 0, 0, 0, 0, 0, 0, 0]).0;
        let x = Fe::from_limbs(x_limbs);
        let right = x.square().mul(&x).sub(&x.double().add(&x)).add(&point::B);
        // p ≡ 3 (mod 4): a square root is right^((p+1)/4).
        let p_plus_one = limbs::add(&field::P, &[1, 0, 0, 0, 0, 0, 0, 0]).0;
        let quarter = limbs::shift_right_one(&limbs::shift_right_one(&p_plus_one, false), false);
        let y = power(&right, &quarter);
        if let Some(point) = Affine::on_curve(x, y) {
            break point;
        }
        i += 1;
        assert!(i < 100, "half of all x have a point");
    };
    let r_limbs = limbs::sub(&canonical(&point.x), &scalar::N).0;
    let r = be_bytes(&r_limbs);
    let key = public_key(&point);
    assert_eq!(
        verify_digest(&key, &[0; 32], &der_signature(&r, &r)),
        Ok(())
    );
    // The same sum without the r + n case: r = x itself is not below n.
    let x = be_bytes(&canonical(&point.x));
    assert_eq!(
        verify_digest(&key, &[0; 32], &der_signature(&x, &x)),
        Err(Error::MalformedSignature)
    );
}

/// `base^exponent`.
fn power(base: &Fe, exponent: &[u32; 8]) -> Fe {
    let mut result = Fe::ONE;
    for bit in (0..256).rev() {
        result = result.square();
        if (exponent[bit / 32] >> (bit % 32)) & 1 == 1 {
            result = result.mul(base);
        }
    }
    result
}

#[test]
fn r_or_s_of_zero_or_of_n_and_above_are_refused() {
    let key = public_key(&times_g(&small(9)));
    let n = be_bytes(&scalar::N);
    let n_plus_one = be_bytes(&limbs::add(&scalar::N, &[1, 0, 0, 0, 0, 0, 0, 0]).0);
    let one = be_bytes(&small(1).0);
    for (r, s) in [
        (&n, &one),
        (&one, &n),
        (&n_plus_one, &one),
        (&one, &n_plus_one),
    ] {
        assert_eq!(
            verify_digest(&key, &[1; 32], &der_signature(r, s)),
            Err(Error::MalformedSignature)
        );
    }
    // Zero: the DER integer 0.
    let zero = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
    assert_eq!(
        verify_digest(&key, &[1; 32], &zero),
        Err(Error::MalformedSignature)
    );
}

#[test]
fn a_key_off_the_curve_or_with_a_coordinate_of_p_or_compressed_is_refused() {
    let good = public_key(&times_g(&small(9)));
    let signature = der_signature(&be_bytes(&small(1).0), &be_bytes(&small(1).0));
    let mut off_curve = good.clone();
    off_curve[64] ^= 1;
    let mut p_as_x = good.clone();
    p_as_x[1..33].copy_from_slice(&be_bytes(&field::P));
    let mut compressed = good[..33].to_vec();
    compressed[0] = 0x02;
    for key in [off_curve, p_as_x, compressed, good[..64].to_vec(), vec![]] {
        assert_eq!(
            verify_digest(&key, &[1; 32], &signature),
            Err(Error::InvalidPublicKey)
        );
    }
    assert_eq!(
        verify_digest(&good, &[1; 32], &signature),
        Err(Error::Mismatch)
    );
}
