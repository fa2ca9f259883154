"""Where an accepted package's CPU goes inside the hub, measured part by part in-process.

    .venv/bin/python bench/hub_parts.py [--packages 300] [--json]

``bench/hub_load.py`` measures the hub as servers under load; this script takes the same
signed ~405 KB packages (a one-page PDF padded to 300 KB, one sender, one recipient) and
times, with ``time.process_time()`` (CPU of this process, all threads), each step of an
intake on its own, then the whole ``IntakeService.send`` without HTTP, on a throw-away
PostgreSQL database (server from ``LIENTHONG_BENCH_PG_URL``, default the local
``postgres``). Baseline in the same run: ``hashlib.sha256`` over the same bytes, the
floor of anything that reads a package once.

Steps: SHA-256 of the body; ``read_package`` (lazy attachments) + ``validate_package``;
the signature check (``SignatureChecker.check``, chain result cached as in the hub);
request authentication (``SystemService.authenticate_system``: secrets, HMAC, nonce);
``FileBlobStore.put`` given the key; then ``IntakeService.send`` whole.

CPU times move with whatever else the VM's host runs (±15 % between identical runs were
seen). So the script also counts, over ``--counted`` more sends under ``cProfile``, what
does not move: Python function calls per ``IntakeService.send``, the statements it sends
to PostgreSQL (psycopg ``execute``/``executemany``) and the driver's waits on the server
(``Connection.wait``: one per statement, commit and pipeline step — a round trip each,
except inside a pipeline, where several waits share one).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from _common import machine, print_table
from _hub_world import (
    _settings_overrides,
    agency_identity,
    build_world,
    receiver_code,
    sender_code,
    signed_package,
    temporary_database,
)

WARMUP = 20
PATH = "/api/v1/packages"


def cpu_ms(work: Callable[[bytes], object], packages: Sequence[bytes]) -> float:
    """CPU milliseconds per package of ``work`` over ``packages``."""
    started = time.process_time()
    for data in packages:
        work(data)
    return 1000 * (time.process_time() - started) / len(packages)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--counted", type=int, default=50, help="sends counted (cProfile)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from lienthong.bootstrap import build_hub_container
    from lienthong.clock import SystemClock
    from lienthong.edxml.reader import read_package
    from lienthong.edxml.validate import validate_package
    from lienthong.hub.auth import sign_headers
    from lienthong.settings import load_settings
    from lienthong.storage import FileBlobStore

    with tempfile.TemporaryDirectory() as tmp, temporary_database() as url:
        world = build_world(Path(tmp), url, 1, "fs")
        settings = load_settings(**_settings_overrides(world.env))
        identity = agency_identity(world.pki_dir, sender_code(0))
        total = args.packages + WARMUP
        made = [
            signed_package(identity, sender_code(0), [receiver_code(0)], n + 1, f"parts{n}")[1]
            for n in range(total + args.counted)
        ]
        warm, packages = made[:WARMUP], made[WARMUP:total]
        counted = made[total:]
        secret = world.secrets["sys-send-0"].encode()
        clock = SystemClock()
        signed = {
            id(p): sign_headers("sys-send-0", secret, "POST", PATH, "", p, clock=clock)
            for p in packages
        }
        with build_hub_container(settings) as container:
            hub = container.hub
            for data in warm:
                hub.intake.send("sys-send-0", data)
            checker = hub.intake._checker()  # the hub's own checker (chain results cached)
            fresh = FileBlobStore(Path(tmp) / "parts-blobs")  # every put writes a file
            limits = hub.intake.limits
            keys = {id(p): hashlib.sha256(p).hexdigest() for p in packages}
            parts = {
                "baseline: sha256 of the bytes": lambda p: hashlib.sha256(p).digest(),
                "read (lazy) + validate": lambda p: validate_package(
                    read_package(p, limits=limits, attachments="lazy")
                ),
                "signature check (chain cached)": lambda p: checker.check(p, None),
                "authenticate the request": lambda p: hub.systems.authenticate_system(
                    signed[id(p)], "POST", PATH, "", keys[id(p)]
                ),
                "blob put (key given)": lambda p: fresh.put(p, sha256=keys[id(p)]),
                "IntakeService.send, whole": lambda p: hub.intake.send(
                    "sys-send-0", p, sha256=keys[id(p)]
                ),
            }
            figures = {name: cpu_ms(work, packages) for name, work in parts.items()}
            counts = send_counts(lambda p: hub.intake.send("sys-send-0", p), counted)

    if args.json:
        json.dump(
            {"machine": machine(), "cpu_ms_per_package": figures, "per_send": counts},
            sys.stdout,
            indent=1,
        )
        print()
        return 0
    baseline = figures["baseline: sha256 of the bytes"]
    print_table(
        f"Hub intake, CPU ms per ~{len(packages[0]) // 1000} KB package ({len(packages)} packages)",
        ["part", "CPU ms", "× sha256"],
        [[name, round(ms, 2), round(ms / baseline, 1)] for name, ms in figures.items()],
    )
    print_table(
        f"IntakeService.send, counted over {args.counted} sends (cProfile)",
        ["per send", "count"],
        [[name, round(n, 1)] for name, n in counts.items()],
    )
    return 0


#: psycopg's calls counted per send: (module path ending, function) → figure name.
_DRIVER_CALLS = {
    ("psycopg/cursor.py", "execute"): "statements",
    ("psycopg/cursor.py", "executemany"): "statements",
    ("psycopg/connection.py", "wait"): "driver waits",
}


def send_counts(send: Callable[[bytes], object], packages: Sequence[bytes]) -> dict[str, float]:
    """Per send of ``packages``: Python function calls, statements, driver waits."""
    profile = cProfile.Profile()
    profile.enable()
    for data in packages:
        send(data)
    profile.disable()
    stats = pstats.Stats(profile)
    counts = {
        "Python function calls": float(stats.total_calls),  # type: ignore[attr-defined]
        "statements": 0.0,
        "driver waits": 0.0,
    }
    for (path, _line, name), (_prim, calls, *_rest) in stats.stats.items():  # type: ignore[attr-defined]
        for (ending, function), figure in _DRIVER_CALLS.items():
            if name == function and path.endswith(ending):
                counts[figure] += calls
    return {name: n / len(packages) for name, n in counts.items()}


if __name__ == "__main__":
    raise SystemExit(main())
