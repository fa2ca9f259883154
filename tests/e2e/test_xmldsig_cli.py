"""``lienthong sign edxml`` and ``lienthong verify edxml`` as a user types them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.writer import package_to_bytes
from support import SAMPLES_DIR

LIENTHONG = str(Path(sys.executable).parent / "lienthong")
PASSPHRASE = "e2e passphrase — không dùng thật"
SAMPLES = SAMPLES_DIR
H41 = "000.00.00.H41"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(LIENTHONG_DATA_DIR=str(data_dir), LIENTHONG_PKI_PASSPHRASE=PASSPHRASE, COLUMNS="200")
    return env


def _run(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIENTHONG, *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sign_then_verify_then_tamper(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    assert (
        _run(env, "pki", "init", "--agency", f"{H41}=Ủy ban nhân dân tỉnh Nghệ An").returncode == 0
    )
    package = tmp_path / "in.edxml"
    package.write_bytes(
        package_to_bytes(
            m.DocumentPackage(
                header=m.MessageHeader(
                    from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
                    to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
                    subject="V/v thử ký gói tin",
                ),
                attachments=[attachment_from_bytes("vb.pdf", b"%PDF-1.7 e2e", content_id="cid:1")],
            )
        )
    )
    signed = tmp_path / "signed.edxml"
    done = _run(env, "sign", "edxml", package, signed, "--identity", "agency-000.00.00.h41")
    assert done.returncode == 0, done.stdout + done.stderr
    assert PASSPHRASE not in done.stdout + done.stderr

    table = _run(env, "verify", "edxml", signed)
    assert table.returncode == 0, table.stdout + table.stderr
    assert f"{signed}: valid" in table.stdout
    assert "ecdsa-sha256 / sha256 / exc-c14n" in table.stdout

    again = _run(env, "sign", "edxml", signed, tmp_path / "twice.edxml", "--identity", "system")
    assert again.returncode == 2
    assert "signature.already_signed" in again.stderr

    tampered = tmp_path / "tampered.edxml"
    tampered.write_bytes(signed.read_bytes().replace("V/v thử ký".encode(), "V/v sửa ký".encode()))
    report = _run(env, "verify", "edxml", "--json", tampered)
    assert report.returncode == 1
    data = json.loads(report.stdout)
    assert data["verdict"] == "invalid"
    assert data["intact"] is False
    assert "signature.digest_mismatch" in [f["code"] for f in data["findings"]]

    system = tmp_path / "system.edxml"
    resigned = _run(env, "sign", "edxml", signed, system, "--identity", "system", "--replace")
    assert resigned.returncode == 0, resigned.stderr
    assert _run(env, "verify", "edxml", system).returncode == 1  # the system hosts nobody yet
    hosted = _run(env, "verify", "edxml", system, "--allow-agency", H41)
    assert hosted.returncode == 0, hosted.stdout


def test_damaged_sample_gives_a_report_and_exit_1(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    assert _run(env, "pki", "init").returncode == 0
    done = _run(env, "verify", "edxml", SAMPLES / "edoc_new.edxml")
    assert done.returncode == 1
    assert "invalid" in done.stdout
    assert "signature.namespace_missing" in done.stdout
    assert "Traceback" not in done.stderr
    unsigned = _run(env, "verify", "edxml", "--json", SAMPLES / "status_finish_06.edxml")
    assert unsigned.returncode == 1
    assert json.loads(unsigned.stdout)["verdict"] == "unsigned"
