"""The OCSP responder and CRL endpoints over real HTTP, checked by pyhanko-certvalidator."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from lienthong.clock import FixedClock
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import serving_demo_pki

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
H41 = "000.00.00.H41"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def served(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[DemoPki, str]]:
    with serving_demo_pki(tmp_path, [(H41, "Ủy ban nhân dân tỉnh Nghệ An")], clock=clock) as pair:
        yield pair


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _ask(
    url: str, cert: x509.Certificate, issuer: x509.Certificate, *, get: bool = False
) -> ocsp.OCSPResponse:
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - what clients send
        .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
        .build()
        .public_bytes(Encoding.DER)
    )
    if get:
        reply = httpx.get(url + "/ocsp/" + base64.b64encode(request).decode())
    else:
        reply = httpx.post(
            url + "/ocsp", content=request, headers={"Content-Type": "application/ocsp-request"}
        )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(reply.content)


def test_ocsp_says_good_then_revoked(served: tuple[DemoPki, str], clock: FixedClock) -> None:
    pki, url = served
    signer = pki.signer(H41)
    issuer = pki.issuing_ca.certificate
    answer = _ask(url, signer.certificate, issuer)
    assert answer.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == signer.certificate.serial_number
    assert (
        answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    )
    assert answer.certificates == [pki.ocsp.certificate]
    key = pki.ocsp.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert answer.signature_hash_algorithm is not None
    key.verify(
        answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm)
    )
    clock.advance(timedelta(minutes=5))
    pki.local.revoke(signer.name, "key-compromise")
    revoked = _ask(url, signer.certificate, issuer, get=True)
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_time_utc == T0 + timedelta(minutes=5)
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise
    # A certificate of another issuer is unknown; garbage is a malformed request.
    unknown = _ask(url, pki.issuing_ca.certificate, pki.root.certificate)
    assert unknown.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    garbage = httpx.post(url + "/ocsp", content=b"hello")
    assert (
        ocsp.load_der_ocsp_response(garbage.content).response_status
        is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_crl_and_ca_certificates_are_served(served: tuple[DemoPki, str], clock: FixedClock) -> None:
    pki, url = served
    crl = x509.load_der_x509_crl(httpx.get(url + "/crl/issuing-ca.crl").content)
    issuing_key = pki.issuing_ca.certificate.public_key()
    assert isinstance(issuing_key, ec.EllipticCurvePublicKey)
    assert crl.is_signature_valid(issuing_key)
    assert len(crl) == 0
    root_crl = x509.load_der_x509_crl(httpx.get(url + "/crl/root.crl").content)
    assert root_crl.issuer == pki.root.certificate.subject
    ca = x509.load_der_x509_certificate(httpx.get(url + "/ca/issuing-ca.crt").content)
    assert ca == pki.issuing_ca.certificate
    assert httpx.get(url + "/crl/other.crl").status_code == 404
    # A stale CRL is re-signed on request.
    clock.advance(timedelta(days=10))
    fresh = x509.load_der_x509_crl(httpx.get(url + "/crl/issuing-ca.crl").content)
    assert fresh.last_update_utc == T0 + timedelta(days=10)


async def _validate(
    pki: DemoPki, cert: x509.Certificate, rule: RevocationCheckingRule, at: datetime
) -> None:
    policy = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=rule, intermediate_ca_cert_rule=RevocationCheckingRule.CRL_REQUIRED
        )
    )
    async with aiohttp.ClientSession() as session:
        context = ValidationContext(
            trust_roots=[_asn1(pki.root.certificate)],
            allow_fetching=True,
            revinfo_policy=policy,
            moment=at,
            fetcher_backend=AIOHttpFetcherBackend(session),
        )
        validator = CertificateValidator(
            _asn1(cert),
            intermediate_certs=[_asn1(pki.issuing_ca.certificate)],
            validation_context=context,
        )
        await validator.async_validate_usage({"non_repudiation"})


@pytest.mark.parametrize(
    "rule", [RevocationCheckingRule.OCSP_REQUIRED, RevocationCheckingRule.CRL_REQUIRED]
)
def test_certvalidator_honours_revocation(
    served: tuple[DemoPki, str], clock: FixedClock, rule: RevocationCheckingRule
) -> None:
    pki, _url = served
    signer = pki.signer(H41).certificate
    asyncio.run(_validate(pki, signer, rule, T0))
    clock.advance(timedelta(minutes=1))
    pki.local.revoke(pki.signer(H41).name, "affiliation-changed")
    clock.advance(timedelta(minutes=1))
    with pytest.raises(RevokedError):
        asyncio.run(_validate(pki, signer, rule, clock.now()))
