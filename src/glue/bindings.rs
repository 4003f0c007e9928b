//! What wit-bindgen generates for the `https-client` world, and the export of the component.
//! Generated code implements the canonical ABI with `unsafe`; this module is the one place the
//! crate allows it.
#![allow(unsafe_code)]

#[cfg(all(feature = "host-network", feature = "host-keys"))]
compile_error!(
    "host-network is the build of a world without identity; enable it without host-keys"
);

#[cfg(all(
    feature = "async-client",
    any(
        feature = "host-keys",
        feature = "host-crypto",
        feature = "host-network"
    )
))]
compile_error!("async-client is the build of a world of its own; enable it alone");

#[cfg(not(any(
    feature = "host-keys",
    feature = "host-crypto",
    feature = "host-network",
    feature = "async-client"
)))]
wit_bindgen::generate!({
    world: "https-client",
    path: "wit",
});

// The same client, importing `identity` too (docs: wit/world.wit).
#[cfg(feature = "host-keys")]
wit_bindgen::generate!({
    world: "https-client-host-keys",
    path: "wit",
});

// The same client, importing `crypto` too: the host lends AEADs, key exchange and signature
// verification (docs: wit/world.wit, wit/crypto.wit).
#[cfg(all(
    feature = "host-crypto",
    not(feature = "host-keys"),
    not(feature = "host-network")
))]
wit_bindgen::generate!({
    world: "https-client-host-crypto",
    path: "wit",
});

#[cfg(all(feature = "host-crypto", feature = "host-keys"))]
compile_error!("host-crypto and host-keys are builds of two separate worlds; enable one");

// The same client, its TCP through the `transport` import (docs: wit/world.wit).
#[cfg(all(feature = "host-network", not(feature = "host-crypto")))]
wit_bindgen::generate!({
    world: "https-client-host-network",
    path: "wit",
});
// The same client, its TCP through `transport` and its crypto through `crypto` (docs:
// wit/world.wit).
#[cfg(all(feature = "host-network", feature = "host-crypto"))]
wit_bindgen::generate!({
    world: "https-client-host-network-crypto",
    path: "wit",
});

// The async client, exporting `wasi:http/client@0.3.0` too, over the host's `wasi:http/types`
// (docs: wit/wasi-http/world.wit).
#[cfg(feature = "wasi-http")]
wit_bindgen::generate!({
    world: "verified:https-wasi-http/https-client-wasi-http",
    // wit/async first (with verified:https and the WASI 0.3 sockets and clocks): the wasi-http
    // package uses them.
    path: ["wit/async", "wit/wasi-http"],
    generate_all,
});

// The client on WASI 0.3: the synchronous `client` and the async one beside it, over
// wasi:sockets@0.3 and wasi:clocks@0.3 (docs: wit/async/client.wit).
#[cfg(all(feature = "async-client", not(feature = "wasi-http")))]
wit_bindgen::generate!({
    world: "https-client-async",
    path: "wit/async",
    generate_all,
});

use super::Component;
export!(Component);
