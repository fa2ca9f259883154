"""Which revocation data answers for a signer's certificate, and what it says.

pyHanko decides whether a chain is trusted (and notices a revoked certificate); this module
tells the report *what* answered: an OCSP response or a CRL, from the trust store, fetched,
or embedded in the document (DSS). Only data signed by the certificate's issuer (or by an
OCSP responder the issuer delegated to) counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from lienthong.pdfsign.report import RevocationResult, RevocationStatus

#: Revocation data issued up to this long after the validation time is still accepted
#: (clocks differ a little between a TSA/OCSP server and the validator).
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Answer:
    """One piece of revocation data about the certificate."""

    status: RevocationStatus
    source: str  # "ocsp" | "crl"
    embedded: bool
    issued: datetime
    revoked_at: datetime | None = None
    reason: str | None = None


def find_issuer(
    cert: x509.Certificate, candidates: Iterable[x509.Certificate]
) -> x509.Certificate | None:
    """The candidate that really signed ``cert`` (name match and signature check)."""
    for candidate in candidates:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None


def _verify(
    public_key: object, signature: bytes, data: bytes, algo: hashes.HashAlgorithm | None
) -> bool:
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey) and algo is not None:
            public_key.verify(signature, data, ec.ECDSA(algo))
        elif isinstance(public_key, rsa.RSAPublicKey) and algo is not None:
            public_key.verify(signature, data, PKCS1v15(), algo)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _crl_answer(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    crl: x509.CertificateRevocationList,
    embedded: bool,
    moment: datetime,
) -> Answer | None:
    if crl.issuer != issuer.subject or crl.last_update_utc > moment + CLOCK_SKEW:
        return None
    if not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
        return None
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return Answer(RevocationStatus.GOOD, "crl", embedded, crl.last_update_utc)
    try:
        reason: str | None = entry.extensions.get_extension_for_class(
            x509.CRLReason
        ).value.reason.name
    except x509.ExtensionNotFound:
        reason = None
    return Answer(
        RevocationStatus.REVOKED,
        "crl",
        embedded,
        crl.last_update_utc,
        revoked_at=entry.revocation_date_utc,
        reason=reason,
    )


def _ocsp_signer_ok(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> bool:
    """The response is signed by the issuer, or by a responder it certified for OCSP."""
    algo = resp.signature_hash_algorithm
    candidates = [issuer, *resp.certificates]
    for responder in candidates:
        if responder is not issuer:
            if find_issuer(responder, [issuer]) is None:
                continue
            try:
                eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except x509.ExtensionNotFound:
                continue
            if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                continue
        if _verify(responder.public_key(), resp.signature, resp.tbs_response_bytes, algo):
            return True
    return False


def _ocsp_answers(
    cert: x509.Certificate, issuer: x509.Certificate, der: bytes, embedded: bool, moment: datetime
) -> list[Answer]:
    try:
        resp = ocsp.load_der_ocsp_response(der)
    except ValueError:
        return []
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return []
    if not _ocsp_signer_ok(resp, issuer):
        return []
    answers = []
    issuer_name = issuer.subject.public_bytes()
    for single in resp.responses:
        if single.serial_number != cert.serial_number:
            continue
        digest = hashes.Hash(single.hash_algorithm)
        digest.update(issuer_name)
        if digest.finalize() != single.issuer_name_hash:
            continue
        if single.this_update_utc > moment + CLOCK_SKEW:
            continue
        status = single.certificate_status
        if status is ocsp.OCSPCertStatus.GOOD:
            answers.append(Answer(RevocationStatus.GOOD, "ocsp", embedded, single.this_update_utc))
        elif status is ocsp.OCSPCertStatus.REVOKED:
            reason = single.revocation_reason.name if single.revocation_reason else None
            answers.append(
                Answer(
                    RevocationStatus.REVOKED,
                    "ocsp",
                    embedded,
                    single.this_update_utc,
                    revoked_at=single.revocation_time_utc,
                    reason=reason,
                )
            )
    return answers


def revocation_status(
    cert: x509.Certificate,
    issuer: x509.Certificate | None,
    *,
    crls: Sequence[tuple[x509.CertificateRevocationList, bool]],
    ocsp_responses: Sequence[tuple[bytes, bool]],
    moment: datetime,
) -> RevocationResult:
    """The status of ``cert`` from the data given (each item flagged embedded or not).

    Revoked wins over good; among good answers, embedded ones (what lets the document be
    validated later) and then OCSP are preferred.
    """
    if issuer is None:
        return RevocationResult(RevocationStatus.UNKNOWN)
    answers: list[Answer] = []
    for crl, embedded in crls:
        answer = _crl_answer(cert, issuer, crl, embedded, moment)
        if answer is not None:
            answers.append(answer)
    for der, embedded in ocsp_responses:
        answers.extend(_ocsp_answers(cert, issuer, der, embedded, moment))
    revoked = [a for a in answers if a.status is RevocationStatus.REVOKED]
    if revoked:
        first = min(revoked, key=lambda a: a.revoked_at or a.issued)
        return RevocationResult(
            RevocationStatus.REVOKED, first.source, first.embedded, first.revoked_at, first.reason
        )
    if not answers:
        return RevocationResult(RevocationStatus.UNKNOWN)
    best = max(answers, key=lambda a: (a.embedded, a.source == "ocsp", a.issued))
    return RevocationResult(RevocationStatus.GOOD, best.source, best.embedded)
