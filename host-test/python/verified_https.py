"""verified-https for Python: the component in wasmtime-py, with trust chosen by the host.

    client = Client(ssl_default_verify_paths())   # or Client(pem_file("ca.pem"))
    response = client.urlopen("https://example.org/")
    response.status, response.tls["verified"], response.read()
    context = client.create_context(cert=..., key=..., pinned_public_keys=[...], min_version="1.3")
    context.verify_chain(chain, "example.org")

Trust comes from the Python side, by the rules of `https-get`: `ssl_default_verify_paths()`
(SSL_CERT_FILE, else SSL_CERT_DIR, else the platform bundle; a named location that is missing
or empty is an error, never a fallback, and sources are never merged) or a PEM file. With none,
verified requests fail with `trust-store-unavailable`, saying why; `urlopen(..., insecure=True)`
uses the component's explicit unverified context and the response says `verified: False`.

Requests: `host_network_client(trust, allow)` runs the build whose TCP is this host's sockets
(transport.py) and whose crypto this host lends with `cryptography` (lent_crypto.py: AEAD
records, key shares, signature checks; every decision stays in the component);
`lend_crypto=False` runs the build that computes its own crypto. Each response's `crypto` says
which ran, in `https-get -v`'s words.

Sockets: this host cannot give the component TCP (wasmtime-py 50). wasmtime-wasi allows TCP only
after `WasiCtxBuilder::allow_tcp(true)`; the C API that wasmtime-py wraps offers
`wasi_config_inherit_network` and `wasi_config_allow_ip_name_lookup` but nothing that allows TCP,
so every connect fails with `access-denied` (surfacing as `destination-unavailable`). Name
lookups and everything that needs no socket work: trust, contexts, `verify_chain`. See
host-test/python/README.md for the reproduction.
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import wasmtime
from wasmtime import _bindings  # wasi_config_inherit_network: not wrapped by WasiConfig
from wasmtime import component as wc

from lent_crypto import CryptographyLender
from transport import SocketTransport

CLIENT = "verified:https/client@0.1.0"
TRUST = "verified:https/trust@0.1.0"
DEFAULT_COMPONENT = Path(__file__).resolve().parents[2] / "target" / "verified-https.wasm"
# The build whose TCP goes through the `transport` import (transport.py answers it).
HOST_NETWORK_COMPONENT = DEFAULT_COMPONENT.with_name("verified-https-host-network.wasm")
# The same build importing `crypto` too (lent_crypto.py answers it).
HOST_NETWORK_CRYPTO_COMPONENT = DEFAULT_COMPONENT.with_name("verified-https-host-network-crypto.wasm")

# What a response says when the component computed its crypto itself.
CRYPTO_INSIDE = {
    "lent": False,
    "by": "the component",
    "description": "inside the component (ring in wasm; it imports no crypto)",
}


class HttpsError(Exception):
    """A request failed; `code` is the component's `error-code` (a `Variant`, or its tag), and
    the message is the component's own wording of it (`describe-error`)."""

    def __init__(self, code: Any, message: str):
        self.code = code
        self.tag = getattr(code, "tag", code)
        self.payload = getattr(code, "payload", None)
        super().__init__(message)


def pem_certificates(text: str) -> list[bytes]:
    """The DER bytes of every CERTIFICATE block in PEM text."""
    marker_end = "-----END CERTIFICATE-----"
    certificates = []
    for block in text.split(marker_end)[:-1]:
        start = block.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            certificates.append(ssl.PEM_cert_to_DER_cert(block[start:] + marker_end + "\n"))
    return certificates


def pem_file(path: str | os.PathLike) -> list[bytes]:
    """The certificates of one PEM file; a file without any is an error."""
    found = pem_certificates(Path(path).read_text())
    if not found:
        raise ValueError(f"{path} contains no PEM certificate")
    return found


# Where platforms keep their CA bundle: the list `https-get` searches
# (host-test/host/src/trust_store.rs, PLATFORM_BUNDLES), after the bundle Python's own OpenSSL
# was built to use.
PLATFORM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)

# What to tell a user who has no trust store.
HOW_TO_FIX = "set SSL_CERT_FILE or SSL_CERT_DIR, or pass pem_file(path) to Client"


