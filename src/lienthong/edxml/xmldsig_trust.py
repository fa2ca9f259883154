"""Who signed a package, and may they: chain to a trusted root, validity, revocation, agency.

These checks fill a :class:`~lienthong.edxml.xmldsig_report.PackageSignatureReport`; they
never raise on a bad certificate (that is a finding), only on an unusable trust store.

The agency rule (``MessageHeader/From/OrganId`` against the certificate):

1. the certificate binds an agency id (``organizationIdentifier`` ``MDDVN-…``, read by
   :func:`lienthong.pki.names.agency_id_of`) equal to ``From/OrganId``: the sending
   agency signed (organisation or personal certificate); or
2. the caller says which agencies the signer may sign for (``allowed_agencies``) and
   ``From/OrganId`` is one of them: a document system (``system`` certificate) signing
   for the agencies it hosts. Pass a plain set only when the signer is already bound to
   it (e.g. the connection that delivered the package is authenticated as that system);
   otherwise pass a callable that maps the signing certificate to the agencies its
   holder hosts (e.g. a directory lookup by fingerprint);
3. anything else is a mismatch: the package claims a sender that did not sign it.

Agency ids are compared case-insensitively after trimming.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from cryptography import x509

from lienthong.edxml.xmldsig_report import CertificateInfo, PackageSignatureReport, Severity
from lienthong.errors import SignatureError
from lienthong.pki.model import TrustStore
from lienthong.pki.names import agency_id_of
from lienthong.pki.trust import verify_certificate

#: The agencies a signer may sign for: a set, or a function of the signing certificate.
AllowedAgencies = Collection[str] | Callable[[x509.Certificate], Collection[str]]


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def pick_signing_certificate(certs: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The end-entity certificate among those in KeyInfo (no order is implied there).

    CA certificates never sign packages. Among the others, the one that issued none of
    the rest; when that is ambiguous, the first listed. ``None`` when there is none.
    """
    candidates = [c for c in certs if not _is_ca(c)]
    if not candidates:
        return None
    subjects = [c.subject.public_bytes() for c in candidates]
    issuers = [c.issuer.public_bytes() for c in certs]
    leaves = [
        cert
        for i, cert in enumerate(candidates)
        if not any(c is not cert and issuers[j] == subjects[i] for j, c in enumerate(certs))
    ]
    return leaves[0] if len(leaves) == 1 else candidates[0]


def check_certificate(
    report: PackageSignatureReport,
    leaf: x509.Certificate,
    extra: Sequence[x509.Certificate],
    trust: TrustStore,
    now: datetime,
) -> None:
    """Fill validity, chain/trust and revocation of ``leaf`` into ``report``."""
    report.certificate = CertificateInfo.of(leaf)
    report.time_valid = leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc
    if now < leaf.not_valid_before_utc:
        report.add(
            "signature.certificate_not_yet_valid",
            f"the certificate is not valid before {leaf.not_valid_before_utc.isoformat()}",
        )
    elif now > leaf.not_valid_after_utc:
        report.add(
            "signature.certificate_expired",
            f"the certificate expired on {leaf.not_valid_after_utc.isoformat()}",
        )
    # An expired certificate's path is judged as of its own validity, so the report can
    # say "trusted but expired" rather than a vaguer "untrusted".
    at = now if report.time_valid else leaf.not_valid_before_utc
    if not trust.roots:
        raise SignatureError(
            "the trust store has no root certificate", code="signature.trust_store"
        )
    # KeyInfo's certificates help build the path (they are never anchors) and let the
    # CRL check find the issuer of a certificate issued by an intermediate not in ``trust``.
    pool = tuple(c for c in extra if c is not leaf)
    known = dataclasses.replace(trust, intermediates=(*trust.intermediates, *pool))
    chain = verify_certificate(leaf, known, at=at)
    report.trusted = chain.trusted
    if not chain.trusted:
        report.add(
            "signature.untrusted",
            "no trusted chain from the certificate to a root of the trust store: "
            + "; ".join(chain.problems),
        )
        return
    report.chain = [CertificateInfo.of(c) for c in chain.chain[1:]]
    report.revoked = chain.revoked or (None if chain.revocation_unknown else False)
    if chain.revoked:
        report.add("signature.revoked", "; ".join(chain.problems))
    elif chain.revocation_unknown:
        report.add(
            "signature.revocation_unknown",
            "revocation not checked: the trust store has no CRL for a certificate of the chain",
            Severity.WARNING,
        )


def check_agency(
    report: PackageSignatureReport,
    leaf: x509.Certificate,
    allowed_agencies: AllowedAgencies | None,
) -> None:
    """Apply the agency rule (module docstring) and fill the agency fields."""
    cert_agency = agency_id_of(leaf)
    report.certificate_agency_id = cert_agency
    sender = report.from_organ_id
    if sender is None:
        report.add(
            "signature.no_sender",
            "the package names no sender (From/OrganId); the signer cannot be matched",
        )
        return
    wanted = sender.strip().upper()
    if cert_agency is not None and cert_agency.upper() == wanted:
        report.agency_matches = True
        return
    hosted = allowed_agencies(leaf) if callable(allowed_agencies) else allowed_agencies
    if hosted is not None and wanted in {a.strip().upper() for a in hosted}:
        report.agency_matches = True
        report.add(
            "signature.signed_for_hosted_agency",
            f"signed by a system allowed to sign for {sender}",
            Severity.INFO,
        )
        return
    report.agency_matches = False
    if cert_agency is None:
        report.add(
            "signature.agency_mismatch",
            f"the certificate names no agency and is not allowed to sign for {sender}",
        )
    else:
        report.add(
            "signature.agency_mismatch",
            f"the package is from {sender} but the certificate belongs to {cert_agency}",
        )
