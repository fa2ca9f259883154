"""The directory's input rules and its plain model (no database)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from lienthong.directory import rules
from lienthong.directory.model import (
    UNSET,
    Agency,
    AgencyPatch,
    AgencyState,
    Contact,
    identifier_key,
)
from lienthong.edxml.agency_id import AgencyIdForm
from lienthong.errors import ValidationError


def _code(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return excinfo.value.code


def test_clean_name_normalises_to_nfc_and_collapses_spaces() -> None:
    raw = unicodedata.normalize("NFD", "  Ủy ban   nhân dân\ttỉnh Nghệ An ")

    assert rules.clean_name(raw) == unicodedata.normalize("NFC", "Ủy ban nhân dân tỉnh Nghệ An")


def test_clean_name_requires_a_name_of_bounded_length() -> None:
    with pytest.raises(ValidationError) as caught:
        rules.clean_name(" \n ")
    assert _code(caught) == "directory.invalid_name"
    with pytest.raises(ValidationError) as caught:
        rules.clean_name("x" * (rules.MAX_NAME + 1))
    assert _code(caught) == "directory.too_long"
    assert caught.value.details["field"] == "name"


def test_official_ids_must_have_their_own_form() -> None:
    qcvn = rules.clean_official_id(" 000.00.01.h08", form=AgencyIdForm.QCVN102, field="qcvn_id")
    qd20 = rules.clean_official_id("h37.dn.001", form=AgencyIdForm.QD20, field="qd20_id")

    assert qcvn is not None
    assert qcvn.value == "000.00.01.H08"
    assert qd20 is not None
    assert qd20.value == "H37.DN.001"
    assert rules.clean_official_id("  ", form=AgencyIdForm.QD20, field="qd20_id") is None
    for value, form in (
        ("H37.DN.001", AgencyIdForm.QCVN102),
        ("000.00.00.G22", AgencyIdForm.QD20),
        ("vxp.saas.03", AgencyIdForm.QCVN102),
        ("bad id!", AgencyIdForm.QD20),
    ):
        with pytest.raises(ValidationError) as caught:
            rules.clean_official_id(value, form=form, field="x")
        assert _code(caught) == "directory.invalid_id"


def test_aliases_take_any_well_formed_identifier() -> None:
    assert rules.clean_alias(" vxp.saas.03 ") == "vxp.saas.03"
    assert rules.clean_alias("01.02.G22") == "01.02.G22"
    with pytest.raises(ValidationError):
        rules.clean_alias("có dấu")


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        (Contact(email=" a@b.vn "), Contact(email="a@b.vn")),
        (Contact(telephone="(024) 3823.0000", fax="+84 24 3823 0001"), None),
        (Contact(telephone="024 1111; 024 2222"), None),
        (Contact(website="https://www.nghean.gov.vn/path?q=1"), None),
        (Contact(website="chinhphu.vn"), None),
        (Contact(address="  ", email="", fax=None), Contact()),
    ],
)
def test_valid_contacts(contact: Contact, expected: Contact | None) -> None:
    assert rules.clean_contact(contact) == (expected or contact)


@pytest.mark.parametrize(
    "contact",
    [
        Contact(email="vpcp.chinhphu.vn"),
        Contact(email="a@b"),
        Contact(email="a b@c.vn"),
        Contact(telephone="call me"),
        Contact(fax="---"),
        Contact(website="not a website"),
        Contact(website="ftp://x.vn"),
        Contact(address="x" * (rules.MAX_ADDRESS + 1)),
    ],
)
def test_invalid_contacts(contact: Contact) -> None:
    with pytest.raises(ValidationError):
        rules.clean_contact(contact)


def test_identifier_key_ignores_case_and_surrounding_space() -> None:
    assert identifier_key(" vxp.saas.03\n") == "VXP.SAAS.03"
    assert identifier_key("000.00.00.g22") == identifier_key("000.00.00.G22")


def test_patch_applies_only_its_contact_fields() -> None:
    current = Contact(address="Hà Nội", email="a@b.vn", telephone="024 1")

    assert AgencyPatch(name="x").contact_applied_to(current) is current
    assert AgencyPatch(email=None, fax="024 2").contact_applied_to(current) == Contact(
        address="Hà Nội", telephone="024 1", fax="024 2"
    )
    assert AgencyPatch().parent is UNSET


def test_agency_code_and_identifiers() -> None:
    at = datetime(2026, 5, 10, tzinfo=UTC)
    agency = Agency(
        id=1,
        name="Doanh nghiệp",
        qcvn_id=None,
        qd20_id="H37.DN.001",
        short_name=None,
        parent_id=None,
        contact=Contact(),
        state=AgencyState.LOCKED,
        created_at=at,
        updated_at=at,
        version=3,
        aliases=("dn.cu",),
    )

    assert agency.code == "H37.DN.001"
    assert agency.identifiers == ("H37.DN.001", "dn.cu")
    assert not agency.is_active
