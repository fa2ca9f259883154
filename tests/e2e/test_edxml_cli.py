"""``lienthong edxml …`` run as a user types it: inspect, validate, build, status."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

LIENTHONG = Path(sys.executable).with_name("lienthong")
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = REPO / "docs" / "examples" / "edoc-spec.json"
_SHARED = os.environ.get("LIENTHONG_SHARED_DIR")
SAMPLES = (Path(_SHARED) if _SHARED else REPO.parent / "shared") / "samples" / "edxml"
EDOC = SAMPLES / "edoc_new.edxml"
REJECTION = SAMPLES / "status_rejection_02.edxml"
STATUSES = sorted(SAMPLES.glob("status_*.edxml"))
DOC_ID = "000.00.00.G22,2024/05/17,7816/VPCP-TTĐT"


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``lienthong`` command with a clean LIENTHONG_* environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(LIENTHONG), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_json(*args: str | Path, cwd: Path) -> Any:
    result = run(*args, cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def unzipped_payload_size(package: Path) -> int:
    """The size of the edoc sample's attachment, decoded independently of our reader."""
    raw = package.read_bytes()
    match = re.search(rb"ContentTransferEncoded[^>]*>([^<]+)<", raw)
    assert match is not None
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(match.group(1)))) as archive:
        (member,) = archive.infolist()
        return member.file_size


def test_inspect_a_document_sample(tmp_path: Path) -> None:
    result = run("edxml", "inspect", EDOC, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "edXML document package",
        "002.00.20.H13",
        "28.22.H17",
        "(non-standard id)",
        "74fass22/VPCP-TTĐT",
        "2019/01/16 (Hà Nội)",
        "Công văn (Type 1 / TypeDetail 0)",
        "V/v kết nối, liên thông phần mềm quản lý văn bản",
        "TL. BO TRUONG",
        "Nguyen Thanh Phuc",
        "0 Thường",
        "0 new (văn bản mới)",
        "1896_QD-TTg_m_294779.doc",
        "application/zip (zipped)",
        "Reader warnings (2)",
        "[repair.leading_junk]",
    ):
        assert expected in out, expected


def test_inspect_json_gives_decoded_attachment_sizes(tmp_path: Path) -> None:
    data = run_json("edxml", "inspect", "--json", EDOC, cwd=tmp_path)
    assert data["kind"] == "edoc"
    assert data["from"]["organ_id"] == "002.00.20.H13"
    assert data["from"]["id_form"] == "qcvn102"
    assert [o["id_form"] for o in data["to"]] == ["nonstandard"]
    assert data["code"] == "74fass22/VPCP-TTĐT"
    (attachment,) = data["attachments"]
    assert attachment["name"] == "1896_QD-TTg_m_294779.doc"
    assert attachment["zipped"] is True
    assert attachment["size"] == unzipped_payload_size(EDOC)
    assert data["signature"]["present"] is True