def ssl_default_verify_paths() -> list[bytes] | str:
    """The host's trust store by the rules of `https-get` (and PEP 476's variables):
    SSL_CERT_FILE if set, else SSL_CERT_DIR if set, else the platform bundle. A variable that
    names a missing or unreadable location, or one without a certificate, is an error (the
    message, returned as a str), never a reason to look elsewhere; sources are never merged."""
    platform = [Path(p) for p in (ssl.get_default_verify_paths().openssl_cafile, *PLATFORM_BUNDLES) if p]
    return find_trust_store(
        os.environ.get("SSL_CERT_FILE") or None,
        os.environ.get("SSL_CERT_DIR") or None,
        platform,
    )


def find_trust_store(
    cert_file: str | os.PathLike | None,
    cert_dir: str | os.PathLike | None,
    platform: list[Path],
) -> list[bytes] | str:
    """`ssl_default_verify_paths` with its inputs given: the certificates (DER, each once) of
    `cert_file`, else of `cert_dir`, else of the first of `platform` that is a file; or why
    there are none."""
    if cert_file is not None:
        return _store_file(Path(cert_file), f"SSL_CERT_FILE={cert_file}")
    if cert_dir is not None:
        return _store_dir(Path(cert_dir), f"SSL_CERT_DIR={cert_dir}")
    for bundle in platform:
        if bundle.is_file():
            return _store_file(bundle, str(bundle))
    return (
        "no trust store found: SSL_CERT_FILE and SSL_CERT_DIR are not set and no platform "
        f"bundle exists ({', '.join(str(p) for p in platform)}); {HOW_TO_FIX}"
    )


def _store_file(path: Path, origin: str) -> list[bytes] | str:
    """Every certificate in a PEM file; none, or a file that cannot be read, is an error."""
    try:
        text = path.read_bytes().decode("ascii", errors="replace")
    except OSError as e:
        return f"cannot read {origin}: {e.strerror or e}; {HOW_TO_FIX}"
    try:
        found = pem_certificates(text)
    except ValueError as e:
        return f"{origin}: invalid PEM: {e}"
    if not found:
        return f"{origin} holds no PEM certificate; {HOW_TO_FIX}"
    return list(dict.fromkeys(found))


def _store_dir(directory: Path, origin: str) -> list[bytes] | str:
    """Every certificate in the PEM files of a directory, each once (OpenSSL's hashed links
    included); files without certificates are skipped, but none at all is an error."""
    try:
        entries = sorted(directory.iterdir())
    except OSError as e:
        return f"cannot read {origin}: {e.strerror or e}; {HOW_TO_FIX}"
    found: list[bytes] = []
    for entry in entries:
        try:
            if entry.is_file():
                found += pem_certificates(entry.read_bytes().decode("ascii", errors="replace"))
        except (OSError, ValueError):
            continue
    if not found:
        return f"{origin} holds no PEM certificate; {HOW_TO_FIX}"
    return list(dict.fromkeys(found))


# `min_version`/`max_version` of `Client.create_context`: the WIT `tls-version`.
TLS_VERSIONS = {
    "1.2": "tls12",
    "1.3": "tls13",
    ssl.TLSVersion.TLSv1_2: "tls12",
    ssl.TLSVersion.TLSv1_3: "tls13",
}

# The length of a SHA-256 digest, which each pinned public key is.
PIN_BYTES = 32


def parse_pins(pins: str | bytes | list[str | bytes]) -> list[bytes]:
    """Pinned public keys as 32-byte digests: `bytes` of 32, or `sha256//BASE64` (curl's
    `--pinnedpubkey` spelling; one `str` may hold several, separated by `;`). Anything else is a
    ValueError."""
    if isinstance(pins, (str, bytes)):
        pins = pins.split(";") if isinstance(pins, str) else [pins]
    digests = []
    for pin in pins:
        if isinstance(pin, (bytes, bytearray)):
            digest = bytes(pin)
        elif isinstance(pin, str) and pin.startswith("sha256//"):
            try:
                digest = base64.b64decode(pin[len("sha256//"):], validate=True)
            except binascii.Error as e:
                raise ValueError(f"pinned public key {pin!r} is not sha256//BASE64: {e}") from None
        else:
            raise ValueError(f"a pinned public key is 32 bytes or 'sha256//BASE64', not {pin!r}")
        if len(digest) != PIN_BYTES:
            raise ValueError(
                f"a pinned public key is a SHA-256 digest of {PIN_BYTES} bytes, not {len(digest)}")
        digests.append(digest)
    return digests


