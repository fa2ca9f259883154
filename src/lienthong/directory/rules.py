"""The directory's input rules: pure functions that clean a value or say what is wrong.

Every function returns the cleaned value (NFC, trimmed, empty → ``None``) or raises
:class:`~lienthong.errors.ValidationError` naming the field. Agency identifiers are parsed
by :mod:`lienthong.edxml.agency_id`.
"""

from __future__ import annotations

import re

from lienthong.directory.model import Contact
from lienthong.edxml.agency_id import AgencyId, AgencyIdError, AgencyIdForm, parse_agency_id
from lienthong.errors import ValidationError
from lienthong.text import nfc

MAX_NAME = 500
MAX_SHORT_NAME = 100
MAX_ADDRESS = 500
MAX_EMAIL = 254
MAX_PHONE = 50
MAX_WEBSITE = 500

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"[0-9+().,;/ -]+")
_WEBSITE = re.compile(r"(https?://)?[^\s/.]+(\.[^\s/.]+)+(/\S*)?", re.IGNORECASE)

_FORM_NAMES = {
    AgencyIdForm.QCVN102: "a QCVN 102 id (DDD.CC.BB.Xnn, e.g. 000.00.00.G22)",
    AgencyIdForm.QD20: "a Decision 20 id (e.g. H37.DN.001)",
}


def _invalid(field: str, message: str, code: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", code=code, field=field)


def clean_text(value: str | None, *, field: str, max_length: int) -> str | None:
    """NFC, whitespace collapsed, ``None`` when empty; too long is an error."""
    if value is None:
        return None
    text = " ".join(nfc(value).split())
    if not text:
        return None
    if len(text) > max_length:
        raise _invalid(
            field, f"{len(text)} characters (at most {max_length})", "directory.too_long"
        )
    return text


def clean_name(value: str) -> str:
    """An agency's name: required."""
    name = clean_text(value, field="name", max_length=MAX_NAME)
    if name is None:
        raise _invalid("name", "an agency needs a name", "directory.invalid_name")
    return name


def clean_official_id(value: str | None, *, form: AgencyIdForm, field: str) -> AgencyId | None:
    """A QCVN 102 or QĐ 20 id, which must be in exactly that form."""
    if value is None or not value.strip():
        return None
    try:
        parsed = parse_agency_id(value)
    except AgencyIdError as exc:
        raise _invalid(field, exc.message, "directory.invalid_id") from exc
    if parsed.form is not form:
        raise _invalid(
            field, f"{value.strip()!r} is not {_FORM_NAMES[form]}", "directory.invalid_id"
        )
    return parsed


def clean_alias(value: str) -> str:
    """A non-standard identifier (any well-formed id is accepted as an alias)."""
    try:
        return parse_agency_id(value).value
    except AgencyIdError as exc:
        raise _invalid("alias", exc.message, "directory.invalid_id") from exc


def clean_email(value: str | None) -> str | None:
    """An e-mail address: ``local@domain.tld``."""
    email = clean_text(value, field="email", max_length=MAX_EMAIL)
    if email is not None and not _EMAIL.fullmatch(email):
        raise _invalid("email", f"{email!r} is not an e-mail address", "directory.invalid_contact")
    return email


def clean_phone(value: str | None, *, field: str) -> str | None:
    """A telephone or fax number: digits with ``+ ( ) . - /`` and spaces; ``,`` or ``;``
    between several numbers."""
    phone = clean_text(value, field=field, max_length=MAX_PHONE)
    if phone is not None and not (_PHONE.fullmatch(phone) and any(c.isdigit() for c in phone)):
        raise _invalid(field, f"{phone!r} is not a telephone number", "directory.invalid_contact")
    return phone


def clean_website(value: str | None) -> str | None:
    """A web address (``https://`` may be left out)."""
    website = clean_text(value, field="website", max_length=MAX_WEBSITE)
    if website is not None and not _WEBSITE.fullmatch(website):
        raise _invalid("website", f"{website!r} is not a web address", "directory.invalid_contact")
    return website


def clean_contact(contact: Contact) -> Contact:
    """Every contact field cleaned and checked."""
    return Contact(
        address=clean_text(contact.address, field="address", max_length=MAX_ADDRESS),
        email=clean_email(contact.email),
        telephone=clean_phone(contact.telephone, field="telephone"),
        fax=clean_phone(contact.fax, field="fax"),
        website=clean_website(contact.website),
    )
