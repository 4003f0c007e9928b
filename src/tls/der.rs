//! Just enough DER to read a certificate's issuer and subject names and its validity.

/// Whether the certificate's issuer and subject names are identical (RFC 5280 "self-issued").
/// Malformed input is simply not self-issued.
pub fn is_self_issued(cert: &[u8]) -> bool {
    issuer_and_subject(cert).is_some_and(|(issuer, subject)| issuer == subject)
}

/// The fields of a certificate's `TBSCertificate` from `issuer` on.
fn from_issuer(cert: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = element(cert, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&EXPLICIT_VERSION) {
        rest = skip(rest)?;
    }
    rest = skip(rest)?; // serialNumber
    skip(rest) // signature AlgorithmIdentifier
}

/// The encoded issuer and subject `Name`s of a certificate.
fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut rest = from_issuer(cert)?;
    let issuer = raw_element(rest)?;
    rest = &rest[issuer.len()..];
    rest = skip(rest)?; // validity
    let subject = raw_element(rest)?;
    Some((issuer, subject))
}

/// The certificate's validity period as seconds since the Unix epoch: (notBefore, notAfter).
/// `None` for anything malformed.
pub fn validity(cert: &[u8]) -> Option<(u64, u64)> {
    let rest = skip(from_issuer(cert)?)?; // issuer
    let (validity, _) = element(rest, SEQUENCE)?;
    let (not_before, after) = time(validity)?;
    let (not_after, _) = time(after)?;
    Some((not_before, not_after))
}

const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// A UTCTime (`YYMMDDHHMMSSZ`, RFC 5280 4.1.2.5.1) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as
/// seconds since the epoch, and what follows it.
fn time(input: &[u8]) -> Option<(u64, &[u8])> {
    let tag = *input.first()?;
    let (text, rest) = element(input, tag)?;
    let (year, text) = match (tag, text.len()) {
        (UTC_TIME, 13) => {
            let yy = digits(&text[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        (GENERALIZED_TIME, 15) => (digits(&text[..4])?, &text[4..]),
        _ => return None,
    };
    if text[10] != b'Z' {
        return None;
    }
    let field = |at: usize| digits(&text[at..at + 2]);
    let (month, day, hour, minute, second) =
        (field(0)?, field(2)?, field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second, rest))
}

fn digits(text: &[u8]) -> Option<u64> {
    text.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
    })
}

/// Days from 1970-01-01 to the given date (proleptic Gregorian; H. Hinnant's algorithm), for
/// dates from 1970 on.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
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
    fn validity_reads_utc_and_generalized_times() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["leaf.test".to_owned()]).unwrap();
        // rcgen writes UTCTime up to 2049 and GeneralizedTime from 2050 (RFC 5280).
        params.not_before = rcgen::date_time_ymd(2024, 2, 29);
        params.not_after = rcgen::date_time_ymd(2051, 1, 1);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        assert_eq!(validity(&der), Some((1_709_164_800, 2_556_144_000)));
    }

    #[test]
    fn validity_of_garbage_is_none() {
        assert_eq!(validity(b""), None);
        let mut truncated = cert(true);
        truncated.truncate(60);
        assert_eq!(validity(&truncated), None);
        assert_eq!(
            time(&[
                UTC_TIME, 13, b'2', b'4', b'1', b'3', b'0', b'1', b'0', b'0', b'0', b'0', b'0',
                b'0', b'Z'
            ]),
            None
        );
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