def _pem_bytes(name: str, pem: str | bytes | os.PathLike) -> bytes:
    """PEM text given as `str` or `bytes`, or read from a path (`pathlib.Path`)."""
    if isinstance(pem, os.PathLike):
        return Path(pem).read_bytes()
    if isinstance(pem, str):
        return pem.encode("ascii")
    if isinstance(pem, (bytes, bytearray)):
        return bytes(pem)
    raise TypeError(f"{name} is PEM text (str or bytes) or a pathlib.Path, not {type(pem).__name__}")


@dataclass
class Response:
    """A response whose body has been read."""

    url: str
    status: int
    reason: str
    headers: list[tuple[str, bytes]]
    tls: dict[str, Any] | None
    body: bytes = field(repr=False)
    # Who computed this request's crypto: `{"lent": True, "by", "seals", "opens", "key_shares",
    # "verifications", "signatures", "description"}` (this request's counts; `signatures` by WIT
    # algorithm) when the host lent it, else CRYPTO_INSIDE.
    crypto: dict[str, Any] = field(default_factory=lambda: dict(CRYPTO_INSIDE))

    def read(self) -> bytes:
        return self.body


def proxy_from_environment(url: str, environ: Any = os.environ) -> dict | None:
    """The proxy for `url` as curl reads the environment (the component reads none):
    `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy` (lower case only) for http, then
    `all_proxy`/`ALL_PROXY`; `NO_PROXY`/`no_proxy` lists the hosts reached directly. `None`: no
    proxy. A URL without a scheme is http://, as curl takes it."""
    def first(*names: str) -> str | None:
        return next((environ[n] for n in names if environ.get(n)), None)

    if url.startswith("https:"):
        proxy = first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
    else:
        proxy = first("http_proxy", "all_proxy", "ALL_PROXY")
    if not proxy:
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    no_proxy = [e.strip() for e in (first("NO_PROXY", "no_proxy") or "").split(",") if e.strip()]
    return {"url": proxy, "no_proxy": no_proxy}


_FROM_ENVIRONMENT = object()


# One engine for every Client, so that each build is compiled once per process (a second or
# more each time); every Client still has a store and an instance of its own.
_ENGINE = wasmtime.Engine()
_COMPILED: dict[str, wc.Component] = {}


def _compiled(component: str | os.PathLike) -> wc.Component:
    """The build at `component`, compiled by `_ENGINE` once."""
    path = str(Path(component).resolve())
    if path not in _COMPILED:
        _COMPILED[path] = wc.Component.from_file(_ENGINE, path)
    return _COMPILED[path]


