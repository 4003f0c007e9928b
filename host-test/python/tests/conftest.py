"""Shared fixtures: a throwaway CA and leaves made with the openssl command, and loopback
HTTPS servers from Python's own ssl module and from `openssl s_server` (which chooses suites,
groups and signature schemes as told)."""

from __future__ import annotations

import hashlib
import contextlib
import http.server
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import verified_https  # noqa: E402


# The openssl arguments that make a private key of each kind.
KEY_KINDS = {
    "p256": ("ecparam", "-name", "prime256v1", "-genkey", "-noout"),
    "p384": ("ecparam", "-name", "secp384r1", "-genkey", "-noout"),
    "ed25519": ("genpkey", "-algorithm", "ed25519"),
    "rsa": ("genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:2048"),
}


class Pki:
    """A CA in a directory; `leaf(names)` issues a server certificate for `names` (a client
    certificate with `client_auth=True`; a key of another kind with `key=`; one valid in 2020
    only with `expired=True`).

    The CA's key is `key` ("p256" by default; "p384", "ed25519", "rsa") and it signs with
    `digest` ("sha256" by default; none for Ed25519), in RSA-PSS with `pss=True`."""

    def __init__(self, directory: Path, name: str = "python test CA", key: str = "p256",
                 digest: str = "sha256", pss: bool = False):
        self.dir = directory
        self.serial = 0
        self.key = key
        self.signing = ([] if key == "ed25519" else [f"-{digest}"]) + (
            ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] if pss else [])
        self._openssl(*KEY_KINDS[key], "-out", "ca.key")
        self._openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", f"/CN={name}",
                      "-days", "2", *self.signing, "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem")
        self.ca_pem = directory / "ca.pem"

    def _openssl(self, *args: str) -> None:
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True)

    def leaf(self, names: list[str], client_auth: bool = False, key: str = "p256",
             expired: bool = False) -> tuple[Path, Path]:
        self.serial += 1
        name = f"leaf{self.serial}"
        san = ",".join(f"IP:{n}" if n.replace(".", "").isdigit() else f"DNS:{n}" for n in names)
        purpose = "clientAuth" if client_auth else "serverAuth"
        (self.dir / f"{name}.ext").write_text(
            f"subjectAltName={san}\nextendedKeyUsage={purpose}\nbasicConstraints=CA:FALSE\n")
        self._openssl(*KEY_KINDS[key], "-out", f"{name}.key")
        self._openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={names[0]}",
                      "-out", f"{name}.csr")
        if expired:
            # `openssl x509` takes no dates in the past; `openssl ca` does.
            (self.dir / f"{name}.cnf").write_text(
                f"[ca]\ndefault_ca = test\n[test]\ndatabase = {name}.index\nnew_certs_dir = .\n"
                f"serial = {name}.serial\npolicy = anything\n[anything]\ncommonName = supplied\n")
            (self.dir / f"{name}.index").write_text("")
            (self.dir / f"{name}.serial").write_text(f"{self.serial:02x}\n")
            self._openssl("ca", "-batch", "-notext", "-config", f"{name}.cnf", "-cert", "ca.pem",
                          "-keyfile", "ca.key", "-md", "default" if self.key == "ed25519" else "sha256",
                          "-in", f"{name}.csr", "-startdate", "20200101000000Z",
                          "-enddate", "20210101000000Z", "-extfile", f"{name}.ext",
                          "-out", f"{name}.pem")
        else:
            self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                          *self.signing, "-set_serial", str(self.serial), "-days", "1",
                          "-extfile", f"{name}.ext", "-out", f"{name}.pem")
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


@contextlib.contextmanager
def openssl_server(leaf: tuple[Path, Path], body: bytes, *options: str) -> Iterator[str]:
    """`openssl s_server` on loopback serving `body` with `leaf` (cert, key) and the s_server
    `options` that choose for the client (`-tls1_2`, `-ciphersuites`, `-cipher`, `-groups`,
    `-sigalgs`, ...); yields the body's URL. It answers HTTP/1.0, the body delimited by the
    close of the connection, after its close_notify."""
    cert, key = leaf
    directory = cert.parent
    (directory / "body.txt").write_bytes(body)
    process = subprocess.Popen(
        ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(cert), "-key", str(key),
         "-WWW", *options],
        cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        port = None
        for line in process.stdout:
            if line.startswith(b"ACCEPT "):
                port = int(line.rsplit(b":", 1)[1])
                break
        assert port is not None, f"openssl s_server did not start ({' '.join(options)})"
        # s_server keeps printing; drain it so that it never blocks on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield f"https://127.0.0.1:{port}/body.txt"
    finally:
        process.kill()
        process.wait()
