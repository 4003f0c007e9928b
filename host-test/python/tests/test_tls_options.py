"""The TLS options of a verified context from Python (`Client.create_context`): a client
certificate, public-key pins and version bounds. This host cannot give the component TCP
(README), so what is tested is what needs no socket: the identity checked at creation, and
pins through `verify_chain`, which verifies exactly as a handshake through the context would."""

from __future__ import annotations

import base64
import ssl

import pytest

import verified_https as v
from conftest import Pki


@pytest.fixture
def clients(tmp_path) -> Pki:
    """A CA for client certificates, in a directory of its own."""
    directory = tmp_path / "clients"
    directory.mkdir()
    return Pki(directory, "python client CA")


def test_a_client_certificate_and_its_key_make_a_context(pki, clients):
    cert, key = clients.leaf(["client.test"], client_auth=True)
    client = v.Client(v.pem_file(pki.ca_pem))
    for context in [
        client.create_context(cert=cert.read_text(), key=key.read_bytes()),
        client.create_context(cert=cert, key=key),
        client.create_context(cert=cert.read_bytes() + key.read_bytes()),
    ]:
        context.verify_chain(pki.chain(["good.test"]), "good.test")


def test_a_key_that_does_not_belong_to_the_certificate_is_refused_at_creation(pki, clients):
    cert, _ = clients.leaf(["client.test"], client_auth=True)
    _, other_key = clients.leaf(["other.test"], client_auth=True)
    client = v.Client(v.pem_file(pki.ca_pem))
    with pytest.raises(v.HttpsError) as refused:
        client.create_context(cert=cert, key=other_key)
    assert refused.value.tag == "invalid-client-identity"
    assert "does not belong to the certificate" in refused.value.payload
    assert str(refused.value).startswith("client certificate unusable: ")
    with pytest.raises(v.HttpsError) as refused:
        client.create_context(cert=cert)
    assert refused.value.tag == "invalid-client-identity", "a certificate without its key"


def test_a_pinned_key_that_matches_verifies_and_another_is_pin_mismatch(pki, tmp_path):
    cert, _ = pki.leaf(["good.test"])
    chain = v.pem_file(cert)
    pin = pki.pin(cert)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    other_ca = Pki(stranger, "python stranger CA")
    other = other_ca.pin(other_ca.leaf(["good.test"])[0])
    client = v.Client(v.pem_file(pki.ca_pem))
    for pins in [[pin], [other, pin], f"sha256//{base64.b64encode(other).decode()};"
                 f"sha256//{base64.b64encode(pin).decode()}"]:
        client.create_context(pinned_public_keys=pins).verify_chain(chain, "good.test")
    with pytest.raises(v.HttpsError) as refused:
        client.create_context(pinned_public_keys=[other]).verify_chain(chain, "good.test")
    assert refused.value.tag == "pin-mismatch"
    mismatch = refused.value.payload
    assert bytes(getattr(mismatch, "presented")) == pin
    assert [bytes(p) for p in getattr(mismatch, "pinned")] == [other]


def test_a_pin_on_a_chain_from_another_ca_is_still_a_certificate_error(pki, tmp_path):
    directory = tmp_path / "another"
    directory.mkdir()
    another = Pki(directory, "python another CA")
    cert, _ = another.leaf(["good.test"])
    client = v.Client(v.pem_file(pki.ca_pem))
    context = client.create_context(pinned_public_keys=[another.pin(cert)])
    with pytest.raises(v.HttpsError) as refused:
        context.verify_chain(v.pem_file(cert), "good.test")
    assert refused.value.tag == "tls-certificate-error"
    assert refused.value.payload.tag == "unknown-issuer"


def test_version_bounds_are_checked_at_creation(pki):
    client = v.Client(v.pem_file(pki.ca_pem))
    client.create_context(min_version="1.3", max_version=ssl.TLSVersion.TLSv1_3)
    client.create_context(min_version=ssl.TLSVersion.TLSv1_2, max_version="1.2")
    with pytest.raises(v.HttpsError) as refused:
        client.create_context(min_version="1.3", max_version="1.2")
    assert refused.value.tag == "invalid-request"


def test_the_options_keep_the_host_trust_and_none_is_an_error_not_a_fallback(pki):
    client = v.Client("this Python host chose no trust anchors")
    with pytest.raises(v.HttpsError) as refused:
        client.create_context(min_version="1.2").verify_chain(pki.chain(["good.test"]),
                                                              "good.test")
    assert refused.value.tag == "trust-store-unavailable"


@pytest.mark.parametrize("pins, message", [
    ([b"\0" * 20], "32 bytes, not 20"),
    (["sha1//AAAA"], "'sha256//BASE64'"),
    (["sha256//not base64!"], "is not sha256//BASE64"),
    ([f"sha256//{base64.b64encode(bytes(32)).decode().rstrip('=')}"], "is not sha256//BASE64"),
    ("", "'sha256//BASE64'"),
])
def test_a_malformed_pin_is_a_value_error(pins, message):
    with pytest.raises(ValueError, match=message):
        v.parse_pins(pins)


def test_malformed_versions_and_a_key_without_cert_are_value_errors(pki):
    client = v.Client(v.pem_file(pki.ca_pem))
    with pytest.raises(ValueError, match="min_version is '1.2' or '1.3'"):
        client.create_context(min_version="1.1")
    with pytest.raises(ValueError, match="max_version is '1.2' or '1.3'"):
        client.create_context(max_version=ssl.TLSVersion.TLSv1_1)
    with pytest.raises(ValueError, match="key needs cert"):
        client.create_context(key=b"KEY")
