"""Read (+ validate) and write time of edXML packages, against bare lxml parsing.

    .venv/bin/python bench/edxml.py [--runs 60] [--json]

Builds, at run time, a ~370 KB package shaped like samples/edxml/edoc_new.edxml (one
attachment zipped the way the government SDK does) and a ~5 MB one, and reads the real
edoc_new.edxml too when the shared samples are there. On the same bytes, in the same run,
each operation is warmed up and then timed alone ``--runs`` times (fewer for 5 MB):

- ``lxml.etree.fromstring`` — the baseline (parses; decodes, unzips and hashes nothing);
- ``read_package(attachments="lazy")`` + ``validate_package`` — the goal row: ≤ 3× the
  baseline (issue 2). Attachments are located, not decoded; their size and SHA-256 come
  on first use;
- the same, then every attachment loaded (decoded, unzipped, hashed): what a consumer
  that needs the contents pays in all;
- ``read_package`` (eager, the default) + ``validate_package``;
- the floor of an eager read: ``fromstring`` + base64 decode + unzip + SHA-256 of the
  payload, i.e. the least work any reader that checks the attachment must do; it
  explains why an eager read cannot come near 3× a bare parse;
- ``package_to_bytes`` (write; dominated by deflating the SDK zip).

Prints milliseconds (min, median, p90) and the median's ratio to the baseline's median;
``--json`` prints the same data with the machine description.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from _common import Timing, machine, measure, print_table
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes

NS = {"e": m.NS}
GOAL_RATIO = 3.0
GOAL_ROW = "read lazy + validate"
SAMPLE = (
    Path(os.environ.get("LIENTHONG_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
    / "samples/edxml"
)


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
    """A package of about ``target_bytes``: one SDK-zipped attachment of base64-ish text."""

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
            ],
        )
        return package_to_bytes(pkg)

    guess = make(target_bytes)
    return make(int(target_bytes * target_bytes / len(guess)))


def floor(xml: bytes) -> None:
    """Parse, then decode, unzip and hash every attachment: an eager read's least work."""
    root = etree.fromstring(xml)
    for text in root.iterfind(".//e:ContentTransferEncoded", namespaces=NS):
        wire = base64.b64decode(text.text or "")
        with zipfile.ZipFile(io.BytesIO(wire)) as archive:
            hashlib.sha256(archive.read(archive.infolist()[0])).hexdigest()


def read_lazy_validate(data: bytes) -> None:
    validate_package(read_package(data, attachments="lazy"))


def read_lazy_then_load(data: bytes) -> None:
    pkg = read_package(data, attachments="lazy")
    validate_package(pkg)
    for att in getattr(pkg, "attachments", []):
        att.load()


def read_eager_validate(data: bytes) -> None:
    validate_package(read_package(data))


def operations(data: bytes) -> list[tuple[str, Callable[[], object]]]:
    pkg = read_package(data)
    xml = data[data.index(b"<") :]  # bare lxml refuses the sample's junk before "<?xml"
    return [
        ("lxml.etree.fromstring (baseline)", lambda: etree.fromstring(xml)),
        (GOAL_ROW, lambda: read_lazy_validate(data)),
        ("read lazy + validate, then load attachments", lambda: read_lazy_then_load(data)),
        ("read eager + validate", lambda: read_eager_validate(data)),
        ("floor of eager: parse + b64 + unzip + sha256", lambda: floor(xml)),
        ("write (package_to_bytes)", lambda: package_to_bytes(pkg)),
    ]


def bench(label: str, data: bytes, runs: int) -> dict[str, Any]:
    timings: list[tuple[str, Timing]] = [(name, measure(fn, runs)) for name, fn in operations(data)]
    base = timings[0][1].median
    rows = []
    for name, timing in timings:
        ratio = timing.median / base
        rows.append(
            {
                "operation": name,
                "min_ms": round(timing.minimum, 3),
                "median_ms": round(timing.median, 3),
                "p90_ms": round(timing.p90, 3),
                "ratio": round(ratio, 2),
                "goal": f"≤ {GOAL_RATIO:g}×" if name == GOAL_ROW else None,
                "met": ratio <= GOAL_RATIO if name == GOAL_ROW else None,
            }
        )
    return {"package": label, "bytes": len(data), "runs": runs, "rows": rows}


def packages(runs: int) -> list[tuple[str, bytes, int]]:
    found = [("SDK-style ~370 KB", build(370_000), runs)]
    sample = SAMPLE / "edoc_new.edxml"
    if sample.is_file():
        found.append(("edoc_new.edxml (real sample)", sample.read_bytes(), runs))
    found.append(("SDK-style ~5 MB", build(5_000_000), max(10, runs // 4)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="timed runs per operation")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = [bench(label, data, runs) for label, data, runs in packages(args.runs)]
    if args.json:
        out = {"machine": machine(), "command": " ".join(sys.argv), "packages": results}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for result in results:
        print_table(
            f"{result['package']} ({result['bytes']:,} bytes, {result['runs']} runs), ms",
            ["operation", "min", "median", "p90", "× baseline", "goal", "met?"],
            [
                [
                    row["operation"],
                    row["min_ms"],
                    row["median_ms"],
                    row["p90_ms"],
                    row["ratio"],
                    row["goal"],
                    row["met"],
                ]
                for row in result["rows"]
            ],
        )


if __name__ == "__main__":
    main()
