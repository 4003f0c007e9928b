"""The host-network build over the Python host's own sockets (transport.py): requests work
where wasmtime-py cannot grant wasi:sockets, verified exactly as over sockets."""

from __future__ import annotations

import socket

import pytest

import verified_https as v
from conftest import Pki
from transport import SocketTransport, loopback_only


def host_network_client(trust, allow=loopback_only):
    return v.Client(trust, component=v.HOST_NETWORK_COMPONENT, transport=SocketTransport(allow))


def test_the_python_host_fetches_over_its_own_sockets_verified(pki, https_server):
    response = host_network_client(v.pem_file(pki.ca_pem)).urlopen(https_server)
    assert response.status == 200
    assert response.read() == b"hello from python"
    assert response.tls["verified"] is True
    assert response.tls["version"] in ("TLSv1.2", "TLSv1.3")


def test_a_server_of_another_ca_is_refused_over_the_host_sockets(https_server, tmp_path):
    directory = tmp_path / "other"
    directory.mkdir()
    other = Pki(directory, name="another CA")
    with pytest.raises(v.HttpsError) as refused:
        host_network_client(v.pem_file(other.ca_pem)).urlopen(https_server)
    assert refused.value.tag == "tls-certificate-error"
    assert "unable to get local issuer certificate" in str(refused.value)


def test_the_hosts_policy_decides_where_connections_go(pki, https_server):
    with pytest.raises(v.HttpsError) as refused:
        host_network_client(v.pem_file(pki.ca_pem), allow=lambda _a, _p: False).urlopen(https_server)
    assert refused.value.tag == "destination-unavailable"
    assert "not allowed by the host" in refused.value.payload


def test_a_closed_port_is_connection_refused(pki):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(v.HttpsError) as refused:
        host_network_client(v.pem_file(pki.ca_pem)).urlopen(f"https://127.0.0.1:{port}/")
    assert refused.value.tag == "connection-refused"


@pytest.fixture
def tinyproxy(tmp_path):
    """Debian's tinyproxy on loopback (make test installs it); yields its URL and its log."""
    import shutil
    import subprocess
    import time

    binary = shutil.which("tinyproxy")
    if binary is None:
        pytest.fail("tinyproxy is not installed (make test installs Debian's tinyproxy)")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    log = tmp_path / "tinyproxy.log"
    config = tmp_path / "tinyproxy.conf"
    config.write_text(
        f"Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\n"
        f'LogLevel Info\nLogFile "{log}"\nPidFile "{tmp_path}/tinyproxy.pid"\n'
    )
    process = subprocess.Popen([binary, "-d", "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", log
    process.kill()
    process.wait()


def tunnels(log) -> int:
    return log.read_text().count("Established connection to host")


def test_the_proxy_comes_from_the_environment_as_curl_reads_it():
    env = {"HTTPS_PROXY": "proxy.test:3128", "NO_PROXY": "a.test, .b.test", "http_proxy": "http://p2:8"}
    assert v.proxy_from_environment("https://x.test/", env) == {
        "url": "http://proxy.test:3128", "no_proxy": ["a.test", ".b.test"]}
    assert v.proxy_from_environment("http://x.test/", env)["url"] == "http://p2:8"
    assert v.proxy_from_environment("http://x.test/", {"HTTP_PROXY": "http://ignored:1"}) is None
    assert v.proxy_from_environment("https://x.test/", {}) is None


def test_the_python_host_goes_through_tinyproxy_by_environment_and_no_proxy_goes_around(
        pki, https_server, tinyproxy, monkeypatch):
    proxy, log = tinyproxy
    client = host_network_client(v.pem_file(pki.ca_pem))
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    response = client.urlopen(https_server)
    assert (response.status, response.read(), response.tls["verified"]) == (200, b"hello from python", True)
    assert tunnels(log) == 1
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert client.urlopen(https_server).status == 200
    assert tunnels(log) == 1
    monkeypatch.delenv("NO_PROXY")
    assert client.urlopen(https_server, proxy=None).status == 200
    assert tunnels(log) == 1
