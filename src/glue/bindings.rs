//! What wit-bindgen generates for the `https-client` world, and the export of the component.
//! Generated code implements the canonical ABI with `unsafe`; this module is the one place the
//! crate allows it.
#![allow(unsafe_code)]

#[cfg(all(feature = "host-keys", feature = "host-network"))]
compile_error!("host-keys and host-network are separate builds (worlds); enable one of them");

#[cfg(not(any(feature = "host-keys", feature = "host-network")))]
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

// The same client, its TCP through the `transport` import (docs: wit/world.wit).
#[cfg(feature = "host-network")]
wit_bindgen::generate!({
    world: "https-client-host-network",
    path: "wit",
});

use super::Component;
export!(Component);
