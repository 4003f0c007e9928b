"""`cryptography` lent to the host-network-crypto build (lent_crypto.py), beside the
host-network build that computes its own crypto, both over this host's sockets, against
`openssl s_server` on loopback choosing each suite, version, group and signature scheme
itself. Both fetch the same bodies; only the lending build makes the host compute (counted per
response), and verification fails exactly as it does inside the component."""

from __future__ import annotations

import datetime
import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

import lent_crypto
import verified_https as v
from conftest import Pki, openssl_server
from transport import SocketTransport, loopback_only

BUILDS = ("host-network-crypto", "host-network")

# A body of several TLS records, so that many are opened.
BODY = b"lent or not. " * 5000


def fetch(build: str, trust: list[bytes], url: str) -> v.Response:
    client = v.host_network_client(trust, loopback_only, lend_crypto=build == "host-network-crypto")
    return client.urlopen(url, proxy=None)


def assert_computed_by(build: str, response: v.Response, what: str) -> None:
    """The body, verified, and who computed: the host (every kind of call) for the lending
    build, the component for the other."""
    assert (response.status, response.read(), response.tls["verified"]) == (200, BODY, True), what
    crypto = response.crypto
    if build == "host-network-crypto":
        assert crypto["lent"] is True, what
        assert crypto["by"].startswith("cryptography "), what
        assert crypto["seals"] > 0 and crypto["key_shares"] > 0 and crypto["verifications"] > 0, \
            f"{what}: {crypto['description']}"
        assert crypto["opens"] > len(BODY) // 16384, f"{what}: {crypto['description']}"
        assert crypto["description"].startswith("lent by the host (cryptography "), what
    else:
        assert crypto == v.CRYPTO_INSIDE, what


