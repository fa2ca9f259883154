"""The floor of the hub's intake on this machine: the least any hub does per package.

    .venv/bin/python bench/hub_floor.py [--clients 4] [--packages 2000] [--workers 2] [--json]

``bench/hub_load.py`` measures the hub; this script measures, with the same load
generator (``_lean_client``: 4 sender processes, one keep-alive connection each, requests
signed by ``lienthong.hub.auth``) and ~405 KB bodies, a server that does only what no
hub can skip (``_hub_floor_app``): uvicorn with ``--workers`` processes, the HMAC check,
the body read and SHA-256, the bytes stored with ``FileBlobStore`` (fsynced, renamed), one
PostgreSQL commit of a package row and the nonce — no XML, no package signature, no
routing, no audit. The rate it reaches is the ceiling of any Python hub of this design on
this machine with these clients; the hub's own checks are what separates the two.

Baseline in the same run: SHA-256 of the bodies in this process (the floor of reading a
package once). Everything runs on throw-away resources: a PostgreSQL database with a
random name (``LIENTHONG_BENCH_PG_URL``, default the local ``postgres``), dropped at the
end, and a temporary blob directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from _common import machine, print_table
from _hub_world import (
    HOST,
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    process_tree,
    temporary_database,
)

BODY_BYTES = 404_728  # a signed package of bench/hub_load.py


def _sender(url: str, secret: str, count: int, queues: tuple[Any, Any, Any]) -> None:
    """Send ``count`` random bodies once told to go (``queues``: ready, go, results)."""
    from _lean_client import LeanClient

    ready, go, results = queues
    bodies = [os.urandom(BODY_BYTES) for _ in range(count)]
    with LeanClient(url, "floor", secret) as client:
        client.send(bodies[0])  # warm: the connection is open
        ready.put(os.getpid())
        go.wait()
        started = time.monotonic()
        for body in bodies[1:]:
            client.send(body)
        results.put((started, time.monotonic(), count - 1))


def run(args: argparse.Namespace) -> dict[str, Any]:
    secret = secrets.token_urlsafe(32)
    per_sender = max(2, args.packages // args.clients + 1)
    with (
        tempfile.TemporaryDirectory(prefix="lienthong-hub-floor-") as tmp,
        temporary_database() as url,
    ):
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE floor_packages (id text PRIMARY KEY, sha256 text NOT NULL,"
                " size bigint NOT NULL, received_at timestamptz NOT NULL)"
            )
            conn.execute("CREATE TABLE floor_nonces (nonce text PRIMARY KEY)")
        port = free_port()
        env = dict(os.environ)
        env.update(
            FLOOR_DSN=dsn,
            FLOOR_BLOBS=str(Path(tmp) / "blobs"),
            FLOOR_SECRET=secret,
            PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")]),
        )
        command = [sys.executable, "-m", "uvicorn", "_hub_floor_app:app", "--host", HOST]
        command += ["--port", str(port), "--workers", str(args.workers)]
        command += ["--log-level", "warning", "--no-access-log"]
        server = subprocess.Popen(command, env=env)
        base = f"http://{HOST}:{port}"
        try:
            _wait_up(base)
            ctx = mp.get_context("spawn")
            ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
            senders = [
                ctx.Process(target=_sender, args=(base, secret, per_sender, (ready, go, results)))
                for _ in range(args.clients)
            ]
            for process in senders:
                process.start()
            pids = [ready.get(timeout=300) for _ in senders]
            servers = process_tree(server.pid)
            before = (cpu_seconds(servers), cpu_seconds(pids), machine_busy_seconds())
            go.set()
            done = [results.get(timeout=600) for _ in senders]
            after = (cpu_seconds(servers), cpu_seconds(pids), machine_busy_seconds())
            for process in senders:
                process.join(timeout=30)
        finally:
            server.terminate()
            server.wait(timeout=30)
        with psycopg.connect(dsn) as conn:
            stored = conn.execute("SELECT count(*) FROM floor_packages").fetchone()
    took = max(d[1] for d in done) - min(d[0] for d in done)
    accepted = sum(d[2] for d in done)
    per = 1000 / accepted
    bodies = [os.urandom(BODY_BYTES) for _ in range(50)]
    started = time.process_time()
    for body in bodies:
        hashlib.sha256(body).digest()
    sha_ms = 1000 * (time.process_time() - started) / len(bodies)
    return {
        "machine": machine(),
        "options": vars(args),
        "body_bytes": BODY_BYTES,
        "accepted": accepted,
        "stored": int(stored[0]) if stored else 0,
        "accepted_per_s": accepted / took,
        "server_ms_per_package": (after[0] - before[0]) * per,
        "senders_ms_per_package": (after[1] - before[1]) * per,
        "machine_ms_per_package": (after[2] - before[2]) * per,
        "machine_busy_cores": (after[2] - before[2]) / took,
        "baseline_sha256_ms": sha_ms,
    }


def _wait_up(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise SystemExit("the floor server did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="sender processes")
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    out = run(args)
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print_table(
        f"Hub floor: {out['accepted']} bodies of {BODY_BYTES // 1000} KB, "
        f"{args.clients} senders, {args.workers} workers",
        ["figure", "value"],
        [
            ["accepted/s", round(out["accepted_per_s"], 1)],
            ["server CPU ms / package", round(out["server_ms_per_package"], 2)],
            ["senders CPU ms / package", round(out["senders_ms_per_package"], 2)],
            ["machine CPU ms / package (all processes)", round(out["machine_ms_per_package"], 2)],
            ["machine busy cores", round(out["machine_busy_cores"], 2)],
            ["rows stored (each accepted body once, plus warm-up)", out["stored"]],
            ["baseline: SHA-256 of one body, CPU ms", round(out["baseline_sha256_ms"], 3)],
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