class Client:
    """One instance of the component; trust is what the constructor was given."""

    def __init__(self, trust: list[bytes] | str, component: str | os.PathLike = DEFAULT_COMPONENT,
                 transport: Any = None, crypto: Any = None):
        """`transport` (a `transport.SocketTransport`) answers the `transport` import of the
        HOST_NETWORK_COMPONENT build: requests then work, over Python sockets. `crypto` (a
        `lent_crypto.CryptographyLender`) answers the `crypto` import of the
        HOST_NETWORK_CRYPTO_COMPONENT build."""
        self._crypto = crypto
        engine = _ENGINE
        self._store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.inherit_stderr()
        # As much network as the C API can grant (see the module docstring: not TCP).
        _bindings.wasi_config_inherit_network(wasi.ptr())
        _bindings.wasi_config_allow_ip_name_lookup(wasi.ptr(), True)
        self._store.set_wasi(wasi)
        linker = wc.Linker(engine)
        linker.add_wasip2()
        # result<list<list<u8>>, string>: a list is ok, a str is err.
        anchors = trust if isinstance(trust, str) else [bytes(c) for c in trust]
        with linker.root() as root:
            with root.add_instance(TRUST) as imports:
                imports.add_func("trust-anchors", lambda _store: anchors)
                imports.add_func("revocation-lists", lambda _store: [])
            if transport is not None:
                transport.add_to(root)
            if crypto is not None:
                crypto.add_to(root)
        self._instance = linker.instantiate(self._store, _compiled(component))
        self._client = self._instance.get_export_index(self._store, CLIENT)
        self._funcs: dict[str, wc.Func] = {}  # exports looked up once

    def _call(self, name: str, *args: Any) -> Any:
        func = self._funcs.get(name)
        if func is None:
            index = self._instance.get_export_index(self._store, name, self._client)
            func = self._funcs[name] = self._instance.get_func(self._store, index)
        return func(self._store, *args)

    def _ok(self, value: Any) -> Any:
        """A `result` from the component: the ok value, or HttpsError for the error-code.

        wasmtime-py returns a result untagged when its ok and err values are of different Python
        types (here: a resource, bytes or None against the `error-code` Variant), tagged
        otherwise.
        """
        if isinstance(value, wc.Variant):
            if value.tag == "ok":
                return value.payload
            code = value.payload if value.tag == "err" else value
            raise HttpsError(code, self._call("describe-error", code))
        return value

    def verify_chain(self, chain: list[bytes], server_name: str) -> None:
        """Verifies a chain (DER, end-entity first) for `server_name` with the verified context's
        own verifier; raises HttpsError with the certificate error."""
        context = self._ok(self._call("create-default-context"))
        self._ok(self._call("[method]context.verify-chain", context, chain, server_name))

    def create_context(
        self,
        *,
        cert: str | bytes | os.PathLike | None = None,
        key: str | bytes | os.PathLike | None = None,
        pinned_public_keys: str | bytes | list[str | bytes] = (),
        min_version: str | ssl.TLSVersion | None = None,
        max_version: str | ssl.TLSVersion | None = None,
    ) -> "Context":
        """A verified context with TLS options (the component's `create-context`), trusting
        what this client was given (the trust import: no trust is `trust-store-unavailable`,
        never a fallback).

        - `cert`, `key`: the client's certificate chain (PEM, end-entity first) and private key
          (PEM; it may be in `cert` instead), as text or a `pathlib.Path`, sent to servers that
          ask for one. A key that does not belong to the certificate, or no key at all, raises
          HttpsError `invalid-client-identity` here. Default: none.
        - `pinned_public_keys`: SHA-256 digests of SubjectPublicKeyInfos (see `parse_pins`);
          the server's key must be one of them, checked besides the chain and name, never
          instead (else `pin-mismatch`). Default: no pinning.
        - `min_version`, `max_version`: `"1.2"`/`"1.3"` or `ssl.TLSVersion`. Default: TLS 1.2
          to TLS 1.3.
        """
        if key is not None and cert is None:
            raise ValueError("key needs cert (the certificate the key belongs to)")
        # wasmtime-py tags a variant only when two of its cases share a Python type (as for
        # `_ok`): `client-identity` (bytes, a Record, nothing) and `trust-anchors` (nothing,
        # bytes, a list) are untagged, so `pem` is the bytes themselves and `host` is None; the
        # option around `client-identity` then is tagged (its none and `host` are both None).
        identity = wc.Variant("none")
        if cert is not None:
            pem = _pem_bytes("cert", cert)
            if key is not None:
                pem += (b"" if pem.endswith(b"\n") else b"\n") + _pem_bytes("key", key)
            identity = wc.Variant("some", pem)
        versions = []
        for name, version in (("min_version", min_version), ("max_version", max_version)):
            if version is not None and version not in TLS_VERSIONS:
                raise ValueError(f"{name} is '1.2' or '1.3' (or ssl.TLSVersion), not {version!r}")
            versions.append(None if version is None else TLS_VERSIONS[version])
        limits = _record(
            max_header_section_bytes=None,
            max_header_count=None,
            max_status_line_bytes=None,
            max_chunk_line_bytes=None,
            max_interim_responses=None,
            max_body_bytes=None,
        )
        options = _record(
            trust_anchors=None,  # `host`: the trust import
            revocation_lists=[],
            limits=limits,
            client_identity=identity,
            min_version=versions[0],
            max_version=versions[1],
            pinned_public_keys=parse_pins(pinned_public_keys),
        )
        return Context(self, self._ok(self._call("create-context", options)))

    def unverified_verify_chain(self, chain: list[bytes], server_name: str) -> None:
        """The same through the unverified context, which refuses to verify anything."""
        context = self._call("create-unverified-context")
        self._ok(self._call("[method]context.verify-chain", context, chain, server_name))

    def urlopen(self, url: str, *, insecure: bool = False, timeout_ms: int = 30_000,
                proxy: Any = _FROM_ENVIRONMENT) -> Response:
        """GET `url` (like urllib.request.urlopen); raises HttpsError on any failure. `proxy`:
        `{"url": ..., "no_proxy": [...]}`, `None` for a direct connection, or (absent) what
        `proxy_from_environment` finds."""
        if insecure:
            context = self._call("create-unverified-context")
        else:
            context = self._ok(self._call("create-default-context"))
        return self._get(context, url, timeout_ms, proxy)

    def _get(self, context: Any, url: str, timeout_ms: int, proxy: Any = _FROM_ENVIRONMENT) -> Response:
        """GET `url` through `context` (and `proxy`, as `urlopen` takes it), the whole body
        read."""
        if proxy is _FROM_ENVIRONMENT:
            proxy = proxy_from_environment(url)
        options = _record(
            connect_timeout_ms=None,
            handshake_timeout_ms=None,
            read_timeout_ms=None,
            timeout_ms=timeout_ms,
            connect_overrides=[],
            redirects=None,
            accept_encoding=None,
            proxy=None if proxy is None else _record(url=proxy["url"], no_proxy=list(proxy["no_proxy"])),
        )
        request = _record(method="GET", url=url, headers=[], body=None, options=options)
        before = None if self._crypto is None else copy.deepcopy(self._crypto.calls)
        response = self._ok(self._call("[method]context.send", context, request))
        body = bytearray()
        while (piece := self._ok(self._call("[method]response.read-body", response, 1 << 20))) is not None:
            body += piece
        tls = self._call("[method]response.tls", response)
        return Response(
            url=self._call("[method]response.url", response),
            status=self._call("[method]response.status", response),
            reason=self._call("[method]response.reason", response),
            headers=[(h.name, bytes(h.value)) for h in self._call("[method]response.headers", response)],
            tls=None if tls is None else {k.replace("-", "_"): v for k, v in tls.__dict__.items()},
            body=bytes(body),
            crypto=self._crypto_report(before),
        )

    def _crypto_report(self, before: Any) -> dict[str, Any]:
        """Who computed a request's crypto, and what the host computed for it since `before`."""
        if self._crypto is None:
            return dict(CRYPTO_INSIDE)
        now = self._crypto.calls
        counts = {name: getattr(now, name) - getattr(before, name)
                  for name in ("seals", "opens", "key_shares", "verifications")}
        signatures = {algorithm: count - before.signatures.get(algorithm, 0)
                      for algorithm, count in now.signatures.items()
                      if count > before.signatures.get(algorithm, 0)}
        by = self._crypto.name
        return {
            "lent": True,
            "by": by,
            **counts,
            "signatures": signatures,
            "description": (
                f"lent by the host ({by}): {counts['seals']} records sealed, {counts['opens']} "
                f"opened, {counts['key_shares']} key shares, {counts['verifications']} "
                "signatures verified"),
        }


