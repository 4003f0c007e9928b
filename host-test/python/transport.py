"""The `transport` import with Python sockets: TCP for the component's `https-client-host-network`
build (target/verified-https-host-network.wasm), which this host can give although wasmtime-py
cannot grant `wasi:sockets`.

    client = Client(trust, component=HOST_NETWORK_COMPONENT,
                    transport=SocketTransport(allow=loopback_only))

The component still does TLS, verification and HTTP; the host carries encrypted bytes. Every
connection goes only where `allow(address, port)` says (the embedder's policy: nothing is
allowed by default), to the first resolved address that is allowed and accepts.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable

from wasmtime import component as wc

TRANSPORT = "verified:https/transport@0.1.0"


def loopback_only(address: str, _port: int) -> bool:
    """A policy that allows 127.0.0.0/8 and ::1 only (the tests')."""
    return ipaddress.ip_address(address).is_loopback


def _error(tag: str, message: str | None = None) -> wc.Variant:
    """A `transport-error` case."""
    return wc.Variant(tag, message)


def _seconds(timeout_ms: int | None) -> float | None:
    """A socket timeout: none for no limit (0 asks without waiting)."""
    return None if timeout_ms is None else timeout_ms / 1000


class SocketTransport:
    """The `transport` interface over Python sockets, with an address policy."""

    def __init__(self, allow: Callable[[str, int], bool]):
        self._allow = allow
        self._connections: dict[int, socket.socket] = {}
        self._next = 1

    def add_to(self, root) -> None:
        """Defines the import's functions in a linker's root instance."""
        with root.add_instance(TRANSPORT) as imports:
            imports.add_func("connect", lambda _store, *args: self.connect(*args))
            imports.add_func("read", lambda _store, *args: self.read(*args))
            imports.add_func("write", lambda _store, *args: self.write(*args))
            imports.add_func("close", lambda _store, *args: self.close(*args))

    def connect(self, host: str, port: int, timeout_ms: int | None):
        """`connect`: the connection's number, or a `transport-error`."""
        try:
            addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as err:
            return _error("dns-error", str(err))
        allowed = [a for a in addresses if self._allow(a[4][0], port)]
        if not allowed:
            return _error("destination-unavailable", f"{host} port {port}: not allowed by the host")
        last: wc.Variant = _error("destination-unavailable", f"{host} port {port}: no address")
        for family, kind, proto, _, address in allowed:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(_seconds(timeout_ms))
            try:
                sock.connect(address)
            except socket.timeout:
                sock.close()
                return _error("timeout")
            except ConnectionRefusedError:
                sock.close()
                last = _error("connection-refused", f"{address[0]} port {port}")
                continue
            except OSError as err:
                sock.close()
                last = _error("destination-unavailable", f"{address[0]} port {port}: {err}")
                continue
            number = self._next
            self._next += 1
            self._connections[number] = sock
            return number
        return last

    def read(self, connection: int, max_bytes: int, timeout_ms: int | None):
        """`read`: bytes (empty at the peer's end), or a `transport-error`."""
        sock = self._connections.get(connection)
        if sock is None:
            return _error("connection-failed", f"no connection {connection}")
        sock.settimeout(_seconds(timeout_ms))
        try:
            return sock.recv(max_bytes)
        except (socket.timeout, BlockingIOError):
            return _error("timeout")
        except OSError as err:
            return _error("connection-failed", str(err))

    def write(self, connection: int, data: bytes, timeout_ms: int | None):
        """`write`: None once all of `data` is sent, or a `transport-error`."""
        sock = self._connections.get(connection)
        if sock is None:
            return _error("connection-failed", f"no connection {connection}")
        sock.settimeout(_seconds(timeout_ms))
        try:
            sock.sendall(data)
            return None
        except socket.timeout:
            return _error("timeout")
        except OSError as err:
            return _error("connection-failed", str(err))

    def close(self, connection: int) -> None:
        """`close`."""
        sock = self._connections.pop(connection, None)
        if sock is not None:
            sock.close()
