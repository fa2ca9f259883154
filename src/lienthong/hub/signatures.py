"""The hub's package signature check: :func:`lienthong.edxml.xmldsig.verify_package`, with
the certificate's chain result cached per certificate for a short time (its
``chain_check`` hook; ``tests/unit/test_hub_signatures.py`` compares the reports
with and without the cache).

The cryptographic part (digest and signature value) is checked for every package; the
chain building, validity and revocation check of the signer's certificate depends only on
the certificate, the certificates sent along and the trust store, so its result is reused
for ``ttl_s`` seconds (and never past the certificate's own expiry). Busy senders sign many
packages with one certificate: intake then pays the chain check once a minute, not per
package. A new trust store (new CRLs) should come with a new checker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from lienthong.clock import Clock
from lienthong.edxml.xmldsig import verify_package
from lienthong.edxml.xmldsig_report import CertificateInfo, Finding, PackageSignatureReport
from lienthong.edxml.xmldsig_trust import check_certificate
from lienthong.hub.audit_chain import fingerprint
from lienthong.pki.model import TrustStore
from lienthong.settings import EdxmlLimits

#: Agencies a certificate may sign for, besides the one it names (registered certificates).
AllowedLookup = Callable[[x509.Certificate], Collection[str]]


@dataclass(frozen=True, slots=True)
class _ChainResult:
    certificate: CertificateInfo | None
    time_valid: bool | None
    trusted: bool | None
    chain: tuple[CertificateInfo, ...]
    revoked: bool | None
    findings: tuple[Finding, ...]
    expires: datetime


class SignatureChecker:
    """Verifies package signatures against one trust store, caching chain results."""

    def __init__(
        self,
        trust: TrustStore,
        *,
        clock: Clock,
        limits: EdxmlLimits | None = None,
        ttl_s: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        self.trust = trust
        self._clock = clock
        self._limits = limits or EdxmlLimits()
        self._ttl = timedelta(seconds=ttl_s)
        self._max = max_entries
        self._cache: dict[tuple[str, ...], _ChainResult] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def check(self, data: bytes, allowed: AllowedLookup | None = None) -> PackageSignatureReport:
        """The signature report of ``data``: ``verify_package`` with the cached chain check."""
        return verify_package(
            data,
            self.trust,
            clock=self._clock,
            allowed_agencies=allowed,
            limits=self._limits,
            chain_check=self._certificate,
        )

    def _certificate(
        self,
        report: PackageSignatureReport,
        leaf: x509.Certificate,
        extra: Sequence[x509.Certificate],
        trust: TrustStore,
        now: datetime,
    ) -> None:
        """:func:`check_certificate`, its result reused for the same certificates."""
        key = (fingerprint(leaf), *sorted(fingerprint(c) for c in extra if c is not leaf))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.expires <= now:
                del self._cache[key]
                cached = None
        if cached is None:
            self.misses += 1
            probe = PackageSignatureReport(checked_at=now)
            check_certificate(probe, leaf, extra, trust, now)
            expires = min(now + self._ttl, leaf.not_valid_after_utc)
            cached = _ChainResult(
                probe.certificate,
                probe.time_valid,
                probe.trusted,
                tuple(probe.chain),
                probe.revoked,
                tuple(probe.findings),
                expires,
            )
            with self._lock:
                if len(self._cache) >= self._max:
                    self._cache.clear()
                self._cache[key] = cached
        else:
            self.hits += 1
        report.certificate = cached.certificate
        report.time_valid = cached.time_valid
        report.trusted = cached.trusted
        report.chain = list(cached.chain)
        report.revoked = cached.revoked
        report.findings.extend(cached.findings)
