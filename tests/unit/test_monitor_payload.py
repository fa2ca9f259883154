"""The statistics report: its JSON schema, and the edXML package that carries it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from lienthong.clock import VN_TZ
from lienthong.edxml import model as m
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.errors import ValidationError
from lienthong.monitor.classify import Counterpart
from lienthong.monitor.measures import Direction, DocumentRow, Scope, measure_table
from lienthong.monitor.payload import (
    CONTENT_TYPE,
    MAX_PAYLOAD_BYTES,
    StatisticsReport,
    decode,
    encode,
    find_statistics,
    is_report_subject,
    report_package,
    statistics_report,
)
from lienthong.monitor.periods import Period
from lienthong.monitor.reports import StatusRow
from lienthong.monitor.targets import TargetTable
from lienthong.office.model import DocumentForm

NOW = datetime(2026, 10, 2, 1, 30, tzinfo=UTC)
Q3 = Period.parse("2026-Q3")


def _row(n: int, direction: Direction, form: DocumentForm) -> DocumentRow:
    return DocumentRow(
        id=n, agency_id=1, direction=direction, day=date(2026, 8, n), form=form, scanned=False,
        signed=True, counterparts=frozenset({Counterpart.INTERNAL}),
    )  # fmt: skip


def _report() -> StatisticsReport:
    # two electronic outgoing documents and one paper incoming one: electronic 2/3
    rows = [
        _row(1, Direction.OUTGOING, DocumentForm.ELECTRONIC),
        _row(2, Direction.OUTGOING, DocumentForm.ELECTRONIC),
        _row(3, Direction.INCOMING, DocumentForm.PAPER),
    ]
    table = measure_table(
        rows, Q3, scope=Scope("000.00.00.H41", "UBND tỉnh Nghệ An"), targets=TargetTable(),
        today=date(2026, 10, 2),
    )  # fmt: skip
    status = StatusRow("x", received=1, on_time=0, late=0, in_progress=0, overdue=0, no_deadline=1)
    return statistics_report(table, status, generated_at=NOW)


def test_encode_is_canonical_and_decodes_to_the_same_report() -> None:
    report = _report()
    data = encode(report)
    raw = json.loads(data)
    assert raw["schema"] == "lienthong.statistics/1"
    assert raw["period"] == "2026-Q3"
    assert raw["agency_code"] == "000.00.00.H41"
    assert raw["processing"] == {
        "received": 1, "on_time": 0, "late": 0, "in_progress": 0, "overdue": 0, "no_deadline": 1,
    }  # fmt: skip
    assert {"name": "electronic", "numerator": 2, "denominator": 3} in raw["measures"]
    assert (raw["documents"], raw["outgoing"], raw["incoming"]) == (3, 2, 1)
    assert raw["as_of"] == "2026-09-30"
    assert raw["generated_at"] == "2026-10-02T01:30:00Z"
    assert list(raw) == sorted(raw)  # sorted keys
    assert data.startswith(b'{"agency_code":"000.00.00.H41","agency_name":"UBND t')
    assert decode(data) == report
    assert encode(decode(data)) == data


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r: r.update(schema="lienthong.statistics/2"), "monitor.payload_version"),
        (lambda r: r.pop("schema"), "monitor.payload_version"),
        (lambda r: r["measures"][0].update(numerator=99), "monitor.payload"),
        (lambda r: r["processing"].update(late=5), "monitor.payload"),  # 5 states != received
        (lambda r: r.update(period="2026-q3"), "monitor.payload"),
        (lambda r: r.update(period="2026-Q9"), "monitor.payload"),
        (lambda r: r.update(extra=1), "monitor.payload"),
        (lambda r: r.update(generated_at="2026-10-02T08:30:00"), "monitor.payload"),  # naive
        (lambda r: r["measures"].append(dict(r["measures"][0])), "monitor.payload"),
        (lambda r: r["measures"][0].update(name="Bad Name"), "monitor.payload"),
        (lambda r: r.update(documents=-1), "monitor.payload"),
    ],
)
def test_bad_payloads_are_named(change, code: str) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads(encode(_report()))
    change(raw)
    with pytest.raises(ValidationError) as caught:
        decode(json.dumps(raw).encode())
    assert caught.value.code == code


def test_not_json_and_too_large() -> None:
    for data, code in (
        (b"\xff\xfe", "monitor.payload"),
        (b"[1, 2]", "monitor.payload"),
        (b"{", "monitor.payload"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "monitor.payload_size"),
    ):
        with pytest.raises(ValidationError) as caught:
            decode(data)
        assert caught.value.code == code


def test_the_package_carries_the_payload_and_a_pdf() -> None:
    report = _report()
    payload = encode(report)
    package = report_package(
        report,
        payload,
        recipient=m.Organization("000.00.00.G22", "Văn phòng Chính phủ"),
        number=3,
        notation="BC-UBND",
        signer_name="Nguyễn Thị Vân",
        now=datetime(2026, 10, 2, 8, 30, tzinfo=VN_TZ).replace(tzinfo=None),
        pdf=b"%PDF-1.4 report\n",
    )
    header = package.header
    assert header.subject == "Báo cáo thống kê văn bản điện tử quý III năm 2026"
    assert is_report_subject(header.subject)
    assert str(header.code) == "03/BC-UBND"
    assert header.document_type.type_name == "Báo cáo"
    assert header.document_id == "000.00.00.H41,2026/10/02,03/BC-UBND"
    assert [o.organ_id for o in header.to] == ["000.00.00.G22"]
    assert validate_package(package, today=date(2026, 10, 2)).ok

    back = read_package(package_to_bytes(package))
    assert isinstance(back, m.DocumentPackage)
    assert [(a.attachment_name, a.content_type) for a in back.attachments] == [
        ("thong-ke-van-ban-dien-tu-2026-Q3.pdf", "application/pdf"),
        ("thong-ke-van-ban-dien-tu-2026-Q3.json", CONTENT_TYPE),
    ]
    found = find_statistics(back.attachments)
    assert found is not None
    assert decode(found.read_bytes()) == report


def test_find_statistics_by_type_then_by_name() -> None:
    def att(name: str, content_type: str) -> m.Attachment:
        return m.Attachment(content_id="1", attachment_name=name, content_type=content_type)

    assert find_statistics([att("a.pdf", "application/pdf")]) is None
    by_type = att("any.bin", f"{CONTENT_TYPE}; charset=utf-8")
    assert find_statistics([att("a.pdf", "application/pdf"), by_type]) is by_type
    by_name = att("THONG-KE-VAN-BAN-DIEN-TU-2026.json", "application/octet-stream")
    assert find_statistics([by_name]) is by_name
    assert not is_report_subject("Báo cáo tình hình kinh tế")
    assert Period.parse(_report().period) == Period.parse("2026-Q3")
