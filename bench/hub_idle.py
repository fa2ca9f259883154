"""What idle long-polls cost the hub and PostgreSQL: systems waiting on empty inboxes.

    .venv/bin/python bench/hub_idle.py [--polls 100] [--wait 30] [--seconds 20] [--json]

A national hub has thousands of connected systems, and most of the time most of them are
waiting on ``POST /inbox/receive?wait=…`` with nothing to receive. This script runs the
hub in this process (uvicorn, one worker, the same app as ``lienthong hub serve``: the
container, its ``PgListener``, its request log written to a file) on a throw-away
PostgreSQL database (server from ``LIENTHONG_BENCH_PG_URL``, default the local
``postgres``). One client process holds ``--polls`` long-polls open, each on its own
keep-alive connection (the bench's lean client), asking again as soon as one ends empty.

Two phases of ``--seconds`` each, same clients, same inboxes:

1. **listening**: the hub's listener hears every node (``Notifier.hears_all``), so a
   long-poll sleeps until woken, until a lease of its inboxes runs out, or
   ``idle_recheck_s``;
2. **baseline: re-check every poll interval**: the listener stopped, so every long-poll
   claims again every ``poll_interval_s`` (1 s) — what each idle long-poll cost before
   2026-12-08, and still costs on SQLite.

Printed per phase: transactions per second in the bench database (committed or rolled
back, ``pg_stat_database``), the hub's CPU (this process) and PostgreSQL's (the database's
backends) in ms per second, and the long-polls answered per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg

from _common import machine, print_table
from _hub_world import (
    PgCpu,
    World,
    build_world,
    hub_in_process,
    receiver_code,
    temporary_database,
)


def client_main(url: str, secret: str, polls: int, wait: int, pipe: Connection) -> None:
    """Hold ``polls`` long-polls open as ``sys-recv-0`` until told to stop; count answers."""
    from _lean_client import LeanClient

    stop = threading.Event()
    answered = [0] * polls

    def poll(k: int) -> None:
        with LeanClient(url, "sys-recv-0", secret, timeout=wait + 30) as client:
            while not stop.is_set():
                client.receive(max=10, wait=wait, visibility=60)
                answered[k] += 1

    threads = [threading.Thread(target=poll, args=(k,), daemon=True) for k in range(polls)]
    for thread in threads:
        thread.start()
    while (message := pipe.recv()) is not None:
        assert message == "count"
        pipe.send(sum(answered))
    stop.set()


class Meter:
    """Transactions (committed or rolled back: a claim that finds nothing records no
    nonce and rolls back), hub CPU (this process) and PostgreSQL's CPU
    (:class:`_hub_world.PgCpu`)."""

    def __init__(self, conninfo: str, database: str) -> None:
        self._db = psycopg.connect(conninfo, autocommit=True)
        self._database = database
        self.pg = PgCpu(conninfo, database)

    def read(self) -> tuple[float, int, float, dict[int, float]]:
        row = self._db.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (self._database,),
        ).fetchone()
        self._db.execute("SELECT pg_stat_clear_snapshot()")
        transactions = int(row[0]) if row else 0
        return time.monotonic(), transactions, time.process_time(), self.pg.read()

    def close(self) -> None:
        self.pg.close()
        self._db.close()


def measure(meter: Meter, pipe: Connection, seconds: float) -> dict[str, float]:
    time.sleep(2.0)  # let every long-poll reach its wait
    pipe.send("count")
    answered0 = pipe.recv()
    t0, transactions0, hub0, pg0 = meter.read()
    time.sleep(seconds)
    t1, transactions1, hub1, pg1 = meter.read()
    pipe.send("count")
    answered1 = pipe.recv()
    span = t1 - t0
    return {
        "transactions_per_s": (transactions1 - transactions0) / span,
        "hub_cpu_ms_per_s": 1000 * (hub1 - hub0) / span,
        "postgres_cpu_ms_per_s": 1000 * PgCpu.used(pg0, pg1) / span,
        "answered_per_s": (answered1 - answered0) / span,
    }


def run_phases(
    app: Any, port: int, world: World, *, conninfo: str, database: str, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Both phases, with the long-polls of one client process held open throughout."""
    hub = app.state.hub
    ours, theirs = mp.Pipe()
    client = mp.get_context("spawn").Process(
        target=client_main,
        args=(
            f"http://127.0.0.1:{port}",
            world.secrets["sys-recv-0"],
            args.polls,
            args.wait,
            theirs,
        ),
    )
    client.start()
    meter = Meter(conninfo, database)
    try:
        phases = {"listening": measure(meter, ours, args.seconds)}
        app.state.listener.stop()  # every long-poll now re-checks each poll interval
        assert not hub.notifier.hears_all
        phases["baseline: re-check every poll interval"] = measure(meter, ours, args.seconds)
    finally:
        ours.send(None)
        client.join(args.wait + 30)
        if client.is_alive():
            client.terminate()
        meter.close()
    return phases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=100, help="long-polls held open")
    parser.add_argument("--wait", type=int, default=30, help="each long-poll's wait= (s)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    from lienthong.hub.app import app_from_environment

    with tempfile.TemporaryDirectory() as tmp, temporary_database() as url:
        world = build_world(Path(tmp), url, 1, "fs")
        os.environ.update(world.env)
        app = app_from_environment()
        hub = app.state.hub
        with hub_in_process(app, Path(tmp) / "hub.log") as port:
            while not hub.notifier.hears_all:
                time.sleep(0.05)
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            phases = run_phases(
                app, port, world, conninfo=conninfo, database=url.database or "", args=args
            )

    out: dict[str, Any] = {
        "machine": machine(),
        "polls": args.polls,
        "wait_s": args.wait,
        "inbox": receiver_code(0),
        "poll_interval_s": hub.config.poll_interval_s,
        "idle_recheck_s": hub.config.idle_recheck_s,
        "phases": phases,
    }
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print_table(
        f"{args.polls} idle long-polls (wait={args.wait} s), {args.seconds:.0f} s per phase",
        ["phase", "transactions/s", "hub CPU ms/s", "PostgreSQL CPU ms/s", "answered/s"],
        [
            [
                name,
                round(f["transactions_per_s"], 1),
                round(f["hub_cpu_ms_per_s"], 1),
                round(f["postgres_cpu_ms_per_s"], 1),
                round(f["answered_per_s"], 2),
            ]
            for name, f in phases.items()
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
