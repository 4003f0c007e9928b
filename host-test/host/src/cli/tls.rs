//! The TLS flags beyond trust, with curl's names: the client's certificate (`--cert`, `--key`),
//! public-key pins (`--pinnedpubkey`) and version bounds (`--tlsv1.2`, `--tlsv1.3`,
//! `--tls-max`), turned into the `context-options` fields they set ([`TlsOptions`]).
//!
//! They all configure a verified context; the unverified one (`-k`) takes no options, so with
//! `-k` each of them is refused (exit 2) rather than silently dropped — and a pin through a
//! context that verifies nothing would vouch for nothing.

use std::path::Path;

use base64::Engine as _;

use super::{Args, Failure, exit};
use crate::{ClientIdentity, TlsVersion};

/// The prefix of each `--pinnedpubkey` entry (curl's; the only hash it and we accept).
const PIN_PREFIX: &str = "sha256//";

/// The length of a SHA-256 digest, in bytes.
const PIN_BYTES: usize = 32;

/// The `context-options` fields the TLS flags set; all at their defaults without the flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// `--cert` (and `--key`): the PEM text of the chain and its key. Defaults to none.
    pub client_identity: Option<ClientIdentity>,
    /// `--tlsv1.2` / `--tlsv1.3`: the lowest version accepted. Defaults to none (TLS 1.2).
    pub min_version: Option<TlsVersion>,
    /// `--tls-max`: the highest version offered. Defaults to none (TLS 1.3).
    pub max_version: Option<TlsVersion>,
    /// `--pinnedpubkey`: SHA-256 digests of SubjectPublicKeyInfos. Defaults to empty.
    pub pinned_public_keys: Vec<Vec<u8>>,
}

/// What the TLS flags ask for. With `-k` any of them is exit 2; a malformed `--pinnedpubkey`,
/// `--key` without `--cert`, or `--tlsv1.3` with `--tls-max 1.2`, is exit 2; a `--cert`/`--key` file that cannot be read is
/// exit 58 (curl's CURLE_SSL_CERTPROBLEM). Whether the certificate and key are usable is the
/// component's decision, when the context is created (`invalid-client-identity`, also 58).
pub fn tls_options(args: &Args) -> Result<TlsOptions, Failure> {
    if args.insecure {
        refuse_with_insecure(args)?;
    }
    let pinned_public_keys = match args.pinned_public_keys.as_deref() {
        Some(pins) => parse_pins(pins)?,
        None => Vec::new(),
    };
    let client_identity = match (&args.cert, &args.key) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(Failure::new(
                exit::BAD_ARGUMENT,
                "--key needs --cert (the certificate the key belongs to)",
            ));
        }
        (Some(cert), key) => Some(ClientIdentity::Pem(identity_pem(cert, key.as_deref())?)),
    };
    let min_version = if args.tlsv1_3 {
        Some(TlsVersion::Tls13)
    } else if args.tlsv1_2 {
        Some(TlsVersion::Tls12)
    } else {
        None
    };
    if let (Some(TlsVersion::Tls13), Some(TlsVersion::Tls12)) = (min_version, args.tls_max) {
        return Err(Failure::new(
            exit::BAD_ARGUMENT,
            "--tlsv1.3 asks for TLS 1.3 or later, but --tls-max 1.2 for TLS 1.2 at most",
        ));
    }
    Ok(TlsOptions {
        client_identity,
        min_version,
        max_version: args.tls_max,
        pinned_public_keys,
    })
}

/// With `-k`: exit 2 naming the first TLS flag given, if any.
fn refuse_with_insecure(args: &Args) -> Result<(), Failure> {
    if args.pinned_public_keys.is_some() {
        return Err(Failure::new(
            exit::BAD_ARGUMENT,
            "--pinnedpubkey cannot be used with -k/--insecure: the unverified context verifies \
             nothing, so a pin would vouch for a server nobody verified",
        ));
    }
    let given = [
        (args.cert.is_some(), "--cert"),
        (args.key.is_some(), "--key"),
        (args.tlsv1_2, "--tlsv1.2"),
        (args.tlsv1_3, "--tlsv1.3"),
        (args.tls_max.is_some(), "--tls-max"),
    ];
    match given.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(Failure::new(
            exit::BAD_ARGUMENT,
            format!(
                "{flag} cannot be used with -k/--insecure: the unverified context \
                 (create-unverified-context) takes no options"
            ),
        )),
        None => Ok(()),
    }
}

