"""Where the Python host finds the platform's trust store: the rules of `https-get`
(host-test/host/src/trust_store.rs). SSL_CERT_FILE if set, else SSL_CERT_DIR if set, else the
platform bundle; a named location that is missing or holds no certificate is an error, never
a reason to look elsewhere; sources are never merged."""

from __future__ import annotations

from pathlib import Path

import pytest

import verified_https as v
from conftest import Pki


@pytest.fixture
def other_ca(tmp_path: Path) -> Pki:
    """A second CA, in a directory of its own: what SSL_CERT_DIR names in these tests."""
    directory = tmp_path / "other-ca"
    directory.mkdir()
    return Pki(directory, "python other CA")


@pytest.fixture
def environment(monkeypatch):
    """Neither variable set, whatever the machine running the tests has."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return monkeypatch


def test_a_missing_ssl_cert_file_is_an_error_even_when_ssl_cert_dir_has_certificates(
    tmp_path, other_ca, environment
):
    missing = tmp_path / "missing.pem"
    environment.setenv("SSL_CERT_FILE", str(missing))
    environment.setenv("SSL_CERT_DIR", str(other_ca.dir))
    store = v.ssl_default_verify_paths()
    assert isinstance(store, str), "a named file that is missing is never a fallback"
    assert f"SSL_CERT_FILE={missing}" in store
    assert "SSL_CERT_DIR" in store and "pem_file" in store, "the message names the fixes"


def test_an_ssl_cert_file_without_a_certificate_is_an_error(tmp_path, other_ca, environment):
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    environment.setenv("SSL_CERT_FILE", str(empty))
    environment.setenv("SSL_CERT_DIR", str(other_ca.dir))
    store = v.ssl_default_verify_paths()
    assert isinstance(store, str)
    assert f"SSL_CERT_FILE={empty} holds no PEM certificate" in store


def test_ssl_cert_file_is_the_whole_store_never_merged_with_ssl_cert_dir(
    pki, other_ca, environment
):
    environment.setenv("SSL_CERT_FILE", str(pki.ca_pem))
    environment.setenv("SSL_CERT_DIR", str(other_ca.dir))
    assert v.ssl_default_verify_paths() == v.pem_file(pki.ca_pem)
    client = v.Client(v.ssl_default_verify_paths())
    client.verify_chain(pki.chain(["good.test"]), "good.test")
    with pytest.raises(v.HttpsError) as refused:
        client.verify_chain(other_ca.chain(["good.test"]), "good.test")
    assert refused.value.payload.tag == "unknown-issuer"


def test_ssl_cert_dir_is_the_whole_store_when_ssl_cert_file_is_unset(other_ca, environment):
    environment.setenv("SSL_CERT_DIR", str(other_ca.dir))
    assert v.ssl_default_verify_paths() == v.pem_file(other_ca.ca_pem)


def test_a_missing_or_empty_ssl_cert_dir_is_an_error_not_the_platform_bundle(
    tmp_path, environment
):
    missing = tmp_path / "missing"
    environment.setenv("SSL_CERT_DIR", str(missing))
    store = v.ssl_default_verify_paths()
    assert isinstance(store, str) and f"cannot read SSL_CERT_DIR={missing}" in store
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no certificates here\n")
    environment.setenv("SSL_CERT_DIR", str(empty))
    store = v.ssl_default_verify_paths()
    assert isinstance(store, str) and f"SSL_CERT_DIR={empty} holds no PEM certificate" in store


def test_without_variables_the_first_platform_bundle_is_the_store(pki, other_ca, tmp_path):
    store = v.find_trust_store(
        None, None, [tmp_path / "absent.crt", pki.ca_pem, other_ca.ca_pem]
    )
    assert store == v.pem_file(pki.ca_pem)
    nothing = v.find_trust_store(None, None, [tmp_path / "absent.crt"])
    assert isinstance(nothing, str)
    for word in ["SSL_CERT_FILE", "SSL_CERT_DIR", "absent.crt"]:
        assert word in nothing


def test_a_verified_request_reports_why_the_named_store_is_unusable(
    pki, tmp_path, environment
):
    missing = tmp_path / "missing.pem"
    environment.setenv("SSL_CERT_FILE", str(missing))
    client = v.Client(v.ssl_default_verify_paths())
    with pytest.raises(v.HttpsError) as refused:
        client.verify_chain(pki.chain(["good.test"]), "good.test")
    assert refused.value.tag == "trust-store-unavailable"
    assert f"SSL_CERT_FILE={missing}" in refused.value.payload
