//! What wit-bindgen generates for the `https-client` world, and the export of the component.
//! Generated code implements the canonical ABI with `unsafe`; this module is the one place the
//! crate allows it.
#![allow(unsafe_code)]

#[cfg(not(feature = "host-keys"))]
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

use super::Component;
export!(Component);