/// The PEM text of `--cert FILE`, followed by that of `--key FILE` if given.
fn identity_pem(cert: &Path, key: Option<&Path>) -> Result<Vec<u8>, Failure> {
    let read = |flag: &str, path: &Path| {
        std::fs::read(path).map_err(|e| {
            Failure::new(
                exit::CLIENT_CERTIFICATE,
                format!("cannot read {flag} {}: {e}", path.display()),
            )
        })
    };
    let mut pem = read("--cert", cert)?;
    if let Some(key) = key {
        let key = read("--key", key)?;
        if !pem.is_empty() && !pem.ends_with(b"\n") {
            pem.push(b'\n');
        }
        pem.extend_from_slice(&key);
    }
    Ok(pem)
}

/// `--pinnedpubkey sha256//BASE64[;sha256//BASE64...]`: the 32-byte digests, in order. Each
/// entry is `sha256//` and the standard (padded) base64 of a SHA-256 digest; anything else,
/// an empty entry included, is exit 2. (curl also takes a file of the public key; this CLI
/// takes only the hashes.)
pub fn parse_pins(pins: &str) -> Result<Vec<Vec<u8>>, Failure> {
    pins.split(';')
        .map(|entry| {
            let bad = |why: &str| {
                Failure::new(
                    exit::BAD_ARGUMENT,
                    format!(
                        "--pinnedpubkey {entry:?} is not sha256//BASE64 (the base64 of a \
                         SHA-256 digest): {why}"
                    ),
                )
            };
            let encoded = entry
                .strip_prefix(PIN_PREFIX)
                .ok_or_else(|| bad("it does not start with sha256//"))?;
            let digest = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| bad(&format!("invalid base64 ({e})")))?;
            if digest.len() != PIN_BYTES {
                return Err(bad(&format!(
                    "it decodes to {} bytes, not {PIN_BYTES}",
                    digest.len()
                )));
            }
            Ok(digest)
        })
        .collect()
}

