"""The component in wasmtime-py: trust chosen by the Python host, verification through the
component's own verifier, and the documented limit of this host (no TCP for the component)."""

from __future__ import annotations

import pytest

import verified_https as v


def test_a_chain_from_the_chosen_ca_verifies_for_its_name(pki):
    client = v.Client(v.pem_file(pki.ca_pem))
    client.verify_chain(pki.chain(["good.test"]), "good.test")


def test_another_name_is_refused_naming_expected_and_presented(pki):
    client = v.Client(v.pem_file(pki.ca_pem))
    with pytest.raises(v.HttpsError) as refused:
        client.verify_chain(pki.chain(["good.test"]), "wrong.test")
    assert refused.value.tag == "tls-certificate-error"
    assert refused.value.payload.tag == "name-mismatch"
    mismatch = refused.value.payload.payload
    assert getattr(mismatch, "expected") == "wrong.test"
    assert getattr(mismatch, "presented") == ["good.test"]
    assert str(refused.value) == (
        "certificate verify failed: hostname mismatch, certificate is not valid for "
        "'wrong.test' (it is valid for good.test)"
    )


def test_no_trust_is_an_error_not_a_fallback(pki):
    client = v.Client("this Python host chose no trust anchors")
    with pytest.raises(v.HttpsError) as refused:
        client.verify_chain(pki.chain(["good.test"]), "good.test")
    assert refused.value.tag == "trust-store-unavailable"
    assert "chose no trust anchors" in refused.value.payload


def test_the_platform_store_of_pythons_ssl_refuses_a_private_ca(pki):
    store = v.ssl_default_verify_paths()
    if isinstance(store, str):
        pytest.skip(f"this machine has no platform store: {store}")
    client = v.Client(store)
    with pytest.raises(v.HttpsError) as refused:
        client.verify_chain(pki.chain(["good.test"]), "good.test")
    assert refused.value.payload.tag == "unknown-issuer"


def test_the_unverified_context_refuses_to_verify(pki):
    client = v.Client(v.pem_file(pki.ca_pem))
    with pytest.raises(v.HttpsError) as refused:
        client.unverified_verify_chain(pki.chain(["good.test"]), "good.test")
    assert refused.value.tag == "invalid-request"


def test_this_host_cannot_give_the_component_tcp(pki, https_server):
    """The documented limit (README): wasmtime-py's C API cannot allow TCP, so a request that
    a Rust or Node.js host serves fails here with access-denied. If wasmtime-py gains
    allow_tcp, this test fails, and the host and its README should change with it."""
    client = v.Client(v.pem_file(pki.ca_pem))
    with pytest.raises(v.HttpsError) as refused:
        client.urlopen(https_server)
    assert refused.value.tag == "destination-unavailable"
    assert "Access denied" in refused.value.payload
