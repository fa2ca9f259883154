"""Package signatures in detail: time against bare lxml / signxml, and memory of big packages.

    .venv/bin/python bench/xmldsig.py [--iterations 50] [--big-mb 22] [--json]

The headline figures (goals, PAdES, raw cryptography) are ``bench/signing.py``'s. This
one puts ``sign_package`` and ``verify_package`` of the ~370 KB package next to two
baselines measured on the same bytes in the same run: a bare lxml parse, and a bare
signxml verification (``XMLVerifier().verify`` with the signer's certificate, no profile,
chain or agency checks), for an EC P-256 and an RSA-2048 demo identity.

With ``--big-mb N`` (0 skips it) it also builds a package with an N MB attachment and, in
a fresh child process each, signs it, verifies it, and verifies it with bare signxml (the
baseline: signxml canonicalizes copies of the whole document). Each child reports the
growth of its peak resident memory (``VmHWM``) over its state after reading the file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree
from signxml.verifier import XMLVerifier

from _common import H41, edxml_package, measure, peak_rss_mib, print_table
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_parse import make_parser
from lienthong.pki.identity import load_identity
from lienthong.pki.model import SigningIdentity, TrustStore
from lienthong.pki.profiles import KeyType
from lienthong.pki.testing import TEST_PASSPHRASE, demo_pki
from lienthong.pki.trust import load_trust_store

KEYS: dict[KeyType, str] = {"ec": "P-256", "rsa": "RSA-2048"}
BIG_MODES = ("sign_package", "verify_package", "signxml verify (baseline)")


def _operations(
    data: bytes, identity: SigningIdentity, trust: TrustStore
) -> dict[str, Callable[[], object]]:
    signed = sign_package(data, identity)
    cert = identity.certificate
    return {
        "lxml parse (baseline)": lambda: etree.fromstring(signed, make_parser()),
        "signxml verify (baseline)": lambda: XMLVerifier().verify(
            signed, x509_cert=cert, parser=make_parser()
        ),
        "sign_package": lambda: sign_package(data, identity),
        "verify_package": lambda: verify_package(signed, trust),
    }


def small(data: bytes, iterations: int) -> list[dict[str, Any]]:
    """Timings of the ~370 KB package, both key types."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for key_type, key in KEYS.items():
            pki = demo_pki(Path(tmp) / key_type, key_type=key_type)
            for operation, fn in _operations(data, pki.agency(H41), pki.trust_store).items():
                timing = measure(fn, iterations, warmup=3)
                rows.append(
                    {
                        "operation": operation,
                        "key": key,
                        "min_ms": timing.minimum,
                        "median_ms": timing.median,
                        "p90_ms": timing.p90,
                    }
                )
    return rows


def child(mode: str, pki_dir: Path, path: Path) -> None:
    """In a fresh process: one big operation from a file; print JSON with the peak growth."""
    data = path.read_bytes()
    identity = load_identity(pki_dir, "agency-000.00.00.h41", TEST_PASSPHRASE)
    trust = load_trust_store(pki_dir=pki_dir)
    before = peak_rss_mib()
    start = time.perf_counter()
    if mode == "sign_package":
        sign_package(data, identity)
    elif mode == "verify_package":
        assert verify_package(data, trust).valid
    else:
        XMLVerifier().verify(data, x509_cert=identity.certificate, parser=make_parser())
    took = time.perf_counter() - start
    grown = peak_rss_mib() - before
    print(json.dumps({"seconds": took, "growth_mib": grown, "package_bytes": len(data)}))


def big(megabytes: int) -> list[dict[str, Any]]:
    """Peak memory and time of the big package, one child process per operation."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        pki = demo_pki(Path(tmp))
        unsigned = Path(tmp) / "big.edxml"
        unsigned.write_bytes(edxml_package(megabytes * 1_000_000))
        signed = Path(tmp) / "big-signed.edxml"
        signed.write_bytes(sign_package(unsigned.read_bytes(), pki.agency(H41)))
        for mode in BIG_MODES:
            path = unsigned if mode == "sign_package" else signed
            done = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(pki.pki_dir), str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(done.stdout)
            size_mib = result["package_bytes"] / 1024 / 1024
            rows.append(
                {
                    "operation": mode,
                    "package_mb": result["package_bytes"] / 1e6,
                    "seconds": result["seconds"],
                    "peak_growth_mib": result["growth_mib"],
                    "times_package": result["growth_mib"] / size_mib,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=50, help="timed runs per operation")
    parser.add_argument("--big-mb", type=int, default=22, help="attachment MB of the big package")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    data = edxml_package()
    out: dict[str, Any] = {"package_bytes": len(data), "small": small(data, args.iterations)}
    if args.big_mb:
        out["big"] = big(args.big_mb)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print_table(
        f"XML-DSig, {len(data) / 1000:.0f} KB package (ms)",
        ["operation", "key", "min ms", "median ms", "p90 ms"],
        [
            [r["operation"], r["key"], r["min_ms"], r["median_ms"], r["p90_ms"]]
            for r in out["small"]
        ],
    )
    if args.big_mb:
        print_table(
            "Big package: peak resident memory growth, one fresh process per operation",
            ["operation", "package MB", "s", "peak growth MiB", "× package"],
            [
                [
                    r["operation"],
                    r["package_mb"],
                    r["seconds"],
                    r["peak_growth_mib"],
                    r["times_package"],
                ]
                for r in out["big"]
            ],
        )


if __name__ == "__main__":
    main()
