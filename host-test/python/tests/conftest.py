"""Shared fixtures: a throwaway CA and leaves made with the openssl command, and loopback
HTTPS servers from Python's own ssl module."""

from __future__ import annotations

import hashlib
import http.server
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import verified_https  # noqa: E402


class Pki:
    """A CA in a directory; `leaf(names)` issues a server certificate for `names` (a client
    certificate with `client_auth=True`)."""

    def __init__(self, directory: Path, name: str = "python test CA"):
        self.dir = directory
        self.serial = 0
        self._openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
        self._openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", f"/CN={name}",
                      "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem")
        self.ca_pem = directory / "ca.pem"

    def _openssl(self, *args: str) -> None:
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True)

    def leaf(self, names: list[str], client_auth: bool = False) -> tuple[Path, Path]:
        self.serial += 1
        name = f"leaf{self.serial}"
        san = ",".join(f"IP:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}" for n in names)
        purpose = "clientAuth" if client_auth else "serverAuth"
        (self.dir / f"{name}.ext").write_text(
            f"subjectAltName={san}\nextendedKeyUsage={purpose}\nbasicConstraints=CA:FALSE\n")
        self._openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{name}.key")
        self._openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={names[0]}",
                      "-out", f"{name}.csr")
        self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                      "-set_serial", str(self.serial), "-days", "1", "-extfile", f"{name}.ext",
                      "-out", f"{name}.pem")
        return self.dir / f"{name}.pem", self.dir / f"{name}.key"

    def chain(self, names: list[str]) -> list[bytes]:
        cert, _ = self.leaf(names)
        return verified_https.pem_file(cert)

    def pin(self, cert: Path) -> bytes:
        """The SHA-256 of the certificate's SubjectPublicKeyInfo (what curl's --pinnedpubkey
        hashes), computed by openssl."""
        public_key = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                                    check=True, capture_output=True).stdout
        spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=public_key,
                              check=True, capture_output=True).stdout
        return hashlib.sha256(spki).digest()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def https_server(pki: Pki):
    """A loopback HTTPS server for 127.0.0.1 certified by `pki`; yields its URL."""
    cert, key = pki.leaf(["127.0.0.1"])

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = b"hello from python"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
