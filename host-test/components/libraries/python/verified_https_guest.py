"""HTTPS for Python components, with urllib's shape and PEP 476's rules.

CPython's WASI build has no ``ssl`` module. This module gives a componentize-py component
verified HTTPS back through the verified-https client it imports (``verified:https/client``,
satisfied by composing the component with the client and a trust provider)::

    import verified_https_guest as urllib_request

    with urllib_request.urlopen("https://example.test/", timeout=10) as response:
        while piece := response.read(65536):
            ...

As PEP 476 says: requests verify the server's chain and host name by default, against the
anchors of the composition (``create_default_context()``) or the caller's
(``create_default_context(cafile=..., cadata=...)``); no anchors is an error, never an empty
store; ``_create_unverified_context()`` is the one opt-out, and every response made through
it says so (``response.verified`` is False). Errors are urllib's: ``HTTPError`` for a status
of 400 or more (itself a response), ``URLError`` otherwise, whose ``reason`` is an
``SSLCertVerificationError`` (with CPython's ``verify_code`` and ``verify_message``) when the
certificate was refused. Messages are the client's own (its ``describe-error``).
"""

import dataclasses
import email.message
import io
import os
import typing

from componentize_py_types import Err
from wit_world.imports import client

__all__ = [
    "HTTPError",
    "HTTPResponse",
    "SSLCertVerificationError",
    "SSLContext",
    "SSLError",
    "URLError",
    "create_default_context",
    "urlopen",
]

#: The most body bytes asked of the client in one read.
_MAX_READ = 65536

#: urlopen's default timeout: the client's own defaults (30 s to connect, 5 minutes of silence).
_DEFAULT_TIMEOUT = object()

#: OpenSSL's X509_V_ERR codes, which CPython's ``verify_code`` carries, for the client's
#: certificate errors (1, X509_V_ERR_UNSPECIFIED, for the rest).
_VERIFY_CODES = {
    client.CertificateError_UnknownIssuer: 20,  # unable to get local issuer certificate
    client.CertificateError_SelfSigned: 18,  # self-signed certificate
    client.CertificateError_Expired: 10,  # certificate has expired
    client.CertificateError_NotYetValid: 9,  # certificate is not yet valid
    client.CertificateError_NameMismatch: 62,  # hostname mismatch
    client.CertificateError_BadSignature: 7,  # certificate signature failure
    client.CertificateError_Revoked: 23,  # certificate revoked
    client.CertificateError_InvalidPurpose: 26,  # unsupported certificate purpose
    client.CertificateError_UnhandledCriticalExtension: 34,  # unhandled critical extension
}


class URLError(OSError):
    """A request that failed (as ``urllib.error.URLError``): ``reason`` says why, and
    ``error_code`` is the client's error case (a ``wit_world.imports.client.ErrorCode_*``)."""

    def __init__(self, reason, error_code=None):
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code

    def __str__(self):
        return f"<urlopen error {self.reason}>"


class SSLError(OSError):
    """A TLS failure other than a refused certificate (as ``ssl.SSLError``)."""


class SSLCertVerificationError(SSLError, ValueError):
    """The server's certificate chain or name was refused (as ``ssl.SSLCertVerificationError``).

    ``verify_code`` is OpenSSL's X509_V_ERR code for the reason, as CPython reports it;
    ``verify_message`` the client's wording of it."""

    def __init__(self, verify_code, verify_message):
        super().__init__(
            1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {verify_message}"
        )
        self.verify_code = verify_code
        self.verify_message = verify_message

    def __str__(self):
        return self.strerror


class SSLContext:
    """Whom requests trust (as ``ssl.SSLContext``); make one with ``create_default_context``
    or, for the one opt-out, ``_create_unverified_context``."""

    def __init__(self, context, verified):
        self._context = context
        #: Whether chain and host name are verified (``ssl.CERT_REQUIRED`` and
        #: ``check_hostname``); False only for the unverified context.
        self.check_hostname = verified

    def __repr__(self):
        if self.check_hostname:
            return "<SSLContext verified>"
        return "<SSLContext UNVERIFIED: certificates are not checked>"


def create_default_context(cafile=None, capath=None, cadata=None):
    """A verified context (as ``ssl.create_default_context``): the anchors of the component's
    composition, or exactly those of ``cafile`` (a PEM file), ``capath`` (a directory of PEM
    files) or ``cadata`` (PEM text or DER bytes) when given; never both, never merged.
    Raises ``URLError`` when they cannot be used."""
    given = [source for source in (cafile, capath, cadata) if source is not None]
    try:
        if not given:
            return SSLContext(client.create_default_context(), True)
        if len(given) > 1:
            raise ValueError("give one of cafile, capath and cadata: anchors are never merged")
        if cafile is not None:
            anchors = client.TrustAnchors_Pem(_read(cafile))
        elif capath is not None:
            anchors = client.TrustAnchors_Pem(_read_directory(capath))
        elif isinstance(cadata, str):
            anchors = client.TrustAnchors_Pem(cadata.encode("ascii"))
        else:
            anchors = client.TrustAnchors_Der([bytes(cadata)])
        options = _record(
            client.ContextOptions, trust_anchors=anchors, limits=_record(client.Limits)
        )
        return SSLContext(client.create_context(options), True)
    except Err as err:
        raise _url_error(err.value) from None


