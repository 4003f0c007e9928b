//! A key the host keeps: the host-keys build of the component gets the certificate chain
//! through the `identity` import and asks the host to sign, so the key never enters the
//! component. The test gives the engine linear memories of its own and searches them for the
//! key after a handshake, beside a control in which the caller's key does enter.

#![allow(
    unsafe_code,
    reason = "a test-only wasmtime MemoryCreator, to read the guest's linear memory"
)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use verified_https_host::runtime::{Runtime, default_component_path};
use verified_https_host::{
    ClientIdentity, ClientInstance, ContextOptions, HostClientKey, HostConfig, HostTrust,
    TrustAnchors,
};
use verified_https_testkit::pki::{Leaf, LeafSpec, Pki};
use verified_https_testkit::server::Versions;
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

use crate::support::{client_pki, fetch_through, mtls_server, request_to, request_to_port};

/// Where each linear memory of the engine is now: (address, size in bytes).
type Regions = Arc<Mutex<Vec<Arc<Mutex<(usize, usize)>>>>>;

/// Linear memories on the heap, each recorded in `regions`.
struct RecordingMemories {
    regions: Regions,
}

/// One linear memory: 16-byte-aligned, zero-filled, moved when it grows.
struct HeapMemory {
    data: Vec<u128>,
    size: usize,
    maximum: Option<usize>,
    region: Arc<Mutex<(usize, usize)>>,
}

impl HeapMemory {
    fn record(&self) {
        *self.region.lock().unwrap_or_else(PoisonError::into_inner) =
            (self.data.as_ptr() as usize, self.size);
    }
}

// SAFETY: the memory is a plain heap allocation of at least `byte_size` zeroed bytes; the
// engine is configured with no reservation and no guard pages (explicit bounds checks), and
// allows memories to move, which is what `grow_to` does.
unsafe impl LinearMemory for HeapMemory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.data.len() * 16
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if self.maximum.is_some_and(|max| new_size > max) {
            return Err(wasmtime::format_err!("beyond the maximum"));
        }
        if new_size > self.byte_capacity() {
            self.data.resize(new_size.div_ceil(16), 0);
        }
        self.size = new_size;
        self.record();
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.data.as_ptr() as *mut u8
    }
}

// SAFETY: see `HeapMemory`.
unsafe impl MemoryCreator for RecordingMemories {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        if reserved_size_in_bytes.is_some_and(|bytes| bytes > 0) || guard_size_in_bytes > 0 {
            return Err(format!(
                "this test's memories take no reservation and no guard: {reserved_size_in_bytes:?} {guard_size_in_bytes}"
            ));
        }
        let memory = HeapMemory {
            data: vec![0; minimum.div_ceil(16)],
            size: minimum,
            maximum,
            region: Arc::default(),
        };
        memory.record();
        self.regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(memory.region.clone());
        Ok(Box::new(memory))
    }
}

/// Whether `needle` is anywhere in the recorded memories.
fn memories_contain(regions: &Regions, needle: &[u8]) -> bool {
    let regions = regions.lock().unwrap_or_else(PoisonError::into_inner);
    regions.iter().any(|region| {
        let (address, size) = *region.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: the store that owns this memory is alive and not running (the test holds it
        // between calls), and the region was recorded at its last growth.
        let bytes = unsafe { std::slice::from_raw_parts(address as *const u8, size) };
        bytes.windows(needle.len()).any(|window| window == needle)
    })
}

/// The host-keys build, loaded with memories the test can read.
fn host_keys_instance(trust: &Pki) -> (ClientInstance, Regions) {
    let path: PathBuf = default_component_path().with_file_name("verified-https-host-keys.wasm");
    assert!(
        path.exists(),
        "{} is not built; run `make component`",
        path.display()
    );
    let regions = Regions::default();
    let mut config = wasmtime::Config::new();
    config
        .with_host_memory(Arc::new(RecordingMemories {
            regions: regions.clone(),
        }))
        .memory_reservation(0)
        .memory_guard_size(0)
        .memory_reservation_for_growth(0)
        .memory_may_move(true)
        .memory_init_cow(false);
    let (runtime, _) = Runtime::load_with_config(&path, None, config).expect("loading");
    let client = ClientInstance::new(
        &runtime,
        HostConfig::loopback(HostTrust::Anchors(vec![trust.root_der()])),
    )
    .expect("instantiating");
    (client, regions)
}

/// The private scalar of a P-256 PKCS#8 key (rcgen's): the 32 bytes after `04 20` in its
/// ECPrivateKey.
fn private_scalar(leaf: &Leaf) -> Vec<u8> {
    let der = leaf.key.secret_der();
    let at = der
        .windows(5)
        .position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20])
        .expect("an ECPrivateKey in the PKCS#8");
    der[at + 5..at + 37].to_vec()
}

