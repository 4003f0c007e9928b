//! What wit-bindgen generates for the `https-client` world, and the export of the component.
//! Generated code implements the canonical ABI with `unsafe`; this module is the one place the
//! crate allows it.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    world: "https-client",
    path: "wit",
});

use super::Component;
export!(Component);
