"""Read (+ validate) and write time of edXML packages, against bare lxml parsing.

    .venv/bin/python bench/edxml.py [--runs 60]

Builds, at run time, a ~370 KB package shaped like samples/edxml/edoc_new.edxml (one
attachment zipped the way the government SDK does) and a ~5 MB one, then measures on the
same bytes in the same run:

- ``lxml.etree.fromstring`` — the baseline (parses, decodes nothing);
- the floor: ``fromstring`` + base64 decode + unzip + SHA-256 of the payload, i.e. the
  least work any reader that checks the attachment must do;
- ``read_package``, ``read_package`` + ``validate_package``, and ``write_package``.

Prints a Rich table of milliseconds (min and median) and the ratio of each median to the
baseline's median.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import statistics
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from rich.console import Console
from rich.table import Table

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes

NS = {"e": m.NS}


def _header() -> m.MessageHeader:
    org = m.Organization(
        organ_id="000.00.00.G22",
        organ_name="Văn phòng Chính phủ",
        organization_in_charge="Văn phòng Chính phủ",
        organ_add="Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội",
        email="vpcp@gov.vn",
        telephone="080 43100",
        website="vpcp.vn",
    )
    return m.MessageHeader(
        from_=org,
        to=[
            m.Organization(organ_id="000.00.00.H41", organ_name="UBND tỉnh Nghệ An"),
            m.Organization(organ_id="000.00.00.H08", organ_name="UBND tỉnh Bình Dương"),
        ],
        code=m.Code("7816", "VPCP-TTĐT"),
        promulgation_info=m.PromulgationInfo("Hà Nội", date(2024, 5, 17)),
        document_type=m.DocumentType(1, 0, "Công văn"),
        subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        content="V/v kết nối, liên thông phần mềm quản lý văn bản",
        signer_info=m.SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn A"),
        due_date=date(2024, 6, 1),
        to_places=["Các bộ, cơ quan ngang bộ", "UBND các tỉnh, thành phố"],
        other_info=m.OtherInfo(priority=1, promulgation_amount=2, page_amount=3),
        steering_type=0,
        document_id="000.00.00.G22,2024/05/17,7816/VPCP-TTĐT",
    )


def build(target_bytes: int) -> bytes:
    """A package of about ``target_bytes``: one SDK-zipped attachment of base64-ish text.

    ``target_bytes == 0`` gives the same package without its attachment.
    """

    def make(payload_bytes: int) -> bytes:
        # Like the sample's payload (a package holding a base64 PDF): compresses to ~75 %.
        payload = base64.b64encode(os.urandom(payload_bytes * 3 // 4))
        pkg = m.DocumentPackage(
            header=_header(),
            trace_headers=[m.TraceHeader("000.00.00.G22", datetime(2024, 5, 17, 9, 30))],  # noqa: DTZ001
            business=m.Business(
                business_doc_reason="Văn bản điện tử mới",
                staff_info=m.StaffInfo("Văn thư", "Nguyễn Thị B", "0912000001"),
            ),
            attachments=[
                attachment_from_bytes("1896_QD-TTg.doc", payload, zipped=True, content_id="cid:1")
            ]
            if payload_bytes
            else [],
        )
        return package_to_bytes(pkg)

    if not target_bytes:
        return make(0)
    guess = make(target_bytes)
    return make(int(target_bytes * target_bytes / len(guess)))


def floor(data: bytes) -> None:
    root = etree.fromstring(data)
    text = root.findtext("e:AttachmentEncoded/e:Attachment/e:ContentTransferEncoded", namespaces=NS)
    if text is None:
        return
    wire = base64.b64decode(text)
    with zipfile.ZipFile(io.BytesIO(wire)) as archive:
        hashlib.sha256(archive.read(archive.infolist()[0])).hexdigest()


def read_and_validate(data: bytes) -> None:
    from lienthong.edxml.validate import validate_package

    validate_package(read_package(data))


@dataclass
class Row:
    name: str
    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench(label: str, data: bytes, runs: int) -> list[Row]:
    pkg = read_package(data)
    return [
        Row("lxml.etree.fromstring (baseline)", measure(lambda: etree.fromstring(data), runs)),
        Row("floor: parse + b64 + unzip + sha256", measure(lambda: floor(data), runs)),
        Row("read_package", measure(lambda: read_package(data), runs)),
        Row("read_package + validate_package", measure(lambda: read_and_validate(data), runs)),
        Row("write (package_to_bytes)", measure(lambda: package_to_bytes(pkg), runs)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    console = Console()
    for label, size, runs in (
        ("header only (no attachment)", 0, args.runs * 5),
        ("~370 KB", 370_000, args.runs),
        ("~5 MB", 5_000_000, max(5, args.runs // 6)),
    ):
        data = build(size)
        rows = bench(label, data, runs)
        base = rows[0].median
        table = Table(title=f"edXML package {label} ({len(data):,} bytes, {runs} runs)")
        table.add_column("operation")
        table.add_column("min ms", justify="right")
        table.add_column("median ms", justify="right")
        table.add_column("× baseline", justify="right")
        for row in rows:
            table.add_row(
                row.name, f"{min(row.times):.2f}", f"{row.median:.2f}", f"{row.median / base:.1f}"
            )
        console.print(table)


if __name__ == "__main__":
    main()
