"""Cost of the signatures: PAdES per one-page PDF, XML-DSig per ~370 KB package.

    .venv/bin/python bench/signing.py [--iterations 50] [--json]

Everything is built at run time in a temporary directory: a demo PKI per key type
(``lienthong.pki.testing.demo_pki``: EC P-256 and RSA-2048), a one-page Vietnamese
decision (``lienthong.pdfsign.sample.decision_pdf``) and a ~370 KB edXML package with a
~277 KB random attachment. Keys are loaded once (one ``PdfSigner`` per identity), not per
document. Each operation is warmed up, then timed ``--iterations`` times alone
(``time.perf_counter``); the table gives the median and the 90th percentile.

Operations (PAdES at level B-B: no timestamp authority is involved):

- PAdES sign as the agency: the red seal with the agency name and signing time (the
  visible stamp), on the unsigned decision; goal ≤ 40 ms with P-256;
- PAdES sign as the competent person (signature image), for comparison;
- PAdES validate the agency-signed decision (``validate_pdf``: CMS, chain to the demo
  root, CRLs of the trust store, modification analysis); goal ≤ 20 ms with P-256;
- XML-DSig ``sign_package`` and ``verify_package`` (chain, CRLs and agency rule
  included) of the package; goal: verify ≤ 8 ms.

The baseline, measured in the same run with the same keys: raw ``cryptography`` ECDSA
P-256 / RSA-2048 PKCS#1 v1.5, SHA-256 signatures of a 600-byte message (about one
canonical SignedInfo), as operations per second and milliseconds per operation.
``bench/xmldsig.py`` adds lxml / bare signxml baselines and memory of large packages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from _common import H41, Timing, edxml_package, machine, measure, print_table, rate
from lienthong.clock import VN_TZ
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.pdfsign.sample import decision_pdf
from lienthong.pdfsign.signer import PdfSigner
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import SigningIdentity
from lienthong.pki.profiles import KeyType
from lienthong.pki.testing import demo_pki

KEYS: dict[KeyType, str] = {"ec": "P-256", "rsa": "RSA-2048"}
#: Goals of the issue, in ms: (operation, key) → goal.
GOALS: dict[tuple[str, str], float] = {
    ("PAdES sign as agency (seal + text)", "P-256"): 40.0,
    ("PAdES validate", "P-256"): 20.0,
    ("XML-DSig verify_package", "P-256"): 8.0,
    ("XML-DSig verify_package", "RSA-2048"): 8.0,
}


def _pades(pki: DemoPki, key: str, iterations: int, warmup: int) -> dict[str, Timing]:
    pdf = decision_pdf()
    agency = PdfSigner(pki.agency(H41), level="B-B")
    person = PdfSigner(pki.signer(H41), level="B-B")
    signed = agency.sign_as_agency(pdf)
    report = validate_pdf(signed, pki.trust_store)
    if report.verdict.value != "valid":
        raise SystemExit(f"{key}: the signed PDF does not validate: {report.to_dict()}")
    return {
        "PAdES sign as agency (seal + text)": measure(
            lambda: agency.sign_as_agency(pdf), iterations, warmup=warmup
        ),
        "PAdES sign as signer (image)": measure(
            lambda: person.sign_as_signer(pdf, title="Chủ tịch"), iterations, warmup=warmup
        ),
        "PAdES validate": measure(
            lambda: validate_pdf(signed, pki.trust_store), iterations, warmup=warmup
        ),
    }


def _xmldsig(
    pki: DemoPki, key: str, package: bytes, iterations: int, warmup: int
) -> dict[str, Timing]:
    identity = pki.agency(H41)
    signed = sign_package(package, identity)
    if not verify_package(signed, pki.trust_store).valid:
        raise SystemExit(f"{key}: the signed package does not verify")
    return {
        "XML-DSig sign_package": measure(
            lambda: sign_package(package, identity), iterations, warmup=warmup
        ),
        "XML-DSig verify_package": measure(
            lambda: verify_package(signed, pki.trust_store), iterations, warmup=warmup
        ),
    }


def _baseline(identity: SigningIdentity, key: str, count: int) -> list[dict[str, Any]]:
    message = os.urandom(600)
    private = identity.private_key
    public = identity.certificate.public_key()
    sign: Callable[[], bytes]
    verify: Callable[[], None]
    if isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(
        public, ec.EllipticCurvePublicKey
    ):
        algorithm = ec.ECDSA(hashes.SHA256())
        signature = private.sign(message, algorithm)

        def sign() -> bytes:
            return private.sign(message, algorithm)

        def verify() -> None:
            public.verify(signature, message, algorithm)

    elif isinstance(private, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey):
        pad, digest = padding.PKCS1v15(), hashes.SHA256()
        signature = private.sign(message, pad, digest)

        def sign() -> bytes:
            return private.sign(message, pad, digest)

        def verify() -> None:
            public.verify(signature, message, pad, digest)

    else:
        raise SystemExit(f"unexpected key type for {key}")
    rows = []
    for operation, fn in (("sign", sign), ("verify", verify)):
        per_second, ms = rate(fn, count)
        rows.append(
            {"operation": f"raw {operation}", "key": key, "ops_per_s": per_second, "ms_per_op": ms}
        )
    return rows


def run(iterations: int) -> dict[str, Any]:
    warmup = max(3, iterations // 10)
    package = edxml_package()
    results: list[dict[str, Any]] = []
    baseline: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for key_type, key in KEYS.items():
            pki = demo_pki(Path(tmp) / key_type, key_type=key_type)
            timings = _pades(pki, key, iterations, warmup)
            timings |= _xmldsig(pki, key, package, iterations, warmup)
            for operation, timing in timings.items():
                goal = GOALS.get((operation, key))
                results.append(
                    {
                        "operation": operation,
                        "key": key,
                        "median_ms": timing.median,
                        "p90_ms": timing.p90,
                        "goal_ms": goal,
                        "met": None if goal is None else timing.median <= goal,
                    }
                )
            baseline += _baseline(pki.agency(H41), key, count=max(200, 20 * iterations))
    return {
        "date": datetime.now(VN_TZ).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "iterations": iterations,
        "package_bytes": len(package),
        "results": results,
        "baseline": baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=50, help="timed runs per operation")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    out = run(args.iterations)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    info = out["machine"]
    print(
        f"{out['date']} — {info['nproc']} cores, {info['cpu']}, {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}; package {out['package_bytes'] / 1000:.0f} KB; "
        f"{out['iterations']} timed runs per operation"
    )
    print_table(
        "Signatures (ms per document)",
        ["operation", "key", "median ms", "p90 ms", "goal", "met?"],
        [
            [
                r["operation"],
                r["key"],
                r["median_ms"],
                r["p90_ms"],
                None if r["goal_ms"] is None else f"≤ {r['goal_ms']:g} ms",
                r["met"],
            ]
            for r in out["results"]
        ],
        caption="met? compares the median with the goal",
    )
    print_table(
        "Baseline: raw cryptography, same run, same keys (600-byte message, SHA-256)",
        ["operation", "key", "ops/s", "ms/op"],
        [[b["operation"], b["key"], b["ops_per_s"], b["ms_per_op"]] for b in out["baseline"]],
    )


if __name__ == "__main__":
    main()
