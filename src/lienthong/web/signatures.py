"""Signature reports in plain words, for the document pages.

Two reports are shown: the PAdES signatures inside the main PDF
(:func:`lienthong.pdfsign.validate.validate_pdf`, judged against the configured trust
store and cached by the PDF's SHA-256), and, for documents that came through the hub, the
checks the sync worker made on the package (``signature_summary``). Each signature becomes
a verdict (``ok``, ``bad``, ``unknown``) and a few sentences a clerk can act on.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from lienthong.clock import Clock
from lienthong.errors import LienthongError
from lienthong.pdfsign.report import PdfValidationReport, RevocationStatus, SignatureReport, Verdict
from lienthong.pki.model import TrustStore
from lienthong.web.i18n import Translator

_CACHE_SIZE = 128


@dataclass(frozen=True, slots=True)
class PlainSignature:
    """One signature as a person reads it."""

    who: str
    verdict: str  # ok | bad | unknown
    sentences: tuple[str, ...]
    agency_id: str | None = None
    when: datetime | None = None


@dataclass(frozen=True, slots=True)
class PlainReport:
    """A document's signatures: an overall sentence and one entry per signature."""

    verdict: str  # ok | bad | unknown | none
    summary: str
    signatures: tuple[PlainSignature, ...] = field(default=())


_VERDICT = {Verdict.VALID: "ok", Verdict.INVALID: "bad", Verdict.INDETERMINATE: "unknown"}


class SignatureReports:
    """Validates PDFs once per SHA-256 and keeps the latest reports."""

    def __init__(self, trust: Callable[[], TrustStore | None], clock: Clock) -> None:
        self._trust = trust
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, PdfValidationReport | None] = OrderedDict()

    def pdf(self, sha256: str, load: Callable[[], bytes], t: Translator) -> PlainReport:
        """The plain report of the PDF with ``sha256`` (``load`` gives its bytes)."""
        trust = self._trust()
        if trust is None:
            return PlainReport("unknown", t("sig.no_trust"))
        with self._lock:
            known = sha256 in self._cache
            report = self._cache.get(sha256)
        if not known:
            report = self._validate(load(), trust)
            with self._lock:
                self._cache[sha256] = report
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        if report is None:
            return PlainReport("unknown", t("sig.unreadable"))
        return describe_pdf(report, t)

    def _validate(self, pdf: bytes, trust: TrustStore) -> PdfValidationReport | None:
        from lienthong.pdfsign.validate import validate_pdf

        try:
            return validate_pdf(pdf, trust, clock=self._clock)
        except LienthongError:
            return None


def describe_pdf(report: PdfValidationReport, t: Translator) -> PlainReport:
    """Plain words for a PDF validation report."""
    if not report.signatures:
        return PlainReport("none", t("sig.unsigned"))
    plain = tuple(describe_signature(s, t) for s in report.signatures)
    verdict = _VERDICT[report.verdict]
    return PlainReport(verdict, t(f"sig.summary.{verdict}", count=len(plain)), plain)


def describe_signature(sig: SignatureReport, t: Translator) -> PlainSignature:
    """Plain sentences for one PDF signature."""
    sentences = []
    if sig.intact and sig.signature_valid:
        if sig.coverage.changes_allowed is False:
            sentences.append(t("sig.changed_after"))
        else:
            sentences.append(t("sig.intact"))
    else:
        sentences.append(t("sig.broken"))
    sentences.append(t("sig.trusted") if sig.chain.trusted else t("sig.untrusted"))
    if sig.revocation.status is RevocationStatus.REVOKED:
        sentences.append(t("sig.revoked"))
    elif sig.revocation.status is RevocationStatus.UNKNOWN:
        sentences.append(t("sig.revocation_unknown"))
    else:
        sentences.append(t("sig.not_revoked"))
    if sig.timestamp.present:
        sentences.append(t("sig.timestamp_ok") if sig.timestamp.valid else t("sig.timestamp_bad"))
    when = sig.timestamp.time if sig.timestamp.present and sig.timestamp.time else sig.signing_time
    return PlainSignature(
        who=sig.signer,
        verdict=_VERDICT[sig.verdict],
        sentences=tuple(sentences),
        agency_id=sig.agency_id,
        when=when,
    )


def describe_package(summary: str | None, valid: bool | None, t: Translator) -> PlainReport:
    """Plain words for the package checks an incoming document arrived with."""
    if summary is None:
        return PlainReport("none", t("sig.package.none"))
    try:
        checks = json.loads(summary)
    except ValueError:
        return PlainReport("unknown", t("sig.package.unreadable"))
    signatures = []
    for check in checks if isinstance(checks, list) else []:
        if not isinstance(check, dict):
            continue
        ok = bool(check.get("valid"))
        what = str(check.get("file") or "")
        sentences = [t("sig.package.ok", file=what) if ok else t("sig.package.bad", file=what)]
        verdict_text = str(check.get("verdict") or "")
        if verdict_text and not ok:
            sentences.append(t("sig.package.verdict", verdict=verdict_text))
        signatures.append(
            PlainSignature(
                who=str(check.get("signer") or t("sig.unknown_signer")),
                verdict="ok" if ok else "bad",
                sentences=tuple(sentences),
                agency_id=check.get("agency_id"),
            )
        )
    verdict = "ok" if valid else ("bad" if valid is False else "unknown")
    return PlainReport(verdict, t(f"sig.package.summary.{verdict}"), tuple(signatures))
