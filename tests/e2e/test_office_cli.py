"""``lienthong office …`` as an operator types it: host an agency, add people, register a
paper arrival, read and export the registers."""

from __future__ import annotations

import io
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

pytestmark = pytest.mark.slow  # about twenty processes


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        COLUMNS="250",
        LIENTHONG_DATA_DIR=str(data_dir),
        LIENTHONG_HUB_MASTER_KEY=generate_master_key(),
        LIENTHONG_OFFICE_PASSWORD="mat-khau-van-thu-1",
    )
    return env


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


def test_an_operator_runs_an_office(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")

    def ok(*args: str) -> str:
        result = run(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    ok("db", "upgrade")
    ok("hub", "agency", "add", "--name", "Ủy ban nhân dân tỉnh Nghệ An", "--qcvn", AGENCY)
    assert "Office agency 000.00.00.H41" in ok(
        "office", "agency", "add", AGENCY, "--abbreviation", "UBND"
    )
    ok("office", "unit", "add", "-a", AGENCY, "--name", "Văn phòng", "--abbreviation", "VP")
    ok(
        "office", "user", "add", "-a", AGENCY, "vanthu",
        "--full-name", "Nguyễn Thị Vân", "--role", "clerk", "--unit", "VP",
    )  # fmt: skip
    ok(
        "office", "user", "add", "-a", AGENCY, "lanhdao",
        "--full-name", "Trần Văn Lãnh", "--role", "leader", "--role", "admin",
    )  # fmt: skip
    users = ok("office", "user", "list", "-a", AGENCY)
    assert "vanthu" in users
    assert "Nguyễn Thị Vân" in users
    assert "admin, leader" in users

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(sample.decision_pdf())
    registered = ok(
        "office", "paper-register", "-a", AGENCY, "--as", "vanthu",
        "--sender", "Sở Tài chính tỉnh Nghệ An", "--subject", "Về việc quyết toán kinh phí",
        "--scan", str(scan), "--code", "12/STC-NS", "--date", "2026-05-08", "--doctype", "Công văn",
    )  # fmt: skip
    assert "registered số đến 01" in registered
    listed = ok("office", "incoming", "list", "-a", AGENCY)
    assert "Sở Tài chính tỉnh Nghệ An" in listed
    assert "12/STC-NS" in listed

    year = str(datetime.now(VN_TZ).year)
    shown = ok("office", "register", "show", "-a", AGENCY, "--year", year, "--kind", "in")
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in shown
    assert "Về việc quyết toán kinh phí" in shown
    assert "1 documents" in shown
    xlsx = tmp_path / "den.xlsx"
    ok(
        "office",
        "register",
        "export",
        "-a",
        AGENCY,
        "--year",
        year,
        "--kind",
        "in",
        "-o",
        str(xlsx),
    )
    sheet = load_workbook(io.BytesIO(xlsx.read_bytes())).active
    assert sheet["C6"].value == "Sở Tài chính tỉnh Nghệ An"
    assert sheet["D6"].value == "12/STC-NS"
    pdf_out = ok(
        "office", "register", "export", "-a", AGENCY, "--year", year, "--kind", "out", "--format", "pdf",
    )  # fmt: skip
    assert f"so-van-ban-di-{year}.pdf" in pdf_out
    assert (tmp_path / f"so-van-ban-di-{year}.pdf").read_bytes().startswith(b"%PDF-")

    # the workflow's rules apply to the CLI too; errors are clear, with exit status 2
    again = run(
        "office", "incoming", "accept", "1", "-a", AGENCY, "--as", "vanthu", env=env, cwd=tmp_path
    )
    assert again.returncode == 2
    assert "workflow.illegal_transition" in again.stderr
    leader = run(
        "office", "incoming", "accept", "1", "-a", AGENCY, "--as", "lanhdao", env=env, cwd=tmp_path
    )
    assert leader.returncode == 2
    assert "workflow.illegal_transition" in leader.stderr
    assert "Password set" in ok("office", "user", "passwd", "vanthu")
    duplicate = run(
        "office", "agency", "add", AGENCY, "--abbreviation", "UBND", env=env, cwd=tmp_path
    )
    assert duplicate.returncode == 2
    assert "office.agency_exists" in duplicate.stderr
