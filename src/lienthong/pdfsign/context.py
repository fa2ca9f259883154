"""Bridges from our PKI model (pyca ``cryptography`` objects) to pyHanko's validation context."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from lienthong.pki.model import TrustStore


def asn1_cert(cert: x509.Certificate) -> Any:
    """The asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def asn1_crl_of(crl: x509.CertificateRevocationList) -> Any:
    return asn1_crl.CertificateList.load(crl.public_bytes(Encoding.DER))


def validation_context(
    trust: TrustStore,
    *,
    other_certs: Iterable[Any] = (),
    crls: Iterable[Any] = (),
    ocsps: Iterable[Any] = (),
    allow_fetching: bool = False,
    moment: datetime | None = None,
    revocation_mode: str = "soft-fail",
    session: Any = None,
) -> ValidationContext:
    """A context that trusts exactly ``trust.roots`` (never the operating system's list).

    ``other_certs``, ``crls`` and ``ocsps`` are asn1crypto objects (e.g. from a DSS) added
    to the trust store's intermediates and CRLs. ``moment`` fixes the validation time;
    with fetching allowed it is left to "now", as pyHanko requires. ``session`` (an aiohttp
    session, see :mod:`.http`) is used for fetching; the caller closes it.
    """
    if not trust.roots:
        raise ValueError("a trust store needs at least one root")
    return ValidationContext(
        trust_roots=[asn1_cert(c) for c in trust.roots],
        other_certs=[*(asn1_cert(c) for c in trust.intermediates), *other_certs],
        crls=[*(asn1_crl_of(c) for c in trust.crls), *crls],
        ocsps=list(ocsps),
        allow_fetching=allow_fetching,
        moment=None if allow_fetching else moment,
        revocation_mode=revocation_mode,
        fetcher_backend=(
            AIOHttpFetcherBackend(session) if allow_fetching and session is not None else None
        ),
    )
