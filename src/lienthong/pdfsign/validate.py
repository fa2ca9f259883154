"""Validation of the signatures of a PDF into a :class:`PdfValidationReport`.

pyHanko checks each signature (digest, CMS signature, chain to our trust store's roots,
signature timestamp, incremental-update diff analysis); this module adds what the report
needs beyond that (the agency bound in the certificate, where revocation data came from,
the PAdES level) and turns it into verdicts. An invalid signature is a report; only a file
that cannot be read as a PDF raises :class:`SignatureError`.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from typing import Any

from cryptography import x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel

from lienthong.clock import Clock, SystemClock
from lienthong.errors import SignatureError
from lienthong.pdfsign.context import validation_context
from lienthong.pdfsign.http import http_session
from lienthong.pdfsign.report import (
    ChainResult,
    CoverageResult,
    DssSummary,
    Finding,
    PdfValidationReport,
    RevocationResult,
    RevocationStatus,
    SignatureReport,
    TimestampResult,
    Verdict,
    document_verdict,
)
from lienthong.pdfsign.revocation import find_issuer, revocation_status
from lienthong.pki.model import TrustStore
from lienthong.pki.names import agency_id_of

#: Largest PDF we validate (bytes): hostile input stays bounded.
MAX_PDF_BYTES = 200 * 1024 * 1024


class _Dss:
    """The document security store, read once per document."""

    def __init__(self, reader: PdfFileReader) -> None:
        self.certs: list[Any] = []
        self.crls: list[bytes] = []
        self.ocsps: list[bytes] = []
        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return
        self.certs = list(dss.load_certs())
        self.crls = [r.get_object().read_data(DecodePurpose.CRL) for r in dss.crls]
        self.ocsps = [r.get_object().read_data(DecodePurpose.OCSP_RESPONSE) for r in dss.ocsps]

    def summary(self) -> DssSummary:
        return DssSummary(len(self.certs), len(self.crls), len(self.ocsps))


async def _aclose(context: Any) -> None:
    await context.aclose()


def _crypto(cert: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _cn(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else cert.subject.rfc4514_string()


def validate_pdf(
    pdf: bytes,
    trust: TrustStore,
    *,
    clock: Clock | None = None,
    allow_fetching: bool = False,
) -> PdfValidationReport:
    """Validate every signature of ``pdf`` against ``trust``, at ``clock``'s time.

    Revocation data comes from the trust store's CRLs and the document's DSS; with
    ``allow_fetching`` also from the CRL and OCSP URLs in the certificates.
    """
    if len(pdf) > MAX_PDF_BYTES:
        raise SignatureError("PDF too large to validate", code="pdfsign.too_large")
    moment = (clock or SystemClock()).now()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = list(reader.embedded_regular_signatures)
        dss = _Dss(reader)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"not a readable PDF: {exc}", code="pdfsign.unreadable") from exc
    reports = asyncio.run(_validate_all(signatures, trust, dss, moment, allow_fetching))
    verdict, reasons = document_verdict(reports)
    return PdfValidationReport(
        verdict=verdict,
        signatures=reports,
        validated_at=moment,
        dss=dss.summary(),
        reasons=reasons,
    )


async def _validate_all(
    signatures: list[Any], trust: TrustStore, dss: _Dss, moment: datetime, allow_fetching: bool
) -> tuple[SignatureReport, ...]:
    if not allow_fetching:
        return tuple([await _validate_one(s, trust, dss, moment, None) for s in signatures])
    async with http_session() as session:
        return tuple([await _validate_one(s, trust, dss, moment, session) for s in signatures])


async def _validate_one(
    sig: Any, trust: TrustStore, dss: _Dss, moment: datetime, session: Any
) -> SignatureReport:
    field_name = str(sig.field_name)
    context = validation_context(
        trust,
        other_certs=[*dss.certs, *sig.other_embedded_certs],
        crls=dss.crls,
        ocsps=dss.ocsps,
        allow_fetching=session is not None,
        moment=moment,
        session=session,
    )
    try:
        try:
            status = await async_validate_pdf_signature(sig, signer_validation_context=context)
        finally:
            await _aclose(context)
    except (SignatureValidationError, PdfError, ValueError, KeyError) as exc:
        return _malformed(sig, field_name, exc)
    cert = _crypto(status.signing_cert)
    candidates = [
        *trust.intermediates,
        *trust.roots,
        *(_crypto(c) for c in (*sig.other_embedded_certs, *dss.certs)),
    ]
    known = {*dss.crls}
    fetched_crls = [c.dump() for c in context.crls if c.dump() not in known]
    fetched_ocsps = [o.dump() for o in context.ocsps if o.dump() not in set(dss.ocsps)]
    revocation = revocation_status(
        cert,
        find_issuer(cert, candidates),
        crls=[
            *((c, False) for c in trust.crls),
            *((x509.load_der_x509_crl(d), d in known) for d in [*dss.crls, *fetched_crls]),
        ],
        ocsp_responses=[*((d, True) for d in dss.ocsps), *((d, False) for d in fetched_ocsps)],
        moment=moment,
    )
    chain = _chain(status, revocation)
    timestamp = _timestamp(status)
    coverage = _coverage(status)
    level = "B-B"
    if timestamp.present:
        level = "B-LT" if revocation.embedded else "B-T"
    verdict, reasons = _verdict(status, chain, revocation, timestamp, coverage)
    return SignatureReport(
        field_name=field_name,
        signer=_cn(cert),
        subject=cert.subject.rfc4514_string(),
        agency_id=agency_id_of(cert),
        intact=bool(status.intact),
        signature_valid=bool(status.valid),
        chain=chain,
        revocation=revocation,
        signing_time=status.signer_reported_dt,
        timestamp=timestamp,
        coverage=coverage,
        level=level,
        verdict=verdict,
        reasons=reasons,
    )


def _malformed(sig: Any, field_name: str, exc: Exception) -> SignatureReport:
    try:
        cert: x509.Certificate | None = _crypto(sig.signer_cert)
    except Exception:  # a broken CMS may not even name its signer
        cert = None
    return SignatureReport(
        field_name=field_name,
        signer=_cn(cert) if cert else "",
        subject=cert.subject.rfc4514_string() if cert else "",
        agency_id=agency_id_of(cert) if cert else None,
        intact=False,
        signature_valid=False,
        chain=ChainResult(trusted=False, reason="not evaluated"),
        revocation=RevocationResult(RevocationStatus.UNKNOWN),
        signing_time=None,
        timestamp=TimestampResult(present=False),
        coverage=CoverageResult(
            whole_document=False, coverage="unclear", modification_level=None, changes_allowed=None
        ),
        level="unknown",
        verdict=Verdict.INVALID,
        reasons=(Finding("signature.malformed", f"the signature cannot be evaluated: {exc}"),),
    )


def _chain(status: Any, revocation: RevocationResult) -> ChainResult:
    path = status.validation_path
    names = (
        tuple(_cn(_crypto(c)) for c in path.iter_certs(include_root=True))
        if path is not None
        else ()
    )
    if status.trusted or (path is not None and status.trust_problem_indic is None):
        return ChainResult(trusted=True, path=names)
    indic = status.trust_problem_indic
    if (
        indic is not None
        and "REVOKED" in indic.name
        and revocation.status is not RevocationStatus.REVOKED
    ):
        # pyHanko says revoked: trust it even if we found no answer ourselves.
        return ChainResult(trusted=False, reason=indic.name.lower(), path=names)
    reason = indic.name.lower() if indic is not None else "no path to a trusted root"
    return ChainResult(trusted=False, reason=reason, path=names)


def _timestamp(status: Any) -> TimestampResult:
    ts = status.timestamp_validity
    if ts is None:
        return TimestampResult(present=False)
    tsa = _cn(_crypto(ts.signing_cert))
    return TimestampResult(
        present=True, time=ts.timestamp, tsa=tsa, valid=bool(ts.valid and ts.intact and ts.trusted)
    )


def _coverage(status: Any) -> CoverageResult:
    level = status.modification_level
    diff = status.diff_result
    changed: tuple[str, ...] = ()
    detail = None
    if isinstance(diff, DiffResult):
        changed = tuple(sorted(diff.changed_form_fields))
    elif diff is not None:
        detail = str(diff)
    cov = status.coverage
    return CoverageResult(
        whole_document=cov is SignatureCoverageLevel.ENTIRE_FILE,
        coverage=cov.name.lower() if cov is not None else "unclear",
        modification_level=level.name.lower() if level is not None else None,
        changes_allowed=status.docmdp_ok,
        changed_fields=changed,
        detail=detail,
    )


def _verdict(
    status: Any,
    chain: ChainResult,
    revocation: RevocationResult,
    timestamp: TimestampResult,
    coverage: CoverageResult,
) -> tuple[Verdict, tuple[Finding, ...]]:
    invalid: list[Finding] = []
    unsure: list[Finding] = []
    if not status.intact:
        invalid.append(
            Finding(
                "signature.digest_mismatch", "the document bytes do not match the signed digest"
            )
        )
    if not status.valid:
        invalid.append(Finding("signature.bad_signature", "the cryptographic signature is wrong"))
    if revocation.status is RevocationStatus.REVOKED:
        when = revocation.revoked_at.isoformat() if revocation.revoked_at else "an unknown time"
        invalid.append(
            Finding("signature.revoked", f"the signer's certificate was revoked at {when}")
        )
    if coverage.coverage in ("unclear", "contiguous_block_from_start") or (
        coverage.changes_allowed is False
    ):
        invalid.append(
            Finding(
                "signature.modified",
                "the document was changed after signing"
                + (f": {coverage.detail}" if coverage.detail else ""),
            )
        )
    if not chain.trusted and revocation.status is not RevocationStatus.REVOKED:
        unsure.append(Finding("signature.untrusted", f"no trusted chain: {chain.reason}"))
    if revocation.status is RevocationStatus.UNKNOWN:
        unsure.append(
            Finding(
                "signature.revocation_unknown", "no CRL or OCSP answer for the signer's certificate"
            )
        )
    if timestamp.present and not timestamp.valid:
        unsure.append(
            Finding("signature.timestamp_invalid", "the signature timestamp is not valid")
        )
    if invalid:
        return Verdict.INVALID, tuple(invalid + unsure)
    if unsure:
        return Verdict.INDETERMINATE, tuple(unsure)
    return Verdict.VALID, ()