/// Options trusting the host's anchors (the instance's trust), presenting `identity`.
fn options(identity: ClientIdentity) -> ContextOptions {
    ContextOptions {
        client_identity: Some(identity),
        ..ContextOptions::trusting(TrustAnchors::Host)
    }
}

/// Gives the host `leaf`'s key and makes a context whose client identity is the host's.
fn host_key_context(
    client: &mut ClientInstance,
    leaf: &Leaf,
) -> verified_https_host::ContextHandle {
    client.set_client_key(Some(
        HostClientKey::from_pem(leaf.chain_pem().as_bytes(), leaf.key_pem().as_bytes())
            .expect("a host key"),
    ));
    client
        .context(&options(ClientIdentity::Host))
        .expect("no trap")
        .expect("a context")
}

#[test]
fn a_host_held_key_signs_the_handshake_and_never_enters_the_component_s_memory() {
    let pki = Pki::new("host-keys");
    let (clients, leaf) = client_pki("host-keys-clients");
    let server = mtls_server(&pki, &clients, Versions::Both, b"signed by the host");
    let request = request_to(&server, "GET", "good.test", "/");
    let scalar = private_scalar(&leaf);
    let pkcs8 = leaf.key.secret_der().to_vec();
    // Not in the memory as DER, as its PEM text, or as the raw scalar.

    // The host keeps the key: the component has only the chain.
    let (mut client, regions) = host_keys_instance(&pki);
    let context = host_key_context(&mut client, &leaf);
    assert!(!memories_contain(&regions, &pkcs8));
    let (response, body) = fetch_through(&mut client, context, &request).expect("accepted");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"signed by the host"[..])
    );
    assert!(response.tls.expect("TLS").client_certificate_sent);
    assert_eq!(
        server.requests()[0].client_certificate.as_deref(),
        Some(&leaf.chain[0][..])
    );
    assert!(
        !memories_contain(&regions, &scalar),
        "the private key is not in the guest"
    );
    assert!(!memories_contain(&regions, &pkcs8));

    // The control: the same search finds what did enter the component, the certificate the
    // host passed in through the import.
    assert!(memories_contain(&regions, &leaf.chain[0]));
}

#[test]
fn without_a_host_key_the_host_keys_build_refuses_the_host_identity_at_creation() {
    let pki = Pki::new("host-keys-none");
    let (mut client, _) = host_keys_instance(&pki);
    let err = client
        .context(&options(ClientIdentity::Host))
        .expect("no trap")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        err,
        verified_https_host::ErrorCode::InvalidClientIdentity(
            "the host has no client certificate: this host holds no client key".into()
        )
    );
}

#[test]
fn nginx_requiring_client_certificates_accepts_a_host_held_key() {
    let pki = Pki::new("host-keys-nginx");
    let (clients, leaf) = client_pki("host-keys-nginx-clients");
    let nginx = verified_https_testkit::nginx::Nginx::start(
        "host-keys",
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        &verified_https_testkit::nginx::NginxSpec {
            client_ca_pem: Some(clients.root_pem()),
            ..Default::default()
        },
        "hello, host key",
    )
    .expect("nginx (make test installs Debian's nginx-light)");
    let (mut client, _) = host_keys_instance(&pki);
    let context = host_key_context(&mut client, &leaf);
    let request = request_to_port(nginx.port(), "GET", "good.test", "/");
    let (response, body) = fetch_through(&mut client, context, &request).expect("accepted");
    assert_eq!(
        (response.status, body.as_slice()),
        (200, &b"hello, host key"[..])
    );
}