/// `--tls-max`'s value: `1.2` or `1.3`.
pub fn parse_tls_version(version: &str) -> Result<TlsVersion, String> {
    match version {
        "1.2" => Ok(TlsVersion::Tls12),
        "1.3" => Ok(TlsVersion::Tls13),
        _ => Err("the versions are 1.2 and 1.3".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("https-get").chain(args.iter().copied()))
            .expect("the flags parse")
    }

    fn options(args: &[&str]) -> Result<TlsOptions, Failure> {
        tls_options(&parse(&[args, &["https://a.test/"]].concat()))
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("https-get-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    }

    /// `sha256//` and the base64 of 32 bytes of `byte`.
    fn pin_of(byte: u8) -> String {
        format!(
            "sha256//{}",
            base64::engine::general_purpose::STANDARD.encode([byte; 32])
        )
    }

    #[test]
    fn without_tls_flags_every_option_is_at_its_default() {
        assert_eq!(options(&[]).expect("options"), TlsOptions::default());
        assert_eq!(options(&["-k"]).expect("options"), TlsOptions::default());
    }

    #[test]
    fn pins_are_sha256_base64_digests_separated_by_semicolons() {
        assert_eq!(parse_pins(&pin_of(7)).expect("a pin"), vec![vec![7u8; 32]]);
        let two = format!("{};{}", pin_of(1), pin_of(2));
        assert_eq!(
            parse_pins(&two).expect("two pins"),
            vec![vec![1u8; 32], vec![2u8; 32]]
        );
        // A known digest: SHA-256 of the empty string.
        assert_eq!(
            parse_pins("sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=").expect("a pin")[0]
                [..4],
            [0xe3, 0xb0, 0xc4, 0x42]
        );
        let args = parse(&["--pinnedpubkey", &two, "https://a.test/"]);
        assert_eq!(
            tls_options(&args)
                .expect("options")
                .pinned_public_keys
                .len(),
            2
        );
    }

    #[test]
    fn a_malformed_pin_exits_2_saying_what_is_wrong() {
        let short = format!(
            "sha256//{}",
            base64::engine::general_purpose::STANDARD.encode([0u8; 20])
        );
        let unpadded = pin_of(3).trim_end_matches('=').to_owned();
        for (pins, why) in [
            ("sha1//AAAA".to_owned(), "does not start with sha256//"),
            ("/etc/server.pub".to_owned(), "does not start with sha256//"),
            ("sha256//not base64!".to_owned(), "invalid base64"),
            (unpadded, "invalid base64"),
            (short, "decodes to 20 bytes, not 32"),
            (format!("{};", pin_of(1)), "does not start with sha256//"),
            (String::new(), "does not start with sha256//"),
        ] {
            let failure = parse_pins(&pins).unwrap_err();
            assert_eq!(failure.code, exit::BAD_ARGUMENT, "{pins}");
            assert!(
                failure.message.starts_with("--pinnedpubkey ") && failure.message.contains(why),
                "{pins}: {failure:?}"
            );
        }
    }

    #[test]
    fn tlsv1_x_sets_the_minimum_the_last_one_winning_and_tls_max_the_maximum() {
        let options_of = |flags: &[&str]| {
            let o = options(flags).expect("options");
            (o.min_version, o.max_version)
        };
        assert_eq!(options_of(&["--tlsv1.2"]), (Some(TlsVersion::Tls12), None));
        assert_eq!(options_of(&["--tlsv1.3"]), (Some(TlsVersion::Tls13), None));
        assert_eq!(
            options_of(&["--tlsv1.2", "--tlsv1.3"]),
            (Some(TlsVersion::Tls13), None)
        );
        assert_eq!(
            options_of(&["--tlsv1.3", "--tlsv1.2"]),
            (Some(TlsVersion::Tls12), None)
        );
        assert_eq!(
            options_of(&["--tls-max", "1.2"]),
            (None, Some(TlsVersion::Tls12))
        );
        assert_eq!(
            options_of(&["--tlsv1.2", "--tls-max", "1.3"]),
            (Some(TlsVersion::Tls12), Some(TlsVersion::Tls13))
        );
        let failure = options(&["--tlsv1.3", "--tls-max", "1.2"]).unwrap_err();
        assert_eq!(failure.code, exit::BAD_ARGUMENT);
        assert!(failure.message.contains("--tls-max 1.2"), "{failure:?}");
        assert_eq!(parse_tls_version("1.3"), Ok(TlsVersion::Tls13));
        for version in ["1.1", "1.0", "default", "tls1.2", ""] {
            assert!(parse_tls_version(version).is_err(), "{version}");
            let refused =
                Args::try_parse_from(["https-get", "--tls-max", version, "https://a.test/"])
                    .unwrap_err();
            assert_eq!(refused.exit_code(), 2, "{version}");
        }
    }

    #[test]
    fn cert_and_key_are_one_pem_text_the_key_after_the_chain() {
        let dir = temp_dir("identity");
        let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
        std::fs::write(&cert, "CHAIN").expect("writing the chain");
        std::fs::write(&key, "KEY\n").expect("writing the key");
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        let identity = |flags: &[&str]| options(flags).expect("options").client_identity;
        assert_eq!(
            identity(&["--cert", &cert, "--key", &key]),
            Some(ClientIdentity::Pem(b"CHAIN\nKEY\n".to_vec()))
        );
        assert_eq!(
            identity(&["-E", &cert]),
            Some(ClientIdentity::Pem(b"CHAIN".to_vec())),
            "the key may be in the --cert file"
        );
    }

    #[test]
    fn an_unreadable_cert_or_key_exits_58_and_a_key_without_cert_exits_2() {
        let dir = temp_dir("unreadable");
        let cert = dir.join("c.pem");
        std::fs::write(&cert, "CHAIN").expect("writing the chain");
        let cert = cert.display().to_string();
        let missing = dir.join("missing.pem").display().to_string();
        for (flags, flag) in [
            (vec!["--cert", &missing], "--cert"),
            (vec!["--cert", &cert, "--key", &missing], "--key"),
        ] {
            let failure = options(&flags).unwrap_err();
            assert_eq!(failure.code, exit::CLIENT_CERTIFICATE, "{flags:?}");
            assert!(
                failure
                    .message
                    .starts_with(&format!("cannot read {flag} {missing}: ")),
                "{failure:?}"
            );
        }
        let failure = options(&["--key", &cert]).unwrap_err();
        assert_eq!(failure.code, exit::BAD_ARGUMENT);
        assert!(
            failure.message.contains("--key needs --cert"),
            "{failure:?}"
        );
    }

    #[test]
    fn with_insecure_every_tls_flag_exits_2_before_any_file_is_read() {
        let pin = pin_of(1);
        for (flags, named) in [
            (vec!["--pinnedpubkey", pin.as_str()], "--pinnedpubkey"),
            (vec!["--pinnedpubkey", "garbage"], "--pinnedpubkey"),
            (vec!["--cert", "/nonexistent/c.pem"], "--cert"),
            (vec!["--key", "/nonexistent/k.pem"], "--key"),
            (vec!["--tlsv1.2"], "--tlsv1.2"),
            (vec!["--tlsv1.3"], "--tlsv1.3"),
            (vec!["--tls-max", "1.2"], "--tls-max"),
        ] {
            let failure = options(&[flags.as_slice(), &["-k"]].concat()).unwrap_err();
            assert_eq!(failure.code, exit::BAD_ARGUMENT, "{flags:?}");
            assert!(
                failure
                    .message
                    .starts_with(&format!("{named} cannot be used with -k/--insecure: ")),
                "{failure:?}"
            );
        }
        let failure = options(&["-k", "--pinnedpubkey", &pin]).unwrap_err();
        assert!(failure.message.contains("verifies nothing"), "{failure:?}");
        let failure = options(&["-k", "--tlsv1.3"]).unwrap_err();
        assert!(failure.message.contains("takes no options"), "{failure:?}");
    }
}
