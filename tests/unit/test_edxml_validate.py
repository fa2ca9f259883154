"""Semantic validation of packages: each check fires with its code; a clean package is clean."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.edxml.model import (
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ReadWarning,
    ReplacementInfo,
    ResponseFor,
    SignatureInfo,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceHeader,
)
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import Problem, ValidationReport, validate_package

TODAY = date(2024, 5, 20)
DOC_ID = "000.00.00.G22,2024/05/17,7816/VPCP-TTĐT"


def wire_time(iso: str) -> datetime:
    """A naive Vietnam-time timestamp, as the wire carries it."""
    return datetime.fromisoformat(iso)


def _opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def clean_document() -> DocumentPackage:
    header = MessageHeader(
        from_=Organization("000.00.00.G22", organ_name="Văn phòng Chính phủ"),
        to=[
            Organization("000.00.00.H41", organ_name="UBND tỉnh Nghệ An"),
            Organization("H37.DN.001", organ_name="Doanh nghiệp"),
        ],
        code=Code("7816", "VPCP-TTĐT"),
        promulgation_info=PromulgationInfo("Hà Nội", date(2024, 5, 17)),
        document_type=DocumentType(1, 0, "Công văn"),
        subject="V/v kết nối liên thông văn bản",
        signer_info=SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn A"),
        due_date=date(2024, 6, 1),
        other_info=OtherInfo(priority=1),
        steering_type=0,
        document_id=DOC_ID,
    )
    return DocumentPackage(
        header=header,
        trace_headers=[TraceHeader("000.00.00.G22", wire_time("2024-05-17T09:30:00"))],
        business=Business(BusinessDocType.NEW),
        attachments=[
            Attachment(
                "cid:1",
                "congvan.pdf",
                "application/pdf",
                size=4,
                opener=_opener(b"%PDF"),
            )
        ],
        signature=SignatureInfo(present=True),
    )


def clean_status(code: StatusCode = StatusCode.ACCEPTED) -> StatusPackage:
    return StatusPackage(
        from_=Organization("000.00.00.H41", organ_name="UBND tỉnh Nghệ An"),
        response_for=ResponseFor("000.00.00.G22", "7816/VPCP-TTĐT", date(2024, 5, 17), DOC_ID),
        status_code=code,
        description="Đã vào sổ",
        timestamp=wire_time("2024-05-18T08:00:00"),
        staff_info=StaffInfo(staff="Nguyễn Thị B"),
    )


def problems_of(pkg: DocumentPackage | StatusPackage) -> set[tuple[str, str, str]]:
    report = validate_package(pkg, today=TODAY)
    return {(p.path, p.code, p.severity) for p in report.problems}


def test_a_clean_document_package_has_no_problems() -> None:
    report = validate_package(clean_document(), today=TODAY)
    assert report.problems == []
    assert report.ok
    assert report.kind == "edoc"


def test_a_clean_status_package_has_no_problems() -> None:
    report = validate_package(clean_status(), today=TODAY)
    assert report.problems == []
    assert report.kind == "status"


def test_report_shape_and_dict() -> None:
    pkg = clean_document()
    pkg.header.subject = ""
    pkg.header.from_.organ_id = "vxp.saas.03"
    report = validate_package(pkg, today=TODAY)
    assert not report.ok
    assert [p.code for p in report.errors] == ["subject.missing"]
    assert "agency_id.nonstandard" in {p.code for p in report.warnings}
    data = report.to_dict()
    assert data["ok"] is False
    assert data["errors"] == 1
    assert {
        "path": "MessageHeader/Subject",
        "code": "subject.missing",
        "message": "the subject (trích yếu) is empty",
        "severity": "error",
    } in data["problems"]


def test_agency_ids_of_every_party_are_checked() -> None:
    pkg = clean_document()
    pkg.header.from_.organ_id = "000 00 G22"
    pkg.header.to[1].organ_id = ""
    pkg.header.response_for = [ResponseFor("bad id!", "1/A", None, "")]
    pkg.trace_headers[0].organ_id = "28.22.H17"
    found = problems_of(pkg)
    assert ("MessageHeader/From/OrganId", "agency_id.invalid", "error") in found
    assert ("MessageHeader/To[2]/OrganId", "agency_id.missing", "error") in found
    assert ("MessageHeader/ResponseFor[1]/OrganId", "agency_id.invalid", "error") in found
    assert (
        "TraceHeaderList/TraceHeader[1]/OrganId",
        "agency_id.nonstandard",
        "warning",
    ) in found


def test_nonstandard_ids_are_warnings_only() -> None:
    pkg = clean_document()
    pkg.header.to[0].organ_id = "vxp.saas.03"
    report = validate_package(pkg, today=TODAY)
    assert report.ok
    assert [(p.path, p.code) for p in report.problems] == [
        ("MessageHeader/To[1]/OrganId", "agency_id.nonstandard")
    ]


def test_recipients() -> None:
    pkg = clean_document()
    pkg.header.to = []
    assert ("MessageHeader/To", "recipients.missing", "error") in problems_of(pkg)
    pkg.header.to = [Organization("000.00.00.H41", "A"), Organization("000.00.00.h41", "A")]
    assert ("MessageHeader/To[2]/OrganId", "recipients.duplicate", "warning") in problems_of(pkg)


def test_dates() -> None:
    pkg = clean_document()
    pkg.header.promulgation_info.promulgation_date = None
    found = problems_of(pkg)
    assert (
        "MessageHeader/PromulgationInfo/PromulgationDate",
        "date.promulgation_missing",
        "error",
    ) in found
    pkg = clean_document()
    pkg.header.due_date = date(2024, 5, 1)
    assert ("MessageHeader/DueDate", "date.due_before_promulgation", "warning") in problems_of(pkg)
    pkg = clean_document()
    pkg.header.promulgation_info.promulgation_date = date(2024, 5, 21)
    pkg.header.document_id = "000.00.00.G22,2024/05/21,7816/VPCP-TTĐT"
    found = problems_of(pkg)
    assert ("MessageHeader/PromulgationInfo/PromulgationDate", "date.future", "warning") in found
    # Without "today" nothing is judged as future.
    assert validate_package(pkg).ok
    assert validate_package(pkg).problems == []
    pkg.header.promulgation_info.promulgation_date = date(1900, 1, 1)
    codes = {p.code for p in validate_package(pkg).problems}
    assert "date.implausible" in codes


@pytest.mark.parametrize(
    ("number", "notation", "path", "code", "severity"),
    [
        ("74fass22", "VPCP-TTĐT", "Code/CodeNumber", "code.number_not_numeric", "error"),
        ("", "VPCP-TTĐT", "Code/CodeNumber", "code.number_missing", "error"),
        ("5", "VPCP-TTĐT", "Code/CodeNumber", "code.number_format", "warning"),
        ("7816", "", "Code/CodeNotation", "code.notation_missing", "error"),
        ("7816", "VPCP TTĐT", "Code/CodeNotation", "code.notation_format", "warning"),
        ("7816", "CV-VPCP", "Code/CodeNotation", "code.notation_cv", "warning"),
    ],
)
def test_code_number_and_notation(
    number: str, notation: str, path: str, code: str, severity: str
) -> None:
    pkg = clean_document()
    pkg.header.code = Code(number, notation)
    assert (f"MessageHeader/{path}", code, severity) in problems_of(pkg)


def test_document_id_forms_and_consistency() -> None:
    pkg = clean_document()
    pkg.header.document_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    report = validate_package(pkg, today=TODAY)
    assert report.ok
    assert [(p.path, p.code) for p in report.problems] == [
        ("MessageHeader/DocumentId", "document_id.uuid")
    ]
    pkg.header.document_id = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    inconsistent = validate_package(pkg).problems
    assert [(p.code, p.severity) for p in inconsistent] == [("document_id.inconsistent", "warning")]
    assert "promulgation_date" in inconsistent[0].message
    pkg.header.document_id = ""
    assert ("MessageHeader/DocumentId", "document_id.missing", "warning") in problems_of(pkg)
    pkg.header.document_id = "not an id"
    assert ("MessageHeader/DocumentId", "document_id.malformed", "error") in problems_of(pkg)
    pkg.header.document_id = "000.00.00.G22,2024/02/30,7816/VPCP-TTĐT"
    assert ("MessageHeader/DocumentId", "document_id.date_invalid", "error") in problems_of(pkg)


def test_doctype_subject_signer_priority_steering() -> None:
    pkg = clean_document()
    pkg.header.document_type = DocumentType(1, 0, "Thư điện tử")
    pkg.header.signer_info = SignerInfo()
    pkg.header.other_info.priority = 7
    pkg.header.steering_type = 3
    found = problems_of(pkg)
    assert ("MessageHeader/DocumentType/TypeName", "doctype.unknown", "warning") in found
    assert ("MessageHeader/SignerInfo/FullName", "signer.missing", "warning") in found
    assert ("MessageHeader/OtherInfo/Priority", "priority.out_of_range", "error") in found
    assert ("MessageHeader/SteeringType", "steering_type.out_of_range", "error") in found
    pkg.header.document_type = DocumentType(1, 0, "")
    assert ("MessageHeader/DocumentType/TypeName", "doctype.missing", "warning") in problems_of(pkg)


B = "TraceHeaderList/Bussiness"


@pytest.mark.parametrize("kind", [BusinessDocType.REVOKE, BusinessDocType.UPDATE])
def test_revoke_and_update_need_the_document_they_act_on(kind: BusinessDocType) -> None:
    pkg = clean_document()
    pkg.business = Business(kind, business_document_info=BusinessDocumentInfo(document_info=True))
    found = problems_of(pkg)
    assert (f"{B}/DocumentId", "business.document_id_missing", "error") in found
    assert (f"{B}/BussinessDocReason", "business.reason_missing", "warning") in found


def test_update_needs_document_info() -> None:
    pkg = clean_document()
    pkg.business = Business(BusinessDocType.UPDATE, "sửa lỗi", document_id=DOC_ID)
    assert problems_of(pkg) == {
        (f"{B}/BussinessDocumentInfo", "business.update_info_missing", "error")
    }
    pkg.business.business_document_info = BusinessDocumentInfo(document_info=True)
    assert problems_of(pkg) == set()


def test_replace_needs_replacement_info() -> None:
    pkg = clean_document()
    pkg.business = Business(BusinessDocType.REPLACE, "thay thế", document_id=DOC_ID)
    assert problems_of(pkg) == {
        (f"{B}/ReplacementInfoList", "business.replacement_info_missing", "error")
    }
    pkg.business.replacement_infos = [ReplacementInfo("x,2024/02/31,1/A", ["vxp.saas.03"])]
    info = f"{B}/ReplacementInfoList/ReplacementInfo[1]"
    assert problems_of(pkg) == {
        (f"{info}/DocumentId", "document_id.date_invalid", "error"),
        (f"{info}/OrganIdList/OrganId[1]", "agency_id.nonstandard", "warning"),
    }


def test_revoke_without_attachments_is_normal_but_a_new_document_needs_one() -> None:
    pkg = clean_document()
    pkg.attachments = []
    assert ("edXMLBody/edXMLManifest", "attachments.none", "warning") in problems_of(pkg)
    pkg.business = Business(BusinessDocType.REVOKE, "nhầm", document_id=DOC_ID)
    assert problems_of(pkg) == set()


def test_attachment_consistency() -> None:
    pkg = clean_document()
    pkg.attachments = [
        Attachment("cid:1", "a.pdf", size=3, opener=_opener(b"abc")),
        Attachment("cid:1", "", size=0, opener=_opener(b"")),
        Attachment("", "c.pdf"),
    ]
    assert problems_of(pkg) == {
        ("AttachmentEncoded/Attachment[2]/ContentId", "attachments.duplicate_content_id", "error"),
        ("AttachmentEncoded/Attachment[2]/AttachmentName", "attachments.name_missing", "error"),
        ("AttachmentEncoded/Attachment[2]/ContentTransferEncoded", "attachments.empty", "warning"),
        ("AttachmentEncoded/Attachment[3]/ContentId", "attachments.content_id_missing", "error"),
        (
            "AttachmentEncoded/Attachment[3]/ContentTransferEncoded",
            "attachments.content_missing",
            "error",
        ),
    }


def test_unsigned_package_and_reader_warnings_are_warnings() -> None:
    pkg = clean_document()
    pkg.signature = SignatureInfo(present=False)
    pkg.warnings = [ReadWarning("package.junk_before_xml", "4 junk bytes removed", line=1)]
    report = validate_package(pkg, today=TODAY)
    assert report.ok
    assert {(p.path, p.code) for p in report.problems} == {
        ("edXMLHeader/Signature", "signature.missing"),
        ("line 1", "package.junk_before_xml"),
    }


def test_status_checks() -> None:
    pkg = clean_status(StatusCode.REJECTED)
    pkg.description = " "
    pkg.timestamp = None
    pkg.response_for.document_id = ""
    pkg.from_.organ_id = "01.02.G22"
    found = problems_of(pkg)
    assert found == {
        ("MessageHeader/From/OrganId", "agency_id.nonstandard", "warning"),
        ("MessageHeader/Description", "status.reason_missing", "error"),
        ("MessageHeader/Timestamp", "status.timestamp_missing", "error"),
        (
            "MessageHeader/ResponseFor/DocumentId",
            "response_for.document_id_missing",
            "error",
        ),
    }


def test_status_document_id_consistency_and_forms() -> None:
    pkg = clean_status()
    pkg.response_for.code = "7817/VPCP-TTĐT"
    assert problems_of(pkg) == {
        ("MessageHeader/ResponseFor/DocumentId", "document_id.inconsistent", "warning")
    }
    pkg = clean_status()
    pkg.response_for.document_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert problems_of(pkg) == {
        ("MessageHeader/ResponseFor/DocumentId", "document_id.uuid", "warning")
    }
    pkg.response_for.code = ""
    assert ("MessageHeader/ResponseFor/Code", "response_for.code_missing", "warning") in (
        problems_of(pkg)
    )


def test_status_sender_side() -> None:
    take_back = clean_status(StatusCode.TAKE_BACK_REQUEST)
    take_back.description = "Gửi nhầm"
    assert ("MessageHeader/From/OrganId", "status.sender_mismatch", "warning") in problems_of(
        take_back
    )
    take_back.from_.organ_id = "000.00.00.G22"
    assert problems_of(take_back) == set()
    own = clean_status(StatusCode.ACCEPTED)
    own.from_.organ_id = "000.00.00.G22"
    assert ("MessageHeader/From/OrganId", "status.sender_mismatch", "warning") in problems_of(own)


def test_unknown_status_code_is_reported_even_when_constructed_by_hand() -> None:
    pkg = clean_status()
    object.__setattr__(pkg, "status_code", "99")
    assert ("MessageHeader/StatusCode", "status.code_unknown", "error") in problems_of(pkg)


def test_future_status_timestamp() -> None:
    pkg = clean_status()
    pkg.timestamp = wire_time("2024-05-21T00:00:01")
    assert problems_of(pkg) == {("MessageHeader/Timestamp", "date.future", "warning")}


def test_problem_is_a_plain_value() -> None:
    problem = Problem("a", "b", "c")
    assert problem.severity == "error"
    assert ValidationReport("edoc", [problem]).codes == {"b"}


def test_a_status_dated_before_its_document_is_suspicious() -> None:
    pkg = clean_status()
    pkg.timestamp = wire_time("2024-05-16T23:59:00")
    assert problems_of(pkg) == {("MessageHeader/Timestamp", "status.before_document", "warning")}


# --- the real samples -------------------------------------------------------------------

# The shared samples live next to the repository (LIENTHONG_SHARED_DIR overrides).
_SHARED = os.environ.get("LIENTHONG_SHARED_DIR")
SAMPLES = (Path(_SHARED) if _SHARED else Path(__file__).parents[3] / "shared") / "samples" / "edxml"


def _sample_report(name: str) -> ValidationReport:
    return validate_package(read_package(SAMPLES / name), today=TODAY)


def test_edoc_new_sample_gives_the_expected_problems() -> None:
    report = _sample_report("edoc_new.edxml")
    assert not report.ok
    assert {(p.path, p.code) for p in report.errors} == {
        ("MessageHeader/Code/CodeNumber", "code.number_not_numeric"),
        ("TraceHeaderList/Bussiness/DocumentId", "document_id.date_invalid"),
    }
    number = next(p for p in report.errors if p.code == "code.number_not_numeric")
    assert "74fass22" in number.message
    impossible = next(p for p in report.errors if p.code == "document_id.date_invalid")
    assert "2014/02/30" in impossible.message
    warnings = {(p.path, p.code) for p in report.warnings}
    assert {
        ("MessageHeader/To[1]/OrganId", "agency_id.nonstandard"),  # 28.22.H17
        ("MessageHeader/DueDate", "date.due_before_promulgation"),
        ("MessageHeader/DocumentId", "document_id.inconsistent"),
    } <= warnings
    inconsistent = next(p for p in report.warnings if p.code == "document_id.inconsistent")
    assert "organ_id, promulgation_date, code_number" in inconsistent.message
    # The reader's repairs (junk before the declaration) come through as warnings.
    assert any(p.path == "line 1" for p in report.warnings)


@pytest.mark.parametrize(
    "name",
    ["status_acceptance_03.edxml", "status_finish_06.edxml", "status_rejection_02.edxml"],
)
def test_status_samples_are_valid_but_dated_before_their_document(name: str) -> None:
    report = _sample_report(name)
    assert report.ok
    assert report.kind == "status"
    # Statuses of 2015/09/20 about a document of 2015/09/30.
    assert [(p.path, p.code) for p in report.problems] == [
        ("MessageHeader/Timestamp", "status.before_document")
    ]


@given(
    organ=st.text(max_size=40),
    number=st.text(max_size=12),
    notation=st.text(max_size=20),
    document_id=st.text(max_size=60),
    priority=st.integers(-5, 10),
    business=st.integers(0, 3),
)
def test_validate_never_raises_on_odd_values(
    *, organ: str, number: str, notation: str, document_id: str, priority: int, business: int
) -> None:
    pkg = clean_document()
    pkg.header.from_.organ_id = organ
    pkg.header.to.append(Organization(organ))
    pkg.header.code = Code(number, notation)
    pkg.header.document_id = document_id
    pkg.header.other_info.priority = priority
    pkg.business = Business(BusinessDocType(business), document_id=document_id)
    report = validate_package(pkg, today=TODAY)
    assert all(p.severity in ("error", "warning") for p in report.problems)
    assert report.ok == (not report.errors)


def test_a_normative_notation_may_carry_the_year() -> None:
    pkg = clean_document()
    pkg.header.document_type = DocumentType(2, 0, "Thông tư")
    pkg.header.code = Code("12", "2024/TT-BTC")
    pkg.header.document_id = "000.00.00.G22,2024/05/17,12/2024/TT-BTC"
    assert problems_of(pkg) == set()
    pkg.header.document_type = DocumentType(1, 0, "Công văn")
    assert problems_of(pkg) == {
        ("MessageHeader/Code/CodeNotation", "code.notation_format", "warning")
    }
