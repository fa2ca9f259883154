"""Composing packages: the JSON spec, its errors, the built header, status packages."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from lienthong.edxml.attachments import attachment_from_bytes, with_content_ids
from lienthong.edxml.compose import (
    document_from_spec,
    parse_status_code,
    refuse_invalid,
    status_package,
)
from lienthong.edxml.model import BusinessDocType, StaffInfo, StatusCode
from lienthong.edxml.reader import read_package
from lienthong.edxml.spec import SpecError, load_spec
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "edoc-spec.json"
NOW = datetime.fromisoformat("2024-05-17T09:30:00")
DOC_ID = "000.00.00.G22,2024/05/17,7816/VPCP-TTĐT"


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def build(data: dict[str, Any]) -> Any:
    return document_from_spec(load_spec(json.dumps(data)), now=NOW)


def test_the_documented_example_builds_a_valid_package() -> None:
    attachments = with_content_ids([attachment_from_bytes("cv.pdf", b"%PDF-1.4", zipped=True)])
    pkg = document_from_spec(
        load_spec(EXAMPLE.read_bytes(), source="example"), now=NOW, attachments=attachments
    )
    report = refuse_invalid(pkg, today=NOW.date())
    assert [p.code for p in report.problems] == ["signature.missing"]
    header = pkg.header
    assert header.document_id == DOC_ID
    assert str(header.code) == "7816/VPCP-TTĐT"
    assert (header.document_type.type, header.document_type.type_detail) == (1, 0)
    assert header.other_info.priority == 1
    assert [t.organ_id for t in header.to] == ["000.00.00.H41", "000.00.00.H08"]
    assert [(t.organ_id, t.timestamp) for t in pkg.trace_headers] == [("000.00.00.G22", NOW)]
    assert pkg.business is not None
    assert pkg.business.business_doc_type is BusinessDocType.NEW
    assert pkg.business.staff_info is not None
    assert pkg.business.staff_info.staff == "Trần Thị B"
    # What we build, the reader reads back the same.
    again = read_package(package_to_bytes(pkg))
    assert validate_package(again, today=NOW.date()).codes == {"signature.missing"}
    assert again.header == header  # type: ignore[union-attr]


def test_short_forms_dates_and_normalisation() -> None:
    data = example()
    data["code"] = "5/VPCP-TTĐT"
    data["document_type"] = "cong van"
    data["promulgation_info"] = {"place": "Hà Nội"}  # no date: the clock's day
    data["due_date"] = "2024/06/30"
    data["to"] = [{"organ_id": " 000.00.00.h41 "}]
    data["business"] = {"business_doc_type": "revoke", "document_id": DOC_ID}
    pkg = build(data)
    assert str(pkg.header.code) == "05/VPCP-TTĐT"
    assert pkg.header.document_type.type_name == "Công văn"
    assert pkg.header.promulgation_info.promulgation_date == date(2024, 5, 17)
    assert pkg.header.due_date == date(2024, 6, 30)
    assert pkg.header.to[0].organ_id == "000.00.00.H41"
    assert pkg.header.document_id == "000.00.00.G22,2024/05/17,05/VPCP-TTĐT"
    assert pkg.business.business_doc_type is BusinessDocType.REVOKE


def test_spec_errors_name_every_field() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(json.dumps({"from": {"organ_id": ""}, "to": [], "extra": 1}), source="s.json")
    message = info.value.message
    assert message.startswith("s.json has ")
    for field in (
        "from.organ_id",
        "to: List should have at least 1 item",
        "code: Field required",
        "subject: Field required",
        "signer_info: Field required",
        "extra: Extra inputs are not permitted",
    ):
        assert field in message


@pytest.mark.parametrize(
    ("payload", "code"),
    [(b"{", "spec.json"), (b"\xff\xfe", "spec.json"), (b"[1, 2]", "spec.invalid")],
)
def test_not_a_spec(payload: bytes, code: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(payload)
    assert info.value.code == code


def test_an_impossible_date_in_a_spec_is_named() -> None:
    data = example()
    data["promulgation_info"]["promulgation_date"] = "2014/02/30"
    with pytest.raises(SpecError, match="month 2 of 2014 has no day 30"):
        build(data)


@pytest.mark.parametrize(
    ("code", "doctype", "error"),
    [
        ("7816/CV-UBND", "Công văn", "doctype.cv_abbreviation"),
        ("12/TB-VPCP", "Công văn", "code.notation_type"),
        ("12/UBND", "Quyết định", "code.notation_type"),
        ("12/VPCP TTĐT", "Công văn", "code.notation_format"),
        ("74fass22/VPCP-TTĐT", "Công văn", "code.number"),
        ("12", "Công văn", "code.notation_missing"),
    ],
)
def test_numbers_and_notations_follow_the_clerical_rules(
    code: str, doctype: str, error: str
) -> None:
    data = example()
    data["code"] = code
    data["document_type"] = doctype
    with pytest.raises(SpecError) as info:
        build(data)
    assert info.value.code == error


def test_normative_notations_are_taken_as_given() -> None:
    data = example()
    data["code"] = "12/2024/TT-BTC"
    data["document_type"] = "Thông tư"
    pkg = build(data)
    assert (pkg.header.code.code_number, pkg.header.code.code_notation) == ("12", "2024/TT-BTC")
    assert pkg.header.document_type.type == 2


def test_unknown_types_need_explicit_numbers() -> None:
    data = example()
    data["document_type"] = "Thư điện tử"
    with pytest.raises(SpecError) as info:
        build(data)
    assert info.value.code == "spec.doctype_unknown"
    data["document_type"] = {"type_name": "Thư điện tử", "type": 1, "type_detail": 9}
    pkg = build(data)
    assert (pkg.header.document_type.type, pkg.header.document_type.type_detail) == (1, 9)


def test_the_sender_must_have_a_standard_id() -> None:
    data = example()
    data["from"]["organ_id"] = "vxp.saas.03"
    with pytest.raises(SpecError) as info:
        build(data)
    assert info.value.code == "agency_id.nonstandard"


def test_refuse_invalid_lists_the_errors() -> None:
    data = example()
    data["to"][0]["organ_id"] = "bad id"
    data["business"] = {"business_doc_type": 3, "business_doc_reason": "x"}
    with pytest.raises(SpecError) as info:
        refuse_invalid(build(data), today=NOW.date())
    assert info.value.code == "spec.package_invalid"
    assert "MessageHeader/To[1]/OrganId: [agency_id.invalid]" in info.value.message
    assert "[business.document_id_missing]" in info.value.message
    assert "[business.replacement_info_missing]" in info.value.message


def test_status_package_fills_response_for_from_the_document_id() -> None:
    pkg = status_package(
        from_organ_id="000.00.00.h41",
        document_id=DOC_ID,
        code="3",
        now=datetime.fromisoformat("2024-05-18T08:00:00.123456"),
        staff_info=StaffInfo(staff="Nguyễn Thị B"),
    )
    assert pkg.from_.organ_id == "000.00.00.H41"
    assert pkg.status_code is StatusCode.ACCEPTED
    assert pkg.response_for.organ_id == "000.00.00.G22"
    assert pkg.response_for.code == "7816/VPCP-TTĐT"
    assert pkg.response_for.promulgation_date == date(2024, 5, 17)
    assert pkg.response_for.document_id == DOC_ID
    assert pkg.timestamp == datetime.fromisoformat("2024-05-18T08:00:00")
    assert refuse_invalid(pkg, today=date(2024, 5, 18)).problems == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "07"}, "status.code_unknown"),
        ({"from_organ_id": "vxp.saas.03"}, "agency_id.nonstandard"),
        ({"document_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}, "status.document_id"),
        ({"document_id": "000.00.00.G22,2014/02/30,1/A"}, "status.document_id"),
    ],
)
def test_status_package_refuses_bad_input(kwargs: dict[str, str], code: str) -> None:
    arguments = {"from_organ_id": "000.00.00.H41", "document_id": DOC_ID, "code": "03"}
    arguments.update(kwargs)
    with pytest.raises(SpecError) as info:
        status_package(now=NOW, **arguments)
    assert info.value.code == code


def test_a_rejection_needs_a_reason() -> None:
    pkg = status_package(from_organ_id="000.00.00.H41", document_id=DOC_ID, code="02", now=NOW)
    with pytest.raises(SpecError, match=r"status\.reason_missing"):
        refuse_invalid(pkg)


def test_parse_status_code() -> None:
    assert parse_status_code("06") is StatusCode.FINISHED
    assert parse_status_code(" 1 ") is StatusCode.ARRIVED
    with pytest.raises(SpecError, match="known codes: 01"):
        parse_status_code("14")