@pytest.fixture
def leaf(pki: Pki):
    return pki.leaf(["127.0.0.1"])


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("options, version, suite", [
    (("-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"), "TLSv1.3", "TLS13_AES_128_GCM_SHA256"),
    (("-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"), "TLSv1.3", "TLS13_AES_256_GCM_SHA384"),
    (("-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"), "TLSv1.3",
     "TLS13_CHACHA20_POLY1305_SHA256"),
    (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), "TLSv1.2",
     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"), "TLSv1.2",
     "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), "TLSv1.2",
     "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
])
def test_both_builds_fetch_from_a_server_that_chooses_each_suite(pki, leaf, build, options,
                                                                 version, suite):
    with openssl_server(leaf, BODY, *options) as url:
        response = fetch(build, v.pem_file(pki.ca_pem), url)
    assert (response.tls["version"], response.tls["cipher_suite"]) == (version, suite)
    assert_computed_by(build, response, f"{build} {suite}")


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("group, version, shares", [
    # The client sends an X25519 share first; in TLS 1.3 a server that wants P-256 or P-384
    # asks again (HelloRetryRequest), so a second share, of that group, is made and used. In
    # TLS 1.2 the ClientHello's share goes unused and a second is made for the server's group.
    ("X25519", "-tls1_3", 1),
    ("P-256", "-tls1_3", 2),
    ("P-384", "-tls1_3", 2),
    ("X25519", "-tls1_2", 2),
    ("P-256", "-tls1_2", 2),
    ("P-384", "-tls1_2", 2),
])
def test_both_builds_agree_on_each_group_the_server_insists_on(pki, leaf, build, group, version,
                                                               shares):
    with openssl_server(leaf, BODY, version, "-groups", group) as url:
        response = fetch(build, v.pem_file(pki.ca_pem), url)
    assert response.tls["version"] == {"-tls1_3": "TLSv1.3", "-tls1_2": "TLSv1.2"}[version]
    assert_computed_by(build, response, f"{build} {group} {version}")
    if build == "host-network-crypto":
        assert response.crypto["key_shares"] == shares, response.crypto["description"]


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("ca, leaf_key, options, algorithms", [
    # A CA (its key, digest, PSS or not), the leaf's key, the server's version and signature
    # schemes; the lent algorithms: the CA's signature on the leaf, the handshake's signature.
    ({"key": "p256"}, "p256", ("-tls1_3",), {"ecdsa-p256-sha256"}),
    ({"key": "p256", "digest": "sha384"}, "p384", ("-tls1_3",),
     {"ecdsa-p256-sha384", "ecdsa-p384-sha384"}),
    ({"key": "p384"}, "p256", ("-tls1_2", "-sigalgs", "ECDSA+SHA256"),
     {"ecdsa-p384-sha256", "ecdsa-p256-sha256"}),
    ({"key": "p384", "digest": "sha384"}, "p384", ("-tls1_2", "-sigalgs", "ECDSA+SHA384"),
     {"ecdsa-p384-sha384"}),
    ({"key": "ed25519"}, "ed25519", ("-tls1_3",), {"ed25519"}),
    ({"key": "rsa", "pss": True}, "rsa", ("-tls1_3", "-sigalgs", "rsa_pss_rsae_sha384"),
     {"rsa-pss-sha256", "rsa-pss-sha384"}),
    ({"key": "rsa", "digest": "sha512", "pss": True}, "rsa",
     ("-tls1_3", "-sigalgs", "rsa_pss_rsae_sha512"), {"rsa-pss-sha512"}),
    ({"key": "rsa"}, "rsa", ("-tls1_2", "-sigalgs", "RSA+SHA256"), {"rsa-pkcs1-sha256"}),
    ({"key": "rsa", "digest": "sha384"}, "rsa", ("-tls1_2", "-sigalgs", "RSA+SHA512"),
     {"rsa-pkcs1-sha384", "rsa-pkcs1-sha512"}),
])
def test_both_builds_check_every_signature_algorithm_the_host_computing_each(
        tmp_path, build, ca, leaf_key, options, algorithms):
    own = Pki(tmp_path, name="python signature CA", **ca)
    with openssl_server(own.leaf(["127.0.0.1"], key=leaf_key), BODY, *options) as url:
        response = fetch(build, v.pem_file(own.ca_pem), url)
    assert_computed_by(build, response, f"{build} {ca} {leaf_key} {options}")
    if build == "host-network-crypto":
        assert set(response.crypto["signatures"]) == algorithms, response.crypto


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
@pytest.mark.parametrize("case, reason", [
    ("wrong name", "name-mismatch"),
    ("unknown CA", "unknown-issuer"),
    ("expired", "expired"),
])
def test_verification_fails_the_same_way_through_the_lent_crypto(pki, tmp_path, version, case,
                                                                  reason):
    (tmp_path / "other").mkdir()
    served = {
        "wrong name": lambda: pki.leaf(["elsewhere.test"]),
        "unknown CA": lambda: Pki(tmp_path / "other", name="another CA").leaf(["127.0.0.1"]),
        "expired": lambda: pki.leaf(["127.0.0.1"], expired=True),
    }[case]()
    outcomes = []
    with openssl_server(served, b"must not arrive", version) as url:
        for build in BUILDS:
            with pytest.raises(v.HttpsError) as refused:
                fetch(build, v.pem_file(pki.ca_pem), url)
            outcomes.append(refusal(refused.value))
    assert outcomes[0][0] == "tls-certificate-error"
    assert outcomes[0][1] == reason, outcomes[0][3]
    assert outcomes[0][3].startswith("certificate verify failed: ")
    assert outcomes[0] == outcomes[1], "the builds disagree"


def refusal(error: v.HttpsError) -> tuple:
    """An error's case, its certificate error's case and fields, and its message, with the time
    of the check left out (the two builds check a second or so apart)."""
    case = error.payload
    fields = {} if case.payload is None else dict(vars(case.payload))
    message = str(error)
    if "time-used" in fields:
        message = message.replace(f"checked at {utc(fields.pop('time-used'))}", "checked at …")
    return error.tag, case.tag, fields, message


