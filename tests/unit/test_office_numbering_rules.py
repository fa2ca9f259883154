"""Numbering rules: series, the year boundary in Vietnam time, how numbers and notations
are written; and the catalogue's form decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.clock import VN_TZ
from lienthong.edxml.doctypes import lookup_doctype
from lienthong.office.catalogue_rules import DEFAULT_CATALOGUE, CatalogueEntry, decide_form
from lienthong.office.model import Confidentiality, DocumentForm, RequiredForm
from lienthong.office.numbering import (
    Series,
    code_of,
    day_start,
    incoming_series,
    numbering_year,
    outgoing_notation,
    outgoing_series,
    register_series,
    vn_date,
    written_number,
)


@pytest.mark.parametrize(("number", "text"), [(1, "01"), (9, "09"), (10, "10"), (123, "123")])
def test_numbers_below_ten_take_a_leading_zero(number: int, text: str) -> None:
    assert written_number(number) == text


def test_secret_documents_have_their_own_series() -> None:
    assert outgoing_series(Confidentiality.NONE) is Series.OUTGOING
    for level in (Confidentiality.MAT, Confidentiality.TOI_MAT, Confidentiality.TUYET_MAT):
        assert outgoing_series(level) is Series.OUTGOING_SECRET
        assert incoming_series(level) is Series.INCOMING_SECRET
    assert incoming_series(Confidentiality.NONE) is Series.INCOMING
    assert register_series("out", secret=False) is Series.OUTGOING
    assert register_series("in", secret=True) is Series.INCOMING_SECRET
    with pytest.raises(ValueError, match="'in' or 'out'"):
        register_series("sideways", secret=False)


def test_the_year_turns_at_midnight_in_vietnam() -> None:
    # 31 Dec 2026 17:00 UTC is 1 Jan 2027 00:00 in Hanoi.
    assert numbering_year(datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)) == 2026
    assert numbering_year(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == 2027
    assert vn_date(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert day_start(date(2027, 1, 1)) == datetime(2027, 1, 1, tzinfo=VN_TZ)
    assert day_start(date(2027, 1, 1), next_day=True) == datetime(2027, 1, 2, tzinfo=VN_TZ)
    with pytest.raises(ValueError, match="aware"):
        vn_date(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value is the point


@pytest.mark.parametrize(
    ("doctype", "unit", "code"),
    [
        ("quyet_dinh", "TTĐT", "12/QĐ-UBND"),
        ("cong_van", "TTĐT", "12/UBND-TTĐT"),
        ("cong_van", "", "12/UBND"),
        ("thong_bao", "", "12/TB-UBND"),
        ("quy_dinh", "VP", "12/QyĐ-UBND"),
    ],
)
def test_notation_from_type_agency_and_unit(doctype: str, unit: str, code: str) -> None:
    found = lookup_doctype(doctype)
    assert found is not None
    assert code_of(12, outgoing_notation(found, "UBND", unit)) == code


def test_written_code_pads_small_numbers() -> None:
    assert code_of(7, "QĐ-UBND") == "07/QĐ-UBND"


# -- the catalogue --------------------------------------------------------------------------

ENTRIES = [
    CatalogueEntry("Giấy mời", RequiredForm.ELECTRONIC, doctype_key="giay_moi", id=1),
    CatalogueEntry("Hồ sơ trình", RequiredForm.ELECTRONIC_AND_PAPER, doctype_key="to_trinh", id=2),
    CatalogueEntry(
        "Cũ", RequiredForm.ELECTRONIC_AND_PAPER, doctype_key="bao_cao", id=3, active=False
    ),
]


def test_the_catalogue_supplies_the_default_form() -> None:
    invitation = decide_form(ENTRIES, doctype_key="giay_moi", requested=None)
    assert invitation.form is DocumentForm.ELECTRONIC
    assert invitation.entry is not None
    assert invitation.entry.id == 1
    assert invitation.warnings == ()
    dossier = decide_form(ENTRIES, doctype_key="to_trinh", requested=None)
    assert dossier.form is DocumentForm.MIXED
    unlisted = decide_form(ENTRIES, doctype_key="bao_cao", requested=None)
    assert unlisted.entry is None
    assert unlisted.form is DocumentForm.ELECTRONIC


def test_departing_from_the_catalogue_is_a_warning() -> None:
    decision = decide_form(ENTRIES, doctype_key="giay_moi", requested=DocumentForm.PAPER)
    assert decision.form is DocumentForm.PAPER
    [warning] = decision.warnings
    assert warning.code == "catalogue.form_departs"
    assert "Giấy mời" in warning.message
    assert "chỉ gửi điện tử" in warning.message


def test_an_explicit_entry_wins_over_the_type() -> None:
    decision = decide_form(ENTRIES, doctype_key="giay_moi", requested=None, entry_id=2)
    assert decision.entry is not None
    assert decision.entry.id == 2
    assert decision.form is DocumentForm.MIXED


def test_secret_documents_default_to_paper() -> None:
    decision = decide_form(
        ENTRIES, doctype_key="giay_moi", requested=None, confidentiality=Confidentiality.MAT
    )
    assert decision.form is DocumentForm.PAPER
    assert decision.warnings == ()
    electronic = decide_form(
        ENTRIES,
        doctype_key="giay_moi",
        requested=DocumentForm.ELECTRONIC,
        confidentiality=Confidentiality.TOI_MAT,
    )
    assert [w.code for w in electronic.warnings] == ["catalogue.secret_electronic"]


def test_the_default_catalogue_follows_the_example() -> None:
    electronic = [e for e in DEFAULT_CATALOGUE if e.required_form is RequiredForm.ELECTRONIC]
    both = [e for e in DEFAULT_CATALOGUE if e.required_form is RequiredForm.ELECTRONIC_AND_PAPER]
    assert len(DEFAULT_CATALOGUE) == 21
    assert len(both) == 6
    assert {e.scope for e in electronic} == {"internal", "provincial"}
    assert all(lookup_doctype(e.doctype_key) for e in DEFAULT_CATALOGUE if e.doctype_key)
