//! The client composed with a trust provider (`make compose`): self-contained components that
//! import only `wasi:*`, run here with a host that supplies no trust at all.

use std::path::{Path, PathBuf};

use verified_https_host::runtime::{Runtime, default_component_path};
use verified_https_host::{CertificateError, ErrorCode};
use verified_https_host::{ClientInstance, HostConfig, HostTrust};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{self, TestServer, Versions};

use crate::support::{fetch, request_to};

/// A composed component built by `make compose`.
pub(crate) fn composed(name: &str) -> PathBuf {
    let path = default_component_path()
        .parent()
        .expect("the component's directory")
        .join("composed")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built; run `make compose` (make test does)",
        path.display()
    );
    path
}

fn load(path: &Path) -> Runtime {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
    Runtime::load(path, Some(&cache)).expect("loading").0
}

/// A host that has no trust to give: if the component asked, every verified context would
/// fail with this message.
fn trustless_host() -> HostConfig {
    HostConfig::loopback(HostTrust::Unavailable(
        "this host supplies no trust anchors".into(),
    ))
}

#[test]
fn composed_components_import_only_wasi_and_the_plain_one_imports_trust() {
    for name in ["https-client-mozilla.wasm", "https-client-files.wasm"] {
        let names = load(&composed(name)).import_names();
        assert!(!names.is_empty());
        let foreign: Vec<_> = names.iter().filter(|n| !n.starts_with("wasi:")).collect();
        assert!(foreign.is_empty(), "{name} imports {foreign:?}");
    }
    let plain = load(&default_component_path()).import_names();
    assert!(
        plain.iter().any(|n| n.starts_with("verified:https/trust")),
        "{plain:?}"
    );
}

/// Mozilla's roots enter only by composition: a root's name is in the composed component and
/// not in the plain one.
#[test]
fn mozilla_roots_are_in_the_composition_only() {
    let root_name = b"ISRG Root X1";
    let contains = |path: &Path| {
        let bytes = std::fs::read(path).expect("reading");
        bytes.windows(root_name.len()).any(|w| w == root_name)
    };
    assert!(contains(&composed("https-client-mozilla.wasm")));
    assert!(!contains(&default_component_path()));
}

#[test]
fn trust_mozilla_refuses_a_private_ca_as_unknown_issuer() {
    let pki = Pki::new("private");
    let leaf = pki.leaf(&LeafSpec::new(&["private.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"private"));
    let runtime = load(&composed("https-client-mozilla.wasm"));
    let mut client = ClientInstance::new(&runtime, trustless_host()).expect("instantiating");
    let request = request_to(&server, "GET", "private.test", "/");
    match fetch(&mut client, true, &request) {
        Err(ErrorCode::TlsCertificateError(CertificateError::UnknownIssuer)) => {}
        other => panic!("expected unknown-issuer, got {other:?}"),
    }
    assert_eq!(client.trust_calls(), 0, "the host's trust was never asked");
}

#[test]
fn trust_files_trusts_the_certificates_of_the_preopened_directory() {
    let pki = Pki::new("files");
    let leaf = pki.leaf(&LeafSpec::new(&["files.test"]));
    let server = TestServer::https(&leaf, Versions::Both, server::fixed(200, b"from files"));
    let dir = std::env::temp_dir().join(format!("trust-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("files-ca.pem"), pki.root_pem()).unwrap();
    std::fs::write(dir.join("README"), "not a certificate").unwrap();
    let runtime = load(&composed("https-client-files.wasm"));
    let mut config = trustless_host();
    config.preopens = vec![(dir.clone(), "/etc/ssl/certs".into())];
    let mut client = ClientInstance::new(&runtime, config).expect("instantiating");
    let (response, body) = fetch(
        &mut client,
        true,
        &request_to(&server, "GET", "files.test", "/"),
    )
    .expect("verified against the directory's CA");
    assert_eq!(body, b"from files");
    assert!(response.tls.expect("tls").verified);
    assert_eq!(client.trust_calls(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trust_files_without_certificates_is_an_error_not_an_empty_store() {
    let empty = std::env::temp_dir().join(format!("trust-files-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let runtime = load(&composed("https-client-files.wasm"));
    for preopens in [
        vec![(empty.clone(), "/etc/ssl/certs".to_owned())],
        Vec::new(),
    ] {
        let missing = preopens.is_empty();
        let mut config = trustless_host();
        config.preopens = preopens;
        let mut client = ClientInstance::new(&runtime, config).expect("instantiating");
        match client.default_context().expect("no trap") {
            Err(ErrorCode::TrustStoreUnavailable(why)) => {
                let expected = if missing {
                    "cannot read /etc/ssl/certs"
                } else {
                    "no PEM certificates"
                };
                assert!(why.contains(expected), "{why}");
            }
            other => panic!(
                "expected trust-store-unavailable, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    std::fs::remove_dir_all(&empty).unwrap();
}
