"""``lienthong demo`` as a newcomer runs it (through ``make demo``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support import LIENTHONG, SAMPLES_DIR, clean_env


def test_demo_walkthrough_signs_and_reads(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    (data / "stale").mkdir(parents=True)  # a previous run's leftovers are removed
    result = subprocess.run(
        [
            LIENTHONG,
            "demo",
            "--walkthrough-only",
            "--data-dir",
            str(data),
            "--samples",
            str(SAMPLES_DIR),
        ],
        env=clean_env(LIENTHONG_PKI_PASSPHRASE="demo passphrase"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not (data / "stale").exists()
    pdf = data / "out" / "quyet-dinh-da-ky.pdf"
    package = data / "out" / "cong-van.edxml"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert b"<ds:Signature" in package.read_bytes()
    assert "quyet-dinh-da-ky.pdf: valid (2 signature(s))" in out
    assert "cong-van.edxml: valid" in out
    # the samples: the damaged document package is read with repairs, its signature invalid
    sample_row = next(line for line in out.splitlines() if "edoc_new.edxml" in line)
    assert "002.00.20.H13" in sample_row
    assert "invalid" in sample_row
    assert out.count("unsigned") == 3
    # the package verifies independently with xmlsec1 against the demo root
    root_pem = data / "pki" / "certs" / "root.pem"
    check = subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(root_pem), str(package)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr
