"""The `crypto` import (wit/crypto.wit) with `cryptography` (OpenSSL, natively): AEAD records,
key shares and signature checks for the `https-client-host-network-crypto` build
(target/verified-https-host-network-crypto.wasm), which also takes its TCP from this host
(transport.py).

    client = Client(trust, component=HOST_NETWORK_CRYPTO_COMPONENT,
                    transport=SocketTransport(allow=loopback_only), crypto=CryptographyLender())

The host only computes. Which suites, groups and signature algorithms are used, and what a
signature means for the chain, the component decides. AEAD keys and key shares are resources
kept here (wasmtime-py's `ResourceHost`, their numbers the keys of a dict), dropped when the
component drops them. What was computed is counted (`calls`), so a caller can see that the host
did the work.

`cryptography` has everything the WIT asks for: P-256 and P-384 shares as the uncompressed
points TLS carries (`EllipticCurvePublicKey.from_encoded_point`) and their raw x-coordinate
secrets, X25519 as raw bytes, and RSA keys in the DER RSAPublicKey the WIT passes
(`load_der_public_key` takes PKCS#1 as well as SubjectPublicKeyInfo).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any, Callable

import cryptography
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from wasmtime import component as wc

CRYPTO = "verified:https/crypto@0.1.0"

# Who computes, for messages.
LENDER = f"cryptography {cryptography.__version__}, {backend.openssl_version_text()}"

TAG_LENGTH = 16
NONCE_LENGTH = 12

# The `cryptography` class and key length of each WIT `aead-algorithm`.
AEADS: dict[str, tuple[Callable[[bytes], Any], int]] = {
    "aes-128-gcm": (AESGCM, 16),
    "aes-256-gcm": (AESGCM, 32),
    "chacha20-poly1305": (ChaCha20Poly1305, 32),
}

# The curve and uncompressed point length of each NIST `key-exchange-group`.
NIST_GROUPS = {
    "secp256r1": (ec.SECP256R1(), 65),
    "secp384r1": (ec.SECP384R1(), 97),
}

# Each WIT `signature-algorithm`: the key's kind, its hash, and for RSA the padding.
SIGNATURES: dict[str, tuple[str, Any, str | None]] = {
    "ecdsa-p256-sha256": ("p256", hashes.SHA256, None),
    "ecdsa-p256-sha384": ("p256", hashes.SHA384, None),
    "ecdsa-p384-sha256": ("p384", hashes.SHA256, None),
    "ecdsa-p384-sha384": ("p384", hashes.SHA384, None),
    "ed25519": ("ed25519", None, None),
    "rsa-pss-sha256": ("rsa", hashes.SHA256, "pss"),
    "rsa-pss-sha384": ("rsa", hashes.SHA384, "pss"),
    "rsa-pss-sha512": ("rsa", hashes.SHA512, "pss"),
    "rsa-pkcs1-sha256": ("rsa", hashes.SHA256, "pkcs1"),
    "rsa-pkcs1-sha384": ("rsa", hashes.SHA384, "pkcs1"),
    "rsa-pkcs1-sha512": ("rsa", hashes.SHA512, "pkcs1"),
}

# The curve of each ECDSA key kind.
CURVES = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1()}

# The resource types this host defines, by wasmtime-py's number for each.
AEAD_KEY_TYPE = 1
KEY_SHARE_TYPE = 2


@dataclass
class CryptoCalls:
    """What the host computed: records sealed and opened, key shares made, signatures checked
    (and how many of each WIT algorithm)."""

    seals: int = 0
    opens: int = 0
    key_shares: int = 0
    verifications: int = 0
    signatures: dict[str, int] = field(default_factory=dict)


class AeadKey:
    """The key of one direction of one TLS connection."""

    def __init__(self, cipher: Any):
        self._cipher = cipher

    def seal(self, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
        """The ciphertext followed by its 16-byte tag."""
        return self._cipher.encrypt(_checked_nonce(nonce), plaintext, aad)

    def open(self, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes | None:
        """The plaintext, or None (the WIT `err`) when the tag does not match or the input is
        shorter than a tag."""
        if len(ciphertext) < TAG_LENGTH:
            return None
        try:
            return self._cipher.decrypt(_checked_nonce(nonce), ciphertext, aad)
        except InvalidTag:
            return None


def _checked_nonce(nonce: bytes) -> bytes:
    """A nonce must be 12 bytes: anything else is a bug in the component, so a trap (an
    exception, which wasmtime-py turns into one)."""
    if len(nonce) != NONCE_LENGTH:
        raise ValueError(f"a nonce of {len(nonce)} bytes, not {NONCE_LENGTH}")
    return nonce


class KeyShare:
    """An ephemeral private key for one handshake; used once."""

    def __init__(self, group: str):
        self.group = group
        if group == "x25519":
            self._private: Any = x25519.X25519PrivateKey.generate()
            self.public_key = self._private.public_key().public_bytes_raw()
        else:
            curve, _ = NIST_GROUPS[group]
            self._private = ec.generate_private_key(curve)
            self.public_key = self._private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    def agree(self, peer: bytes) -> bytes | None:
        """The shared secret with `peer`, or None (the WIT `err`) for an invalid peer key, an
        all-zero secret, or a second use."""
        private, self._private = self._private, None
        if private is None:
            return None
        try:
            if self.group == "x25519":
                if len(peer) != 32:
                    return None
                secret = private.exchange(x25519.X25519PublicKey.from_public_bytes(peer))
            else:
                # TLS carries uncompressed points only; the point is checked to be on the curve.
                curve, point_length = NIST_GROUPS[self.group]
                if len(peer) != point_length or peer[0] != 4:
                    return None
                secret = private.exchange(
                    ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, peer))
        except ValueError:
            return None
        if hmac.compare_digest(secret, bytes(len(secret))):
            return None
        return secret


def verify_signature(algorithm: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid signature of `message` by `public_key` (the content of a
    SubjectPublicKeyInfo's BIT STRING) under `algorithm`; a key that cannot be parsed, or one of
    another kind or size than the algorithm's, is not valid."""
    how = SIGNATURES.get(algorithm)
    if how is None:
        return False
    kind, hash_type, rsa_padding = how
    try:
        if kind == "ed25519":
            ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        elif kind in CURVES:
            if public_key[:1] != b"\x04":
                return False  # the WIT's keys are uncompressed points
            key = ec.EllipticCurvePublicKey.from_encoded_point(CURVES[kind], public_key)
            key.verify(signature, message, ec.ECDSA(hash_type()))
        else:
            key = serialization.load_der_public_key(public_key)
            # webpki's RSA algorithms take 2048 to 8192 bits; PSS's salt is the hash's length.
            if not isinstance(key, rsa.RSAPublicKey) or not 2048 <= key.key_size <= 8192:
                return False
            if rsa_padding == "pss":
                scheme: Any = padding.PSS(mgf=padding.MGF1(hash_type()),
                                          salt_length=padding.PSS.DIGEST_LENGTH)
            else:
                scheme = padding.PKCS1v15()
            key.verify(signature, message, scheme, hash_type())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class CryptographyLender:
    """The `crypto` interface over `cryptography`, its resources kept in dicts."""

    def __init__(self) -> None:
        self.name = LENDER
        self.calls = CryptoCalls()
        self._keys: dict[int, AeadKey] = {}
        self._shares: dict[int, KeyShare] = {}
        self._next = 1

    def add_to(self, root) -> None:
        """Defines the import's resources and functions in a linker's root instance."""
        with root.add_instance(CRYPTO) as imports:
            imports.add_resource("aead-key", wc.ResourceType.host(AEAD_KEY_TYPE),
                                 lambda _store, rep: self._keys.pop(rep, None))
            imports.add_resource("key-share", wc.ResourceType.host(KEY_SHARE_TYPE),
                                 lambda _store, rep: self._shares.pop(rep, None))
            imports.add_func("aead-key-from", lambda _store, *args: self.aead_key_from(*args))
            imports.add_func("[method]aead-key.seal",
                             lambda store, key, *args: self.seal(self._key(store, key), *args))
            imports.add_func("[method]aead-key.open",
                             lambda store, key, *args: self.open(self._key(store, key), *args))
            imports.add_func("start-key-exchange",
                             lambda _store, *args: self.start_key_exchange(*args))
            imports.add_func("[method]key-share.public-key",
                             lambda store, share: self._share(store, share).public_key)
            imports.add_func("[method]key-share.agree",
                             lambda store, share, peer: self._share(store, share).agree(peer))
            imports.add_func("verify-signature",
                             lambda _store, *args: self.verify_signature(*args))

    def aead_key_from(self, algorithm: str, key: bytes) -> wc.ResourceHost | str:
        """`aead-key-from`: a key resource, or why not (a str: the WIT `err`)."""
        aead = AEADS.get(algorithm)
        if aead is None:
            return f"cryptography lends no AEAD {algorithm}"
        cipher, length = aead
        if len(key) != length:
            return f"a {algorithm} key is {length} bytes, not {len(key)}"
        return self._own(self._keys, AeadKey(cipher(key)), AEAD_KEY_TYPE)

    def seal(self, key: AeadKey, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
        """`[method]aead-key.seal`."""
        self.calls.seals += 1
        return key.seal(nonce, aad, plaintext)

    def open(self, key: AeadKey, nonce: bytes, aad: bytes, ciphertext: bytes) -> bytes | None:
        """`[method]aead-key.open`."""
        self.calls.opens += 1
        return key.open(nonce, aad, ciphertext)

    def start_key_exchange(self, group: str) -> wc.ResourceHost | str:
        """`start-key-exchange`: a share resource, or why not (a str: the WIT `err`)."""
        self.calls.key_shares += 1
        if group != "x25519" and group not in NIST_GROUPS:
            return f"cryptography lends no key exchange group {group}"
        return self._own(self._shares, KeyShare(group), KEY_SHARE_TYPE)

    def verify_signature(self, algorithm: str, public_key: bytes, message: bytes,
                         signature: bytes) -> bool:
        """`verify-signature`."""
        self.calls.verifications += 1
        self.calls.signatures[algorithm] = self.calls.signatures.get(algorithm, 0) + 1
        return verify_signature(algorithm, public_key, message, signature)

    def _own(self, table: dict[int, Any], value: Any, resource_type: int) -> wc.ResourceHost:
        """Keeps `value` under a fresh number and hands the component an owned handle to it."""
        rep = self._next
        self._next += 1
        table[rep] = value
        return wc.ResourceHost.own(rep, resource_type)

    def _key(self, store: Any, handle: wc.ResourceAny) -> AeadKey:
        """The AEAD key a borrowed handle stands for (a KeyError, so a trap, if none)."""
        return self._keys[handle.to_host(store).rep]

    def _share(self, store: Any, handle: wc.ResourceAny) -> KeyShare:
        """The key share a borrowed handle stands for (a KeyError, so a trap, if none)."""
        return self._shares[handle.to_host(store).rep]
