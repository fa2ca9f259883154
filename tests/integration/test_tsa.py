"""The RFC 3161 timestamp authority over real HTTP, checked by pyHanko and OpenSSL."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from lienthong.clock import FixedClock
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import serving_demo_pki
from lienthong.pki.tsa import DEMO_TSA_POLICY, TimeStampResp

T0 = datetime(2025, 3, 1, 8, 0, 5, tzinfo=UTC)


@pytest.fixture(params=["ec", "rsa"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DemoPki, str]]:
    with serving_demo_pki(tmp_path, [], request.param, clock=FixedClock(T0)) as pair:
        yield pair


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _request(
    digest: bytes, *, nonce: int = 42, policy: str | None = None, cert_req: bool = True
) -> bytes:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": cert_req,
    }
    if policy is not None:
        fields["req_policy"] = policy
    return tsp.TimeStampReq(fields).dump()


async def _timestamp_and_validate(
    url: str, digest: bytes, root: asn1_x509.Certificate
) -> tuple[cms.ContentInfo, dict[str, Any]]:
    """pyHanko's HTTP client asks for a token; pyHanko's validator checks it (hard fail)."""
    async with aiohttp.ClientSession() as session:
        token = await HTTPTimeStamper(url + "/tsa", session=session).async_timestamp(
            digest, "sha256"
        )
        # Independent validation: our root as the only anchor, revocation fetched from the
        # CRL/OCSP URLs in the certificates, hard fail when it cannot be.
        context = ValidationContext(
            trust_roots=[root],
            allow_fetching=True,
            revocation_mode="hard-fail",
            moment=T0,
            fetcher_backend=AIOHttpFetcherBackend(session),
        )
        status = await validate_tst_signed_data(token["content"], context, lambda _alg: digest)
    return token, status


def test_pyhanko_client_gets_a_token_that_validates(served: tuple[DemoPki, str]) -> None:
    pki, url = served
    digest = hashlib.sha256(b"Quyet dinh so 12/QD-UBND").digest()
    token, status = asyncio.run(_timestamp_and_validate(url, digest, _asn1(pki.root.certificate)))
    signed_data = token["content"]
    tst_info = signed_data["encap_content_info"]["content"].parsed
    assert tst_info["gen_time"].native == T0
    assert tst_info["policy"].dotted == DEMO_TSA_POLICY
    assert tst_info["message_imprint"]["hashed_message"].native == digest
    assert status["intact"] is True
    assert status["valid"] is True
    assert status["trust_problem_indic"] is None
    assert status["signing_cert"].subject == _asn1(pki.tsa.certificate).subject
    assert status["timestamp"] == T0


def test_openssl_verifies_the_token(served: tuple[DemoPki, str], tmp_path: Path) -> None:
    if shutil.which("openssl") is None:  # pragma: no cover - openssl is in the base image
        pytest.fail("openssl is required for this test")
    pki, url = served
    data = tmp_path / "data.bin"
    data.write_bytes("Công văn số 34/UBND-VP".encode())
    query = tmp_path / "q.tsq"
    subprocess.run(
        ["openssl", "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        check=True,
        capture_output=True,
    )
    reply = httpx.post(
        url + "/tsa",
        content=query.read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "r.tsr").write_bytes(reply.content)
    cas = tmp_path / "ca.pem"
    cas.write_bytes(
        pki.root.certificate.public_bytes(Encoding.PEM)
        + pki.issuing_ca.certificate.public_bytes(Encoding.PEM)
    )
    result = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(tmp_path / "r.tsr"),
            "-queryfile",
            str(query),
            "-CAfile",
            str(cas),
            "-attime",
            str(int(T0.timestamp())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout
    # A token for other data does not verify.
    other = tmp_path / "other.bin"
    other.write_bytes(b"something else")
    bad = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(tmp_path / "r.tsr"),
            "-data",
            str(other),
            "-CAfile",
            str(cas),
            "-attime",
            str(int(T0.timestamp())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0


def _post(
    url: str, body: bytes, content_type: str = "application/timestamp-query"
) -> httpx.Response:
    return httpx.post(url + "/tsa", content=body, headers={"Content-Type": content_type})


def test_bad_requests_are_rejected_with_a_reason(served: tuple[DemoPki, str]) -> None:
    _pki, url = served
    digest = hashlib.sha256(b"x").digest()
    granted = TimeStampResp.load(_post(url, _request(digest, cert_req=False)).content)
    assert granted["status"]["status"].native == "granted"
    assert granted["time_stamp_token"]["content"]["certificates"].native is None

    def failure(body: bytes) -> set[str]:
        response = TimeStampResp.load(_post(url, body).content)
        assert response["status"]["status"].native == "rejection"
        return set(response["status"]["fail_info"].native)

    assert failure(b"not asn.1 at all") == {"bad_data_format"}
    assert failure(_request(digest[:20])) == {"bad_data_format"}
    assert failure(_request(digest, policy="1.2.3.4")) == {"unaccepted_policy"}
    md5 = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "md5"}),
                "hashed_message": b"\0" * 16,
            },
        }
    ).dump()
    assert failure(md5) == {"bad_alg"}
    assert _post(url, _request(digest), "text/plain").status_code == 415
    assert _post(url, b"\0" * (70 * 1024)).status_code == 413


def test_our_policy_may_be_asked_for_and_nonce_is_echoed(served: tuple[DemoPki, str]) -> None:
    _pki, url = served
    digest = hashlib.sha256(b"y").digest()
    response = TimeStampResp.load(
        _post(url, _request(digest, nonce=987654321, policy=DEMO_TSA_POLICY)).content
    )
    info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 987654321
    assert info["accuracy"]["seconds"].native == 1
