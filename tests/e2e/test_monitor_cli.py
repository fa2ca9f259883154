"""``lienthong report …`` as an operator types it: an agency with two paper arrivals (one
confidential), its measures as JSON, its processing-status form as a workbook and the
national table on the hub's side."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lienthong.clock import VN_TZ
from lienthong.hub.secrets import generate_master_key
from lienthong.pdfsign import sample

LIENTHONG = Path(sys.executable).with_name("lienthong")
AGENCY = "000.00.00.H41"

pytestmark = pytest.mark.slow  # about a dozen processes


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIENTHONG), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_reports_from_the_command_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        COLUMNS="200",
        LIENTHONG_DATA_DIR=str(tmp_path / "data"),
        LIENTHONG_HUB_MASTER_KEY=generate_master_key(),
        LIENTHONG_OFFICE_PASSWORD="mat-khau-van-thu-1",
    )

    def ok(*args: str) -> str:
        result = run(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    ok("db", "upgrade")
    ok("hub", "agency", "add", "--name", "Ủy ban nhân dân tỉnh Nghệ An", "--qcvn", AGENCY)
    ok("office", "agency", "add", AGENCY, "--abbreviation", "UBND")
    ok("office", "unit", "add", "-a", AGENCY, "--name", "Văn phòng", "--abbreviation", "VP")
    ok(
        "office", "user", "add", "-a", AGENCY, "vanthu",
        "--full-name", "Nguyễn Thị Vân", "--role", "clerk", "--unit", "VP",
    )  # fmt: skip
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(sample.decision_pdf())
    for confidentiality in ("none", "mat"):
        ok(
            "office", "paper-register", "-a", AGENCY, "--as", "vanthu", "--sender", "Sở Tài chính",
            "--subject", "Về việc quyết toán", "--scan", str(scan), "--doctype", "Công văn",
            "--confidentiality", confidentiality,
        )  # fmt: skip
    year = str(datetime.now(VN_TZ).year)

    # one paper arrival counts (the confidential one never does): 0 of 1 electronic, and
    # nothing with an electronic version, so the scanned share has no data
    data = json.loads(ok("report", "measures", "-a", AGENCY, "-p", year, "--format", "json"))
    assert (data["documents"], data["incoming"], data["excluded_confidential"]) == (1, 1, 1)
    measures = {m["name"]: m for m in data["measures"]}
    assert (measures["electronic"]["numerator"], measures["electronic"]["denominator"]) == (0, 1)
    assert measures["scanned"]["share"] is None
    assert measures["scanned"]["target"]["text"] == "< 50%"
    assert measures["processing_unfinished"]["share"] == 100.0

    table = ok("report", "measures", "-a", AGENCY, "-p", year)
    assert "KẾT QUẢ SỬ DỤNG VĂN BẢN ĐIỆN TỬ" in table
    assert "Không có số liệu" in table

    workbook = tmp_path / "status.xlsx"
    ok(
        "report",
        "status",
        "-a",
        AGENCY,
        "-p",
        year,
        "--by",
        "agency",
        "-f",
        "xlsx",
        "-o",
        str(workbook),
    )
    sheet = load_workbook(io.BytesIO(workbook.read_bytes())).active
    assert sheet["A2"].value == "BÁO CÁO TÌNH HÌNH XỬ LÝ VĂN BẢN ĐẾN"
    # received 1: not assigned, so open without a deadline
    assert [c.value for c in sheet[7]] == ["Ủy ban nhân dân tỉnh Nghệ An", 1, 0, 0, 0, 0, 1]

    national = json.loads(ok("report", "national", "-p", year, "--format", "json"))
    assert (national["reporting"], national["documents"]) == (0, 0)

    bad = run("report", "measures", "-a", AGENCY, "-p", "2026-Q5", env=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert "monitor.period" in bad.stderr
    unsent = run("report", "send", "-a", AGENCY, "-p", year, env=env, cwd=tmp_path)
    assert unsent.returncode == 2
    assert "LIENTHONG_HUB_URL" in unsent.stderr