def host_network_client(trust: list[bytes] | str, allow: Callable[[str, int], bool], *,
                        lend_crypto: bool = True) -> Client:
    """A client that can make requests: its TCP is this host's sockets, where `allow(address,
    port)` says (transport.py), and by default its crypto is this host's `cryptography`
    (lent_crypto.py; the HOST_NETWORK_CRYPTO_COMPONENT build). With `lend_crypto=False` the
    component computes its crypto itself (the HOST_NETWORK_COMPONENT build)."""
    if lend_crypto:
        return Client(trust, component=HOST_NETWORK_CRYPTO_COMPONENT,
                      transport=SocketTransport(allow), crypto=CryptographyLender())
    return Client(trust, component=HOST_NETWORK_COMPONENT, transport=SocketTransport(allow))


class Context:
    """A verified context with TLS options, from `Client.create_context`."""

    def __init__(self, client: Client, handle: Any):
        self._client = client
        self._handle = handle

    def verify_chain(self, chain: list[bytes], server_name: str) -> None:
        """Verifies a chain (DER, end-entity first) for `server_name` as a handshake through
        this context would, pins included; raises HttpsError (`tls-certificate-error`,
        `pin-mismatch`)."""
        self._client._ok(
            self._client._call("[method]context.verify-chain", self._handle, chain, server_name))

    def urlopen(self, url: str, *, timeout_ms: int = 30_000) -> Response:
        """GET `url` through this context (but see the module docstring: no TCP here)."""
        return self._client._get(self._handle, url, timeout_ms)


def _record(**fields: Any) -> wc.Record:
    """A WIT record: field names as in WIT (`timeout-ms`), from Python's (`timeout_ms`)."""
    record = wc.Record()
    for name, value in fields.items():
        setattr(record, name.replace("_", "-"), value)
    return record