def _create_unverified_context():
    """DANGER: a context that does not verify the server's chain or name (as CPython's
    ``ssl._create_unverified_context``). TLS still runs, to a server nobody vouched for;
    every response through it has ``verified`` False."""
    return SSLContext(client.create_unverified_context(), False)


class HTTPResponse(io.RawIOBase):
    """A response whose head has arrived (as ``http.client.HTTPResponse``); the body is read
    in pieces as the server sends it (``read(amt)``, ``readinto``, iteration by lines). A body
    that ends before its framing says it is complete raises ``URLError``, never a shorter
    success."""

    def __init__(self, response):
        super().__init__()
        self._response = response
        self._finished = False
        self.status = response.status()
        self.reason = response.reason()
        self.url = response.url()
        self.headers = email.message.Message()
        for field in response.headers():
            self.headers[field.name] = field.value.decode("latin-1")
        tls = response.tls()
        #: Whether the server's chain and name were verified.
        self.verified = bool(tls and tls.verified)
        #: The TLS version and cipher suite, or None for ``http://``.
        self.tls = (tls.version, tls.cipher_suite) if tls else None

    def readable(self):
        return True

    def readinto(self, buffer):
        if self._finished or len(buffer) == 0:
            return 0
        while True:
            try:
                piece = self._response.read_body(min(len(buffer), _MAX_READ))
            except Err as err:
                raise _url_error(err.value) from None
            if piece is None:
                self._finished = True
                return 0
            if piece:
                buffer[: len(piece)] = piece
                return len(piece)

    def getcode(self):
        """The status code."""
        return self.status

    def geturl(self):
        """The URL this response answers (after any redirects followed)."""
        return self.url

    def info(self):
        """The header fields."""
        return self.headers

    def getheader(self, name, default=None):
        """The value of the header field ``name``, or ``default``."""
        return self.headers.get(name, default)


class HTTPError(URLError):
    """A response with a status of 400 or more (as ``urllib.error.HTTPError``): an error whose
    body can be read (``read``, ``fp``) like any response's."""

    def __init__(self, response):
        self.fp = HTTPResponse(response)
        super().__init__(f"HTTP Error {self.fp.status}: {self.fp.reason}")
        self.code = self.status = self.fp.status
        self.msg = self.fp.reason
        self.hdrs = self.headers = self.fp.headers
        self.url = self.fp.url

    def __str__(self):
        return f"HTTP Error {self.code}: {self.msg}"

    def read(self, amt=-1):
        """Up to ``amt`` bytes of the body (all of it by default)."""
        return self.fp.read(amt)

    def getcode(self):
        """The status code."""
        return self.code


def urlopen(url, data=None, timeout=_DEFAULT_TIMEOUT, *, context=None):
    """Opens ``url`` (as ``urllib.request.urlopen``): a GET, or a POST of ``data`` (bytes).
    ``timeout`` (seconds) bounds the connection and each wait for the server; ``context`` is
    an ``SSLContext``, a verified one by default. Returns an ``HTTPResponse``; raises
    ``HTTPError`` for a status of 400 or more and ``URLError`` for every failure."""
    if context is None:
        context = create_default_context()
    if not isinstance(context, SSLContext):
        raise TypeError("context must come from create_default_context()")
    timeout_ms = None if timeout is _DEFAULT_TIMEOUT else max(1, int(timeout * 1000))
    request = _record(
        client.Request,
        method="GET" if data is None else "POST",
        url=url,
        body=None if data is None else bytes(data),
        options=_record(
            client.RequestOptions,
            connect_timeout_ms=timeout_ms,
            handshake_timeout_ms=timeout_ms,
            read_timeout_ms=timeout_ms,
        ),
    )
    try:
        response = context._context.send(request)
    except Err as err:
        raise _url_error(err.value) from None
    if response.status() >= 400:
        raise HTTPError(response)
    return HTTPResponse(response)


def _record(record_type, **given):
    """A record of the client's WIT with the fields ``given``, every other field at its
    default: none for an option, empty for a list (so that fields a newer client adds are
    absent, as their WIT defaults say)."""
    hints = typing.get_type_hints(record_type)
    values = {}
    for field in dataclasses.fields(record_type):
        if field.name in given:
            values[field.name] = given.pop(field.name)
        elif typing.get_origin(hints[field.name]) is list:
            values[field.name] = []
        else:
            values[field.name] = None
    if given:
        raise TypeError(f"{record_type.__name__} has no field {sorted(given)}")
    return record_type(**values)


def _url_error(code):
    """The ``URLError`` for the client's error case, in the client's wording."""
    message = client.describe_error(code)
    if isinstance(code, client.ErrorCode_TlsCertificateError):
        prefix = "certificate verify failed: "
        detail = message[len(prefix) :] if message.startswith(prefix) else message
        reason = SSLCertVerificationError(_VERIFY_CODES.get(type(code.value), 1), detail)
    elif isinstance(code, (client.ErrorCode_TlsAlertReceived, client.ErrorCode_TlsProtocolError)):
        reason = SSLError(1, message)
    else:
        reason = message
    return URLError(reason, code)


def _read(path):
    """The bytes of the file ``path``."""
    with open(path, "rb") as file:
        return file.read()


def _read_directory(path):
    """The bytes of every regular file of the directory ``path``, in name order."""
    return b"".join(
        _read(os.path.join(path, name))
        for name in sorted(os.listdir(path))
        if os.path.isfile(os.path.join(path, name))
    )
