"""``lienthong pki`` and ``lienthong tsa serve`` as a user types them (real processes)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from asn1crypto import tsp
from cryptography import x509

from lienthong.pki.identity import load_identity
from lienthong.pki.names import agency_id_of
from lienthong.pki.revocation import is_revoked
from lienthong.pki.trust import load_trust_store

LIENTHONG = str(Path(sys.executable).parent / "lienthong")
pytestmark = pytest.mark.slow

PASSPHRASE = "e2e passphrase — không dùng thật"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        LIENTHONG_DATA_DIR=str(data_dir),
        LIENTHONG_PKI_PASSPHRASE=PASSPHRASE,
        COLUMNS="250",
        **extra,
    )
    return env


def _run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [LIENTHONG, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_init_issue_list_revoke_export_and_passphrase(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    pki_dir = tmp_path / "data" / "pki"
    init = _run(env, "pki", "init", "--agency", "000.00.00.H41=Ủy ban nhân dân tỉnh Nghệ An")
    assert "NOT FOR PRODUCTION" in init.stdout
    assert PASSPHRASE not in init.stdout + init.stderr
    assert (pki_dir / "index.json").is_file()
    assert (pki_dir / "certs" / "root.pem").is_file()
    assert (pki_dir / "crl" / "issuing-ca.crl").is_file()
    # A second init refuses to overwrite.
    again = _run(env, "pki", "init", ok=False)
    assert again.returncode == 2
    assert "pki.exists" in again.stderr

    issued = _run(
        env,
        "pki",
        "issue",
        "--kind",
        "signer",
        "--agency",
        "000.00.00.H41",
        "--name",
        "Hồ Văn Phúc",
        "--title",
        "Phó Chủ tịch",
    )
    assert "signer-000.00.00.h41-ho-van-phuc" in issued.stdout
    _run(
        env,
        "pki",
        "issue",
        "--kind",
        "agency",
        "--agency",
        "000.00.00.H08",
        "--name",
        "UBND tỉnh Bình Dương",
    )
    _run(
        env,
        "pki",
        "issue",
        "--kind",
        "system",
        "--name",
        "Hệ thống QLVB tỉnh Nghệ An",
        "--agency",
        "000.00.00.H41",
    )
    person = load_identity(pki_dir, "signer-000.00.00.h41-ho-van-phuc", PASSPHRASE)
    assert agency_id_of(person.certificate) == "000.00.00.H41"
    assert (
        person.certificate.subject.get_attributes_for_oid(x509.NameOID.TITLE)[0].value
        == "Phó Chủ tịch"
    )

    listing = _run(env, "pki", "list").stdout
    for expected in (
        "root",
        "issuing-ca",
        "tsa",
        "ocsp",
        "agency-000.00.00.h08",
        "Hồ Văn Phúc",
        "system-he-thong-qlvb-tinh-nghe-an",
    ):
        assert expected in listing
    assert "revoked" not in listing

    serial = format(person.certificate.serial_number, "x")
    revoked = _run(env, "pki", "revoke", serial, "--reason", "key-compromise")
    assert "signer-000.00.00.h41-ho-van-phuc" in revoked.stdout
    assert "revoked" in _run(env, "pki", "list").stdout
    assert is_revoked(person.certificate, load_trust_store(pki_dir=pki_dir))
    bad_reason = _run(env, "pki", "revoke", "tsa", "--reason", "boredom", ok=False)
    assert bad_reason.returncode == 2

    pem = _run(env, "pki", "export-root").stdout
    root = x509.load_pem_x509_certificate(pem.encode())
    assert "DEMO" in root.subject.rfc4514_string()
    _run(env, "pki", "export-root", "--out", str(tmp_path / "root.pem"))
    assert x509.load_pem_x509_certificate((tmp_path / "root.pem").read_bytes()) == root

    # Keys stay closed without the right passphrase.
    wrong = _run(
        {**env, "LIENTHONG_PKI_PASSPHRASE": "not it"},
        "pki",
        "issue",
        "--kind",
        "agency",
        "--agency",
        "000.00.00.H14",
        "--name",
        "X",
        ok=False,
    )
    assert wrong.returncode == 2
    assert "pki.passphrase" in wrong.stderr
    missing_env = {k: v for k, v in env.items() if k != "LIENTHONG_PKI_PASSPHRASE"}
    missing = subprocess.run(
        [LIENTHONG, "pki", "revoke", "tsa"],
        env=missing_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 2
    assert "LIENTHONG_PKI_PASSPHRASE" in missing.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_tsa_serve_answers_over_http(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(tmp_path / "data", LIENTHONG_PKI_BASE_URL=base)
    _run(env, "pki", "init", "--agency", "000.00.00.H41=UBND tỉnh Nghệ An")
    server = subprocess.Popen(
        [LIENTHONG, "tsa", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                crl = httpx.get(base + "/crl/issuing-ca.crl", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None:
                    pytest.fail(f"server exited: {server.stderr.read() if server.stderr else ''}")
                time.sleep(0.1)
        else:
            pytest.fail("the TSA server did not come up")
        assert crl.status_code == 200
        x509.load_der_x509_crl(crl.content)
        digest = hashlib.sha256(b"e2e").digest()
        query = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": digest,
                },
                "cert_req": True,
            }
        ).dump()
        reply = httpx.post(
            base + "/tsa", content=query, headers={"Content-Type": "application/timestamp-query"}
        )
        response = tsp.TimeStampResp.load(reply.content)
        assert response["status"]["status"].native == "granted"
        info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
        assert info["message_imprint"]["hashed_message"].native == digest
        # The certificates issued by init name this server.
        signer = load_identity(
            tmp_path / "data" / "pki", "signer-000.00.00.h41-nguyen-van-an", PASSPHRASE
        )
        dp = signer.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        assert dp[0].full_name is not None
        assert dp[0].full_name[0].value == base + "/crl/issuing-ca.crl"
    finally:
        server.terminate()
        server.communicate(timeout=30)
