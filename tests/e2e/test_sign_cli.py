"""``lienthong sign pdf`` and ``lienthong verify pdf`` as a user types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.pki.names import common_name_of
from lienthong.pki.testing import TEST_PASSPHRASE, demo_pki

AGENCY_ID = "000.00.00.H41"
LIENTHONG = str(Path(sys.executable).with_name("lienthong"))


@pytest.fixture
def pki(tmp_path: Path) -> DemoPki:
    return demo_pki(tmp_path, [(AGENCY_ID, "Ủy ban nhân dân tỉnh Nghệ An")])


def run(
    tmp_path: Path, pki: DemoPki, *args: str, passphrase: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")} | {
        "LIENTHONG_DATA_DIR": str(tmp_path / "data"),
        "LIENTHONG_PKI_DIR": str(pki.pki_dir),
    }
    if passphrase:
        env["LIENTHONG_PKI_PASSPHRASE"] = TEST_PASSPHRASE
    return subprocess.run(
        [LIENTHONG, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_sign_as_signer_then_agency_and_verify(tmp_path: Path, pki: DemoPki) -> None:
    draft, person, final = tmp_path / "draft.pdf", tmp_path / "person.pdf", tmp_path / "final.pdf"
    draft.write_bytes(sample.decision_pdf())
    signer_name = pki.signer(AGENCY_ID).name
    agency_name = pki.agency(AGENCY_ID).name

    done = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(draft),
        str(person),
        "--as",
        "signer",
        "--identity",
        signer_name,
        "--title",
        "Chủ tịch",
    )
    assert done.returncode == 0, done.stderr
    assert "Signed" in done.stdout
    done = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(person),
        str(final),
        "--as",
        "agency",
        "--identity",
        agency_name,
        "--level",
        "B-B",
    )
    assert done.returncode == 0, done.stderr

    shown = run(tmp_path, pki, "verify", "pdf", str(final))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "ChuKyNguoiCoThamQuyen" in shown.stdout
    assert common_name_of(pki.signer(AGENCY_ID).certificate.subject) in shown.stdout
    assert f"{final}: valid (2 signature(s))" in shown.stdout

    as_json = run(tmp_path, pki, "verify", "pdf", str(final), "--json")
    assert as_json.returncode == 0
    report = json.loads(as_json.stdout)
    assert report["verdict"] == "valid"
    assert [s["agency_id"] for s in report["signatures"]] == [AGENCY_ID, AGENCY_ID]
    assert [s["chain"]["trusted"] for s in report["signatures"]] == [True, True]


def test_verify_exits_non_zero_on_a_tampered_pdf(tmp_path: Path, pki: DemoPki) -> None:
    draft, signed = tmp_path / "draft.pdf", tmp_path / "signed.pdf"
    draft.write_bytes(sample.decision_pdf())
    done = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(draft),
        str(signed),
        "--as",
        "signer",
        "--identity",
        pki.signer(AGENCY_ID).name,
    )
    assert done.returncode == 0, done.stderr
    data = signed.read_bytes()
    at = data.index(b"/F2 12.00 Tf") + len(b"/F2 1")
    signed.write_bytes(data[:at] + b"3" + data[at + 1 :])
    shown = run(tmp_path, pki, "verify", "pdf", str(signed), "--json")
    assert shown.returncode == 1
    report = json.loads(shown.stdout)
    assert report["verdict"] == "invalid"
    assert report["signatures"][0]["intact"] is False


def test_attachment_and_errors(tmp_path: Path, pki: DemoPki) -> None:
    annex, stamped = tmp_path / "annex.pdf", tmp_path / "stamped.pdf"
    annex.write_bytes(sample.attachment_pdf())
    agency_name = pki.agency(AGENCY_ID).name
    done = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(annex),
        str(stamped),
        "--as",
        "attachment",
        "--identity",
        agency_name,
        "--number",
        "125/QĐ-UBND",
    )
    assert done.returncode == 0, done.stderr
    assert run(tmp_path, pki, "verify", "pdf", str(stamped)).returncode == 0

    missing = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(annex),
        str(stamped),
        "--as",
        "attachment",
        "--identity",
        agency_name,
    )
    assert missing.returncode == 2
    assert "--number" in missing.stderr

    locked = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(annex),
        str(stamped),
        "--as",
        "agency",
        "--identity",
        agency_name,
        passphrase=False,
    )
    assert locked.returncode == 2
    assert "LIENTHONG_PKI_PASSPHRASE" in locked.stderr

    unsigned = run(tmp_path, pki, "verify", "pdf", str(annex))
    assert unsigned.returncode == 1
    assert "indeterminate" in unsigned.stdout

    bt = run(
        tmp_path,
        pki,
        "sign",
        "pdf",
        str(annex),
        str(stamped),
        "--as",
        "agency",
        "--identity",
        agency_name,
        "--level",
        "B-T",
    )
    assert bt.returncode == 2
    assert "pdfsign.tsa_missing" in bt.stderr
