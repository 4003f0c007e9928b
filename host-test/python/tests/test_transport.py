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
