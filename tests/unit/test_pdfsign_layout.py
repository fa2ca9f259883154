"""Placement rules (Decree 30), the time shown on stamps, and the report's plain form."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lienthong.pdfsign.appearance import vn_time
from lienthong.pdfsign.fonts import text_width
from lienthong.pdfsign.layout import PT_PER_MM, AttachmentLayout, Rect, SignatureLayout
from lienthong.pdfsign.report import (
    ChainResult,
    CoverageResult,
    PdfValidationReport,
    RevocationResult,
    RevocationStatus,
    SignatureReport,
    TimestampResult,
    Verdict,
    document_verdict,
)


def test_seal_overlaps_the_left_third_of_the_signature_at_actual_size() -> None:
    layout = SignatureLayout(signer_box=Rect(360, 200, 150, 60), seal_diameter_mm=36)
    seal = layout.seal_rect()
    d = 36 * PT_PER_MM
    assert seal.width == pytest.approx(d)
    assert seal.right == pytest.approx(360 + 150 / 3)  # covers the left third
    assert seal.x < 360  # and sticks out to the left
    # the seal itself (top of the field) is centred on the signature's box
    seal_centre_y = seal.top - d / 2
    assert seal_centre_y == pytest.approx(230)
    assert seal.height == pytest.approx(d + layout.details_height)


def test_seal_without_details_is_just_the_seal() -> None:
    layout = SignatureLayout(seal_details=False)
    assert layout.seal_rect().height == pytest.approx(layout.seal_diameter)


def test_explicit_seal_box_wins() -> None:
    box = Rect(10, 20, 100, 120)
    assert SignatureLayout(seal_box=box).seal_rect() == box


def test_bad_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="positive size"):
        Rect(0, 0, 0, 10)
    with pytest.raises(ValueError, match="fraction"):
        SignatureLayout(seal_overlap=1.5)


def test_attachment_stamp_sits_at_the_top_right() -> None:
    layout = AttachmentLayout()
    box = layout.rect(595.28, 841.89, text_width=180, lines=3)
    assert box.right == pytest.approx(595.28 - 15 * PT_PER_MM)
    assert box.top == pytest.approx(841.89 - 6 * PT_PER_MM)
    assert box.width == pytest.approx(180 + 2 * layout.padding)
    assert box.height == pytest.approx(3 * 12 + 2 * layout.padding)


def test_times_new_roman_metrics() -> None:
    # Liberation Serif is metric-compatible with Times New Roman: "M" is 0.889 em wide
    assert text_width("M", 10) == pytest.approx(8.89, abs=0.01)
    assert text_width("Số", 10) > text_width("So", 10) - 0.01
    assert text_width("", 10) == 0


def test_stamp_time_is_vietnam_time_iso_8601() -> None:
    at = datetime(2026, 11, 23, 0, 45, 1, 123456, tzinfo=UTC)
    assert vn_time(at) == "2026-11-23T07:45:01+07:00"
    with pytest.raises(ValueError, match="timezone"):
        vn_time(datetime(2026, 11, 23))  # noqa: DTZ001 - the point of the test


def _signature(verdict: Verdict, name: str = "ChuKyCoQuan") -> SignatureReport:
    return SignatureReport(
        field_name=name,
        signer="Ủy ban nhân dân tỉnh Nghệ An",
        subject="CN=Ủy ban nhân dân tỉnh Nghệ An",
        agency_id="000.00.00.H41",
        intact=True,
        signature_valid=True,
        chain=ChainResult(trusted=True, path=("root", "ca", "leaf")),
        revocation=RevocationResult(RevocationStatus.GOOD, "crl"),
        signing_time=datetime(2026, 11, 23, 0, 45, 1, tzinfo=UTC),
        timestamp=TimestampResult(present=False),
        coverage=CoverageResult(
            whole_document=True,
            coverage="entire_file",
            modification_level="none",
            changes_allowed=True,
        ),
        level="B-B",
        verdict=verdict,
    )


def test_document_verdict_is_the_worst_signature() -> None:
    assert document_verdict((_signature(Verdict.VALID),))[0] is Verdict.VALID
    verdict, reasons = document_verdict(
        (_signature(Verdict.VALID), _signature(Verdict.INVALID, "x"))
    )
    assert verdict is Verdict.INVALID
    assert [r.code for r in reasons] == ["document.signature_invalid"]
    assert document_verdict((_signature(Verdict.INDETERMINATE),))[0] is Verdict.INDETERMINATE
    verdict, reasons = document_verdict(())
    assert verdict is Verdict.INDETERMINATE
    assert reasons[0].code == "document.unsigned"


def test_report_to_dict_is_json_ready() -> None:
    report = PdfValidationReport(
        verdict=Verdict.VALID,
        signatures=(_signature(Verdict.VALID),),
        validated_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "valid"
    sig = data["signatures"][0]
    assert sig["agency_id"] == "000.00.00.H41"
    assert sig["revocation"] == {
        "status": "good",
        "source": "crl",
        "embedded": False,
        "revoked_at": None,
        "reason": None,
    }
    assert sig["signing_time"] == "2026-11-23T00:45:01+00:00"
    assert sig["chain"]["path"] == ["root", "ca", "leaf"]
    assert data["dss"] == {"certificates": 0, "crls": 0, "ocsp_responses": 0}
