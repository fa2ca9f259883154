"""How fast ``lienthong hub audit verify`` checks a long audit log, and in what memory.

    .venv/bin/python bench/audit_verify.py [--entries 200000] [--json]

On a throw-away PostgreSQL database (server from ``LIENTHONG_BENCH_PG_URL``, default the
local ``postgres``), migrated, ``--entries`` audit entries shaped like the hub's intake
entries are appended through ``AuditLog.append`` (in commits of 1,000, with the hub's
checkpoints every 1,000 entries, signed by a demo hub key). Then, timed:

- ``AuditService.verify``: the hub's verification, entries streamed by number;
- baseline in the same run: every row read raw by one psycopg cursor (``SELECT *`` in
  number order) and SHA-256 taken over its ``data`` text, the floor of anything that
  reads the whole log and hashes it once.

Printed: entries/s of each, the ratio, and the growth of this process's peak RSS during
the verification (``ru_maxrss``: a verification that kept every entry would grow with
the log; a streamed one does not).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from _common import machine, print_table
from _hub_world import temporary_database
from lienthong.pki.model import CertificateKind, SigningIdentity

BATCH = 1000


def hub_identity() -> SigningIdentity:
    """A throw-away EC key and self-signed certificate to sign the checkpoints."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench hub")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity("bench hub", CertificateKind.SYSTEM, key, certificate)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    import psycopg
    from rich.progress import Progress
    from sqlalchemy import create_engine

    from lienthong.clock import SystemClock
    from lienthong.db import migrate
    from lienthong.db.uow import uow_factory
    from lienthong.hub.audit import AuditLog, AuditService

    with temporary_database() as url:
        engine = create_engine(url)
        migrate.upgrade(engine)
        hub_key = hub_identity()
        log = AuditLog(lambda: hub_key, checkpoint_every=BATCH)
        make_uow = uow_factory(engine)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        with Progress(transient=True) as bar:
            task = bar.add_task("appending audit entries", total=args.entries)
            for first in range(0, args.entries, BATCH):
                with make_uow() as uow:
                    entries = [
                        (
                            "intake",
                            f"sys-{n % 40}",
                            f"pkg-{n:012d}",
                            {
                                "kind": "document",
                                "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
                                "size": 404_724,
                                "sender": "000.00.00.G22",
                                "document_id": f"000.00.00.G22,2026/01/01,{n}",
                                "deliveries": [[f"dlv-{n:012d}", "000.00.00.H41"]],
                            },
                        )
                        for n in range(first, min(first + BATCH, args.entries))
                    ]
                    log.append(uow, entries, start + timedelta(seconds=first))
                    uow.commit()
                bar.update(task, advance=len(entries))
        service = AuditService(make_uow, log, SystemClock())

        before = peak_rss_mib()
        started = time.perf_counter()
        report = service.verify()
        verify_s = time.perf_counter() - started
        grown = peak_rss_mib() - before
        if not report.ok or report.entries != args.entries:
            raise SystemExit(f"the verification failed: {report.problems[:3]}")

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        started = time.perf_counter()
        rows = 0
        with psycopg.connect(dsn) as conn, conn.cursor(name="raw") as cursor:
            cursor.itersize = BATCH
            cursor.execute("SELECT * FROM hub_audit ORDER BY seq")
            for row in cursor:
                hashlib.sha256(row[5].encode()).digest()
                rows += 1
        baseline_s = time.perf_counter() - started
        engine.dispose()

    figures = {
        "entries": args.entries,
        "checkpoints": report.checkpoints,
        "verify_entries_per_s": args.entries / verify_s,
        "verify_s": verify_s,
        "baseline_rows_per_s": rows / baseline_s,
        "verify_vs_baseline": (args.entries / verify_s) / (rows / baseline_s),
        "peak_rss_growth_mib": grown,
    }
    if args.json:
        json.dump({"machine": machine(), **figures}, sys.stdout, indent=1)
        print()
        return 0
    print_table(
        f"Audit log verification, {args.entries:,} entries on PostgreSQL",
        ["figure", "value"],
        [
            ["verify: entries/s", round(figures["verify_entries_per_s"])],
            ["verify: seconds", round(verify_s, 2)],
            ["checkpoints checked", report.checkpoints],
            ["baseline: raw rows read + sha256/s", round(figures["baseline_rows_per_s"])],
            ["verify ÷ baseline", round(figures["verify_vs_baseline"], 2)],
            ["peak RSS growth during verify, MiB", round(grown, 1)],
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