def utc(seconds: int) -> str:
    """A time as the component words it."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_refusal_through_the_lent_crypto_was_computed_by_the_host_up_to_it(pki):
    # In TLS 1.3 the key exchange comes before the certificate, so the host made a share and
    # opened the encrypted handshake of a connection whose certificate the component refused.
    lender = lent_crypto.CryptographyLender()
    client = v.Client(v.pem_file(pki.ca_pem), component=v.HOST_NETWORK_CRYPTO_COMPONENT,
                      transport=SocketTransport(loopback_only), crypto=lender)
    with openssl_server(pki.leaf(["elsewhere.test"]), b"must not arrive", "-tls1_3") as url:
        with pytest.raises(v.HttpsError):
            client.urlopen(url, proxy=None)
    assert lender.calls.key_shares == 1
    assert lender.calls.opens > 0


# lent_crypto.py alone: it refuses what it must, so a lending host never says "valid" or
# "opened" for input it did not check.

def test_each_aead_opens_what_it_sealed_and_nothing_changed():
    for algorithm, length in (("aes-128-gcm", 16), ("aes-256-gcm", 32), ("chacha20-poly1305", 32)):
        lender = lent_crypto.CryptographyLender()
        key = lent_crypto.AeadKey(lent_crypto.AEADS[algorithm][0](os.urandom(length)))
        nonce, aad = os.urandom(12), b"record header"
        sealed = key.seal(nonce, aad, b"a TLS record")
        assert len(sealed) == len(b"a TLS record") + 16
        assert key.open(nonce, aad, sealed) == b"a TLS record"
        flipped = bytes([sealed[0] ^ 1]) + sealed[1:]
        assert key.open(nonce, aad, flipped) is None
        assert key.open(nonce, b"other header", sealed) is None
        assert key.open(nonce, aad, sealed[:15]) is None
        assert isinstance(lender.aead_key_from(algorithm, os.urandom(length + 1)), str)


def test_each_group_agrees_once_and_refuses_a_point_that_is_not_one():
    for group in ("x25519", "secp256r1", "secp384r1"):
        ours, theirs = lent_crypto.KeyShare(group), lent_crypto.KeyShare(group)
        secret = ours.agree(theirs.public_key)
        assert secret == theirs.agree(ours.public_key)
        assert ours.agree(theirs.public_key) is None, "a second use"
        bogus = bytearray(lent_crypto.KeyShare(group).public_key)
        bogus[-1] ^= 1
        # A changed X25519 key is still a key; the all-zero point is the one of low order.
        invalid = bytes(32) if group == "x25519" else bytes(bogus)
        assert lent_crypto.KeyShare(group).agree(invalid) is None, group
    assert len(lent_crypto.KeyShare("secp256r1").public_key) == 65
    assert len(lent_crypto.KeyShare("secp384r1").public_key) == 97


def test_a_signature_verifies_only_for_its_message_key_and_algorithm():
    verify = lent_crypto.verify_signature
    message = b"signed handshake"
    point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_key = p256.public_key().public_bytes(*point)
    p256_sig = p256.sign(message, ec.ECDSA(hashes.SHA256()))
    assert verify("ecdsa-p256-sha256", p256_key, message, p256_sig)
    assert not verify("ecdsa-p256-sha256", p256_key, b"other", p256_sig)
    assert not verify("ecdsa-p256-sha384", p256_key, message, p256_sig)
    assert not verify("ecdsa-p384-sha256", p256_key, message, p256_sig)
    compressed = p256.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.CompressedPoint)
    assert not verify("ecdsa-p256-sha256", compressed, message, p256_sig)

    ed = ed25519.Ed25519PrivateKey.generate()
    ed_key = ed.public_key().public_bytes_raw()
    assert verify("ed25519", ed_key, message, ed.sign(message))
    assert not verify("ed25519", ed_key, b"other", ed.sign(message))

    pkcs1 = serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    key = rsa.generate_private_key(65537, 2048)
    rsa_key = key.public_key().public_bytes(*pkcs1)
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    assert verify("rsa-pkcs1-sha256", rsa_key, message, signature)
    assert not verify("rsa-pss-sha256", rsa_key, message, signature)
    assert not verify("rsa-pkcs1-sha384", rsa_key, message, signature)
    pss = key.sign(message, padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384())
    assert verify("rsa-pss-sha384", rsa_key, message, pss)
    longer_salt = key.sign(message, padding.PSS(padding.MGF1(hashes.SHA384()), 64), hashes.SHA384())
    assert not verify("rsa-pss-sha384", rsa_key, message, longer_salt), "salt of the hash's length"
    small = rsa.generate_private_key(65537, 1024)
    small_sig = small.sign(message, padding.PKCS1v15(), hashes.SHA256())
    assert not verify("rsa-pkcs1-sha256", small.public_key().public_bytes(*pkcs1), message,
                      small_sig), "under 2048 bits"
    assert not verify("rsa-pkcs1-sha256", b"not a key", message, signature)