def test_inspect_a_status_sample(tmp_path: Path) -> None:
    result = run("edxml", "inspect", REJECTION, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for expected in (
        "edXML status package",
        "000.00.00.H41 UBND Tỉnh Nghệ An",
        "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
        "02 rejected by the receiving clerk (Từ chối tiếp nhận)",
        "Từ chối không tiếp nhận văn bản điện tử",
        "2015/09/20 11:08:36",
        "Nguyen thi ngoc tram",
    ):
        assert expected in result.stdout, expected
    data = run_json("edxml", "inspect", "--json", REJECTION, cwd=tmp_path)
    assert data["status"] == {
        "code": "02",
        "meaning": "rejected by the receiving clerk",
        "meaning_vi": "Từ chối tiếp nhận",
    }
    assert data["response_for"]["promulgation_date"] == "2015/09/30"


def test_validate_the_samples(tmp_path: Path) -> None:
    result = run("edxml", "validate", EDOC, *STATUSES, cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert f"✗ invalid {EDOC} (edoc): 2 error(s)" in out
    assert "MessageHeader/Code/CodeNumber: [code.number_not_numeric] code number '74fass22'" in out
    assert "[document_id.date_invalid]" in out
    assert "2014/02/30" in out
    for status in STATUSES:
        assert f"✓ valid {status} (status)" in out
    assert f"{len(STATUSES)} of {len(STATUSES) + 1} package(s) valid" in out


def test_validate_valid_packages_exits_zero(tmp_path: Path) -> None:
    result = run("edxml", "validate", *STATUSES, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_json_and_an_unreadable_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.edxml"
    junk.write_bytes(b"this is not a package")
    result = run("edxml", "validate", "--json", junk, EDOC, REJECTION, cwd=tmp_path)
    assert result.returncode == 1
    entries = json.loads(result.stdout)
    assert [e["file"] for e in entries] == [str(junk), str(EDOC), str(REJECTION)]
    assert entries[0]["readable"] is False
    assert entries[0]["error"]["code"].startswith("package.")
    assert entries[1]["ok"] is False
    assert {p["code"] for p in entries[1]["problems"] if p["severity"] == "error"} == {
        "code.number_not_numeric",
        "document_id.date_invalid",
    }
    assert entries[2]["ok"] is True
    assert entries[2]["kind"] == "status"


def test_build_then_inspect_and_validate(tmp_path: Path) -> None:
    pdf = tmp_path / "cong-van.pdf"
    pdf.write_bytes(b"%PDF-1.4\n% a test document\n%%EOF\n")
    out = tmp_path / "out.edxml"
    result = run(
        "edxml", "build", EXAMPLE_SPEC, "--attach", pdf, "--zip", "-o", out,
        "--at", "2024-05-17T09:30:00",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert "7816/VPCP-TTĐT to 2 recipient(s), 1 attachment(s)" in result.stderr

    checked = run("edxml", "validate", out, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert "0 error(s), 1 warning(s)" in checked.stdout  # unsigned

    data = run_json("edxml", "inspect", "--json", out, cwd=tmp_path)
    assert data["document_id"] == DOC_ID
    assert data["trace"] == [{"organ_id": "000.00.00.G22", "timestamp": "2024/05/17 09:30:00"}]
    assert data["priority"] == {"value": 1, "label": "Khẩn"}
    (attachment,) = data["attachments"]
    assert attachment["name"] == "cong-van.pdf"
    assert attachment["content_type"] == "application/zip"
    assert attachment["zipped"] is True
    assert attachment["size"] == pdf.stat().st_size
    # The zip really is on the wire, as the government SDK makes it.
    assert b"<ContentType>application/zip</ContentType>" in out.read_bytes()


def test_build_with_an_invalid_spec_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    spec = json.loads(EXAMPLE_SPEC.read_text(encoding="utf-8"))
    spec["code"] = "7816/CV-UBND"
    spec["to"][1]["organ_id"] = "bad id"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.edxml"
    result = run("edxml", "build", bad, "-o", out, cwd=tmp_path)
    assert result.returncode == 2
    assert "[doctype.cv_abbreviation]" in result.stderr
    assert "công văn has no type abbreviation" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]

    spec["code"] = "7816/VPCP-TTĐT"
    bad.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    result = run("edxml", "build", bad, "-o", out, cwd=tmp_path)
    assert result.returncode == 2
    assert "MessageHeader/To[2]/OrganId: [agency_id.invalid]" in result.stderr
    assert not out.exists()

    bad.write_text('{"from": {"organ_id": "000.00.00.G22"}, "to": []}', encoding="utf-8")
    result = run("edxml", "build", bad, "-o", out, cwd=tmp_path)
    assert result.returncode == 2
    assert "[spec.invalid]" in result.stderr
    assert "to: List should have at least 1 item" in result.stderr


def test_status_then_inspect_and_validate(tmp_path: Path) -> None:
    out = tmp_path / "status.edxml"
    result = run(
        "edxml", "status", "--from", "000.00.00.H41", "--document-id", DOC_ID,
        "--code", "03", "--description", "Đã vào sổ văn bản đến",
        "--staff", "Nguyễn Thị B", "--from-name", "UBND tỉnh Nghệ An",
        "--at", "2024-05-18T08:15:00+07:00", "-o", out,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "status 03 (accepted and registered)" in result.stderr
    data = run_json("edxml", "inspect", "--json", out, cwd=tmp_path)
    assert data["response_for"] == {
        "organ_id": "000.00.00.G22",
        "code": "7816/VPCP-TTĐT",
        "promulgation_date": "2024/05/17",
        "document_id": DOC_ID,
    }
    assert data["timestamp"] == "2024/05/18 08:15:00"
    assert data["status"]["code"] == "03"
    assert data["staff"]["staff"] == "Nguyễn Thị B"
    checked = run("edxml", "validate", out, cwd=tmp_path)
    assert checked.returncode == 0
    assert "0 error(s), 0 warning(s)" in checked.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "07"], "'07' is not a status code"),
        (["--code", "02"], "[status.reason_missing]"),
        (["--code", "03", "--from", "vxp.saas.03"], "non-standard agency id"),
        (
            ["--code", "03", "--document-id", "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"],
            "month 2 of 2014 has no day 30",
        ),
    ],
)
def test_status_with_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--from": "000.00.00.H41", "--document-id": DOC_ID}
    base.update(zip(args[::2], args[1::2], strict=True))
    out = tmp_path / "status.edxml"
    flat = [part for pair in base.items() for part in pair]
    result = run("edxml", "status", *flat, "-o", out, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = run("edxml", "inspect", tmp_path / "nope.edxml", cwd=tmp_path)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    unknown = run("edxml", "nonsense", cwd=tmp_path)
    assert unknown.returncode == 2


def test_inspect_a_damaged_package_exits_2_naming_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.edxml"
    shutil.copyfile(REJECTION, broken)
    broken.write_bytes(broken.read_bytes().replace(b"</edXML:MessageHeader>", b"", 1))
    result = run("edxml", "inspect", broken, cwd=tmp_path)
    assert result.returncode == 2
    assert "error [package." in result.stderr
    assert "line" in result.stderr
