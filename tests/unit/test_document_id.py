"""The national document id: build, parse, the UUID form, impossible dates."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.edxml.document_id import (
    DocumentIdError,
    DocumentIdForm,
    build_document_id,
    format_wire_date,
    mismatches,
    parse_document_id,
    parse_wire_date,
)

SAMPLE = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def test_parse_the_national_form() -> None:
    parsed = parse_document_id(SAMPLE)
    assert parsed.form is DocumentIdForm.NATIONAL
    assert parsed.organ_id == "000.00.00.G22"
    assert parsed.promulgation_date == date(2015, 9, 30)
    assert parsed.code_number == "7816"
    assert parsed.code_notation == "VPCP-TTĐT"
    assert parsed.code == "7816/VPCP-TTĐT"
    assert parsed.problems == ()
    assert parsed.ok


def test_build_is_the_inverse_of_parse() -> None:
    built = build_document_id("000.00.00.G22", date(2015, 9, 30), 7816, "VPCP-TTĐT")
    assert built == SAMPLE
    assert build_document_id(" 000.00.00.g22 ", date(2021, 1, 5), "05", "QĐ-UBND") == (
        "000.00.00.G22,2021/01/05,05/QĐ-UBND"
    )


def test_an_impossible_date_is_a_problem_not_a_crash() -> None:
    parsed = parse_document_id("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT")
    assert parsed.form is DocumentIdForm.NATIONAL
    assert parsed.promulgation_date is None
    assert parsed.date_text == "2014/02/30"
    assert [p.code for p in parsed.problems] == ["document_id.date_invalid"]
    assert "month 2 of 2014 has no day 30" in parsed.problems[0].message
    assert not parsed.ok
    assert parsed.code_number == "7806"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2014/13/01", "there is no month 13"),
        ("2015-09-30", "not a date in the form yyyy/MM/dd"),
        ("15/09/30", "not a date in the form yyyy/MM/dd"),
    ],
)
def test_wire_dates_name_the_problem(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_wire_date(value)


def test_wire_date_round_trip() -> None:
    assert format_wire_date(date(2015, 9, 3)) == "2015/09/03"
    assert parse_wire_date("2015/09/03") == date(2015, 9, 3)


def test_uuid_form_is_recognised() -> None:
    value = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    parsed = parse_document_id(value)
    assert parsed.form is DocumentIdForm.UUID
    assert parsed.uuid == UUID(value)
    assert parsed.ok
    assert parsed.organ_id == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "document_id.missing"),
        ("just some text", "document_id.malformed"),
        ("000.00.00.G22,2015/09/30", "document_id.malformed"),
        ("000 00,2015/09/30,1/A", "document_id.organ_id"),
        ("000.00.00.G22,2015/09/30,", "document_id.code_missing"),
    ],
)
def test_malformed_ids_are_reported(value: str, code: str) -> None:
    parsed = parse_document_id(value)
    assert code in [p.code for p in parsed.problems]
    assert not parsed.ok


def test_a_nonnumeric_code_number_is_a_warning() -> None:
    parsed = parse_document_id("000.00.00.G22,2015/09/30,74fass22/VPCP-TTĐT")
    assert [(p.code, p.severity) for p in parsed.problems] == [
        ("document_id.code_number", "warning")
    ]


def test_nonstandard_organ_ids_parse_but_are_never_built() -> None:
    parsed = parse_document_id("vxp.saas.03,2020/01/02,12/QĐ-UBND")
    assert parsed.organ_id == "vxp.saas.03"
    assert parsed.ok
    with pytest.raises(DocumentIdError, match="non-standard"):
        build_document_id("vxp.saas.03", date(2020, 1, 2), 12, "QĐ-UBND")


@pytest.mark.parametrize(
    ("number", "notation"),
    [("abc", "QĐ-UBND"), (0, "QĐ-UBND"), (12, ""), (12, "QĐ UBND"), (12, "QĐ,UBND")],
)
def test_build_refuses_bad_parts(number: int | str, notation: str) -> None:
    with pytest.raises(DocumentIdError):
        build_document_id("000.00.00.G22", date(2020, 1, 2), number, notation)


def test_mismatches_name_the_fields_that_disagree() -> None:
    parsed = parse_document_id(SAMPLE)
    assert (
        mismatches(
            parsed,
            organ_id="000.00.00.g22",
            promulgation_date=date(2015, 9, 30),
            code_number="7816",
            code_notation="VPCP-TTĐT",
        )
        == []
    )
    assert mismatches(
        parsed,
        organ_id="002.00.20.H13",
        promulgation_date=date(2019, 1, 16),
        code_number="74fass22",
        code_notation="VPCP-TTĐT",
    ) == ["organ_id", "promulgation_date", "code_number"]
    assert mismatches(parse_document_id("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), organ_id="x") == []
    assert mismatches(parse_document_id("000.00.00.G22,2015/09/30,05/A"), code_number="5") == []


@given(
    organ=st.sampled_from(["000.00.00.G22", "000.01.01.H08", "H37.DN.001"]),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    number=st.integers(1, 99999),
    notation=st.text(alphabet=st.sampled_from("ABCDĐQTUVN-"), min_size=1, max_size=20).filter(
        lambda s: s.strip("-") == s
    ),
)
def test_build_then_parse_round_trips(organ: str, day: date, number: int, notation: str) -> None:
    parsed = parse_document_id(build_document_id(organ, day, number, notation))
    assert parsed.ok
    assert (parsed.organ_id, parsed.promulgation_date) == (organ, day)
    assert (parsed.code_number, parsed.code_notation) == (str(number), notation)


@given(st.text(max_size=120))
def test_parse_never_raises(value: str) -> None:
    parsed = parse_document_id(value)
    assert parsed.form in DocumentIdForm


def test_only_ascii_digits_make_a_wire_date() -> None:
    with pytest.raises(ValueError, match="yyyy/MM/dd"):
        parse_wire_date("٢٠١٥/٠٩/٣٠")
