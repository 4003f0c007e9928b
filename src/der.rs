//! Just enough DER to read a certificate's issuer and subject names.

/// Whether the certificate's issuer and subject names are identical (RFC 5280 "self-issued").
/// Malformed input is simply not self-issued.
pub fn is_self_issued(cert: &[u8]) -> bool {
    issuer_and_subject(cert).is_some_and(|(issuer, subject)| issuer == subject)
}

/// The encoded issuer and subject `Name`s of a certificate.
fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (certificate, _) = element(cert, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&EXPLICIT_VERSION) {
        rest = skip(rest)?;
    }
    rest = skip(rest)?; // serialNumber
    rest = skip(rest)?; // signature AlgorithmIdentifier
    let issuer = raw_element(rest)?;
    rest = &rest[issuer.len()..];
    rest = skip(rest)?; // validity
    let subject = raw_element(rest)?;
    Some((issuer, subject))
}

const SEQUENCE: u8 = 0x30;
const EXPLICIT_VERSION: u8 = 0xa0;

/// Splits off one element with the expected tag: (its contents, what follows).
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *input.first()? != tag {
        return None;
    }
    let (header, len) = header_and_length(input)?;
    let end = header.checked_add(len)?;
    Some((input.get(header..end)?, input.get(end..)?))
}

/// One whole element (tag, length and contents), whatever its tag.
fn raw_element(input: &[u8]) -> Option<&[u8]> {
    let (header, len) = header_and_length(input)?;
    input.get(..header.checked_add(len)?)
}

fn skip(input: &[u8]) -> Option<&[u8]> {
    let whole = raw_element(input)?;
    input.get(whole.len()..)
}

/// (header length, contents length) of the element at the start of `input`.
fn header_and_length(input: &[u8]) -> Option<(usize, usize)> {
    let first = *input.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let count = (first & 0x7f) as usize;
    if count == 0 || count > 4 {
        return None;
    }
    let bytes = input.get(2..2 + count)?;
    let len = bytes.iter().fold(0usize, |acc, &b| acc << 8 | b as usize);
    Some((2 + count, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(self_signed: bool) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["leaf.test".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "leaf");
        if self_signed {
            return params.self_signed(&key).unwrap().der().to_vec();
        }
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ca");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let _ = ca;
        params.signed_by(&key, &issuer).unwrap().der().to_vec()
    }

    #[test]
    fn self_signed_certificate_is_self_issued() {
        assert!(is_self_issued(&cert(true)));
    }

    #[test]
    fn ca_issued_certificate_is_not_self_issued() {
        assert!(!is_self_issued(&cert(false)));
    }

    #[test]
    fn garbage_is_not_self_issued() {
        assert!(!is_self_issued(b""));
        assert!(!is_self_issued(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]));
        let mut truncated = cert(true);
        truncated.truncate(40);
        assert!(!is_self_issued(&truncated));
    }
}
