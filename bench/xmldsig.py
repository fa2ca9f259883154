"""Sign and verify time of a ~370 KB edXML package (and memory of a large one).

    .venv/bin/python bench/xmldsig.py [--runs 50] [--big-mb 20]

Prints min / median milliseconds for ``sign_package`` and ``verify_package`` next to a
bare lxml parse and a bare signxml verification of the same bytes (the baselines), for an
EC P-256 and an RSA-2048 demo identity. With ``--big-mb`` it also signs and verifies a
package with an attachment of that size in a child process each and prints the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree
from signxml.verifier import XMLVerifier

from lienthong.clock import SystemClock
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_parse import make_parser
from lienthong.pki.identity import load_identity
from lienthong.pki.profiles import KeyType
from lienthong.pki.testing import TEST_PASSPHRASE, demo_pki
from lienthong.pki.trust import load_trust_store

H41 = "000.00.00.H41"


def package(payload_bytes: int) -> bytes:
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
            subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        ),
        attachments=[
            attachment_from_bytes("vb.pdf", os.urandom(payload_bytes), content_id="cid:1")
        ],
    )
    return package_to_bytes(pkg)


def timed(fn: Callable[[], object], runs: int) -> str:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return f"min {min(samples):6.2f} ms   median {statistics.median(samples):6.2f} ms"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def big(mode: str, pki_dir: Path, path: Path) -> None:
    """Child process: sign or verify one large package, from a file, and report peak RSS."""
    data = path.read_bytes()
    if mode == "sign":
        identity = load_identity(pki_dir, "agency-000.00.00.h41", TEST_PASSPHRASE)
    else:
        trust = load_trust_store(pki_dir=pki_dir)
    before = peak_rss_mb()
    start = time.perf_counter()
    if mode == "sign":
        sign_package(data, identity)
    else:
        assert verify_package(data, trust).valid
    took = time.perf_counter() - start
    grown = peak_rss_mb() - before
    print(
        f"{mode:6} {len(data) / 1e6:6.1f} MB package: {took:5.2f} s, "
        f"peak RSS +{grown:.0f} MB ({grown / (len(data) / 1e6):.1f}x the package)"
    )


def small(key_type: KeyType, data: bytes, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pki = demo_pki(Path(tmp), key_type=key_type)
        identity = pki.agency(H41)
        signed = sign_package(data, identity)
        cert = identity.certificate
        clock = SystemClock()
        print(f"-- {key_type}: {len(signed) / 1000:.0f} KB signed")
        print("lxml parse      ", timed(lambda: etree.fromstring(signed, make_parser()), runs))
        print(
            "signxml verify  ",
            timed(lambda: XMLVerifier().verify(signed, x509_cert=cert, parser=make_parser()), runs),
        )
        print("sign_package    ", timed(lambda: sign_package(data, identity), runs))
        print(
            "verify_package  ",
            timed(lambda: verify_package(signed, pki.trust_store, clock=clock), runs),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--big-mb", type=int, default=0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        big(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    data = package(277_000)
    print(f"package: {len(data) / 1000:.0f} KB")
    for key_type in ("ec", "rsa"):
        small(key_type, data, args.runs)  # type: ignore[arg-type]
    if args.big_mb:
        with tempfile.TemporaryDirectory() as tmp:
            pki = demo_pki(Path(tmp))
            unsigned = Path(tmp) / "big.edxml"
            unsigned.write_bytes(package(args.big_mb * 1_000_000))
            signed = Path(tmp) / "big-signed.edxml"
            signed.write_bytes(sign_package(unsigned.read_bytes(), pki.agency(H41)))
            for mode, path in (("sign", unsigned), ("verify", signed)):
                subprocess.run(
                    [sys.executable, __file__, "--child", mode, str(pki.pki_dir), str(path)],
                    check=True,
                )


if __name__ == "__main__":
    main()
