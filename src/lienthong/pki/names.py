"""How agencies, people and systems are named in certificates.

The binding of a certificate to an agency (see ``docs/pki.md``):

- ``organizationIdentifier`` (OID 2.5.4.97, ETSI EN 319 412-1 style) holds
  ``AGENCY_ID_PREFIX + agency id``, e.g. ``MDDVN-000.00.00.H41``. ``MDD`` stands for
  *mã định danh* (the QCVN 102 / Decision 20/2020 agency identifier) and ``VN`` for the
  country, the same shape ETSI gives ``VATVN-…`` or ``NTRVN-…``; a tax code or a trade
  register number therefore never reads as an agency id.
- ``O`` is the agency's name. Organisation (seal) certificates have ``CN`` = the agency's
  name; personal signer certificates have ``CN`` = the person's name and ``title`` = their
  position, plus the same ``O`` and ``organizationIdentifier`` as their agency.

:func:`agency_id_of` is the one reader of that binding.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from lienthong.errors import PkiError
from lienthong.text import nfc

#: Prefix of the agency id inside ``organizationIdentifier``.
AGENCY_ID_PREFIX = "MDDVN-"
#: Agency ids we put in certificates: QCVN 102 or Decision 20/2020 forms (A-Z, 0-9, '.').
_AGENCY_ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9.]{0,34}$")
_SLUG_RE = re.compile(r"[^a-z0-9.]+")

COUNTRY = "VN"
#: Organisation name on the demo CAs, TSA and OCSP responder.
DEMO_ORG = "lienthong DEMO — NOT FOR PRODUCTION"
DEMO_ROOT_CN = "lienthong DEMO Root CA — NOT FOR PRODUCTION"
DEMO_ISSUING_CN = "lienthong DEMO Issuing CA — NOT FOR PRODUCTION"
DEMO_TSA_CN = "lienthong DEMO Timestamp Authority — NOT FOR PRODUCTION"
DEMO_OCSP_CN = "lienthong DEMO OCSP Responder — NOT FOR PRODUCTION"


def check_agency_id(agency_id: str) -> str:
    """Return ``agency_id`` normalised (upper case), or raise :class:`PkiError`."""
    value = nfc(agency_id).strip().upper()
    if not _AGENCY_ID_RE.match(value):
        raise PkiError(
            f"not an agency id we can put in a certificate: {agency_id!r}",
            code="pki.agency_id",
        )
    return value


def slug(text: str) -> str:
    """A file-name-safe, lower-case ASCII form of ``text`` (diacritics folded)."""
    from lienthong.text import fold

    value = _SLUG_RE.sub("-", fold(text).lower()).strip("-.")
    if not value:
        raise PkiError(f"cannot make a name from {text!r}", code="pki.name")
    return value


def _attr(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(oid, nfc(value))


def ca_name(common_name: str) -> x509.Name:
    """Subject of a demo CA, TSA or OCSP responder."""
    return x509.Name(
        [
            _attr(NameOID.COUNTRY_NAME, COUNTRY),
            _attr(NameOID.ORGANIZATION_NAME, DEMO_ORG),
            _attr(NameOID.COMMON_NAME, common_name),
        ]
    )


def agency_name(agency_id: str, name: str) -> x509.Name:
    """Subject of an agency's organisation (seal) certificate."""
    agency_id = check_agency_id(agency_id)
    return x509.Name(
        [
            _attr(NameOID.COUNTRY_NAME, COUNTRY),
            _attr(NameOID.ORGANIZATION_NAME, name),
            _attr(NameOID.ORGANIZATION_IDENTIFIER, AGENCY_ID_PREFIX + agency_id),
            _attr(NameOID.COMMON_NAME, name),
        ]
    )


def signer_name(agency_id: str, agency: str, person: str, title: str | None) -> x509.Name:
    """Subject of a competent person's certificate, tied to their agency."""
    agency_id = check_agency_id(agency_id)
    attrs = [
        _attr(NameOID.COUNTRY_NAME, COUNTRY),
        _attr(NameOID.ORGANIZATION_NAME, agency),
        _attr(NameOID.ORGANIZATION_IDENTIFIER, AGENCY_ID_PREFIX + agency_id),
    ]
    if title:
        attrs.append(_attr(NameOID.TITLE, title))
    attrs.append(_attr(NameOID.COMMON_NAME, person))
    return x509.Name(attrs)


def system_name(system: str, operator: str, agency_id: str | None) -> x509.Name:
    """Subject of a document system's certificate (signs edXML packages)."""
    attrs = [
        _attr(NameOID.COUNTRY_NAME, COUNTRY),
        _attr(NameOID.ORGANIZATION_NAME, operator),
    ]
    if agency_id:
        attrs.append(
            _attr(NameOID.ORGANIZATION_IDENTIFIER, AGENCY_ID_PREFIX + check_agency_id(agency_id))
        )
    attrs.append(_attr(NameOID.COMMON_NAME, system))
    return x509.Name(attrs)


def agency_id_of(cert: x509.Certificate) -> str | None:
    """The agency id bound in ``cert``'s subject, or ``None`` if it carries none.

    Reads ``organizationIdentifier`` values with the ``MDDVN-`` prefix; other semantic
    identifiers (``VATVN-…``) are ignored. Two different agency ids in one subject are
    ambiguous and give ``None``.
    """
    found: set[str] = set()
    for attr in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER):
        value = attr.value if isinstance(attr.value, str) else attr.value.decode("utf-8", "replace")
        if value.startswith(AGENCY_ID_PREFIX):
            candidate = value[len(AGENCY_ID_PREFIX) :]
            if _AGENCY_ID_RE.match(candidate):
                found.add(candidate)
    if len(found) != 1:
        return None
    return found.pop()


def common_name_of(name: x509.Name) -> str:
    """The first CN of ``name`` (empty if none)."""
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        return ""
    value = attrs[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
