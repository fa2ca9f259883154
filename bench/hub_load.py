"""Load on the exchange hub: senders and receivers over HTTP against real server processes.

    .venv/bin/python bench/hub_load.py [--clients 4] [--packages 2000] [--duration 15]
        [--workers 2] [--rate 100] [--paced-seconds 10] [--broadcasts 20]
        [--baseline-seconds 10] [--blob-store fs] [--blob-io direct|buffered]
        [--client lean|hubclient] [--cpu-affinity on|off] [--json]

Everything is made at run time: a PostgreSQL database with a random name (dropped at the
end; server from ``LIENTHONG_BENCH_PG_URL``, default the local ``postgres``), migrated; a
demo PKI; ``--clients`` sender agencies and as many receiver agencies, one system each,
plus one agency broadcasting to 63 others. Each sender process builds and signs its
packages before the clock starts: a document with a one-page PDF padded with random bytes
to 300 KB (~405 KB of edXML), a unique DocumentId, to its receiver. The hub runs as
``lienthong hub serve --workers N`` (real processes, port chosen free).

``--clients`` sender and as many receiver *processes* use a lean socket client
(``_lean_client``: the same signed requests for a fraction of ``HubClient``'s CPU, which
would otherwise be taken from the hub on these shared cores; ``--client hubclient`` runs
the real ``HubClient``); a receiver
long-polls ``receive`` (up to 10), then fetches each delivery and acknowledges it
``done``. Phases:

1. warm-up: 5 packages per sender, delivered;
2. intake only: receivers paused, each sender sends ``--packages / --clients`` back to
   back (at most ``--duration`` s): ``accepted/s`` over the senders' window — what the
   goals "≥ 250/s" and "≥ 0.5 × baseline" are judged on;
3. delivery only: receivers resume and take that backlog: ``delivered/s``;
4. mixed: as many packages again, sent while the receivers run: accepted/s, delivered/s
   (first send to last acknowledgement), send→available latency (from the start of a
   ``send`` to the return of the ``receive`` that handed it out);
5. paced: ``--rate`` packages/s in all for ``--paced-seconds`` (scheduled, open loop:
   latency counts from the scheduled time, so a late send is not hidden); goal p99 of
   send→available < 50 ms;
6. broadcast: ``--broadcasts`` packages to 63 recipients, one at a time, each ``send``
   timed by the client; then the database is checked: one package row, 63 deliveries,
   one blob per package;
7. baseline: the same package bytes inserted raw into a ``bytea`` table by 8 concurrent
   psycopg connections, one commit per row, for ``--baseline-seconds``.

The hub's memory is the sum of ``VmRSS`` of its processes (supervisor and workers; pages
they share — libraries — count once per process, so this overstates), sampled every
0.2 s, the peak over the run; ``PSS`` alongside. The clients run on the same cores as
the hub and PostgreSQL: the CPU each side used per phase (``/proc``) is printed with the
figures, "other" being the rest of the machine's busy time (other users included).

``--blob-io``: the file blob store past the page cache (``direct``, the hub's default) or
through it (``buffered``). Runs right after one another are not alike: each run ends by
deleting its ~5,000 blob files, and on a file system without a journal (the reference
VM's ext4) the kernel then skips the inodes freed in the last minutes whenever it makes a
file, which cost up to ~1 ms more per package in the next run. To compare runs, drop the
caches before each (as root: ``sync; echo 3 > /proc/sys/vm/drop_caches``), which is how
the figures in docs/performance.md since "Blob files past the page cache" were made.

``--cpu-affinity``: ``on`` (``hub serve``'s default with several workers) keeps each hub
worker on a CPU of its own (``lienthong.hub.affinity``); ``off`` lets the kernel move
them, as before.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine
from _hub_clients import RunPhase, SendRecord
from _hub_phases import (
    Clients,
    CpuMeter,
    baseline,
    broadcast,
    drain_figures,
    pct,
    send_figures,
    stored_once,
)
from _hub_report import goals, report
from _hub_world import (
    BROADCAST_SENDER,
    HubServer,
    agency_identity,
    broadcast_code,
    build_world,
    signed_package,
    temporary_database,
)

WARMUP_PER_SENDER = 5


def _unpaced(phase: str, limit: float) -> Any:
    t0 = time.monotonic() + 0.05

    def plan(_i: int) -> RunPhase:
        return RunPhase(phase, t0, t0 + limit)

    return plan


def _paced(rate: float, seconds: float, senders: int) -> Any:
    t0 = time.monotonic() + 0.1
    gap = senders / rate

    def plan(i: int) -> RunPhase:
        return RunPhase("paced", t0 + i * gap / senders, t0 + seconds, gap)

    return plan


def _ok(records: list[SendRecord]) -> int:
    return sum(1 for r in records if not r[3])


def run_phases(args: argparse.Namespace, clients: Clients, meter: CpuMeter) -> dict[str, Any]:
    """Phases 1–5; the send records and CPU of each."""
    records: dict[str, list[SendRecord]] = {}
    cpu: dict[str, Any] = {}
    sent = 0
    records["warm"] = clients.run(_unpaced("warm", 600.0))
    sent += _ok(records["warm"])
    clients.wait_delivered(sent)

    clients.pause_receivers()
    before = meter.snapshot()
    records["intake"] = clients.run(_unpaced("intake", args.duration))
    cpu["intake"] = meter.split(before, _ok(records["intake"]))
    sent += _ok(records["intake"])

    before = meter.snapshot()
    drain_start = time.monotonic()
    clients.resume_receivers()
    clients.wait_delivered(sent)
    cpu["drain"] = meter.split(before, _ok(records["intake"]))

    for phase in ("mixed", "paced"):
        before = meter.snapshot()
        plan = (
            _unpaced(phase, args.duration)
            if phase == "mixed"
            else _paced(args.rate, args.paced_seconds, args.clients)
        )
        records[phase] = clients.run(plan)
        sent += _ok(records[phase])
        clients.wait_delivered(sent)
        cpu[phase] = meter.split(before, _ok(records[phase]))
    return {"records": records, "cpu": cpu, "drain_start": drain_start}


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = args.clients
    per_sender = max(1, args.packages // n)
    counts = {
        "warm": WARMUP_PER_SENDER,
        "intake": per_sender,
        "mixed": per_sender,
        "paced": math.ceil(args.rate * args.paced_seconds / n) + 1,
    }
    out: dict[str, Any] = {"machine": machine(), "options": vars(args)}
    with (
        tempfile.TemporaryDirectory(prefix="lienthong-hub-bench-") as tmp,
        temporary_database() as url,
    ):
        root = Path(tmp)
        world = build_world(root, url, n, args.blob_store, args.blob_io)
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        identity = agency_identity(world.pki_dir, BROADCAST_SENDER)
        wide = [broadcast_code(i) for i in range(63)]
        casts = [
            signed_package(identity, BROADCAST_SENDER, wide, k + 1, "B")
            for k in range(args.broadcasts + 2)
        ]
        pool = [
            signed_package(identity, BROADCAST_SENDER, [wide[0]], 90_000 + k, "R")[1]
            for k in range(16)
        ]
        out["package_bytes"] = len(pool[0])
        server = HubServer(
            world, args.workers, root / "hub.log", cpu_affinity=args.cpu_affinity == "on"
        )
        clients = None
        try:
            server.wait_ready()
            clients = Clients(world, server.url, counts, args.client)
            clients.start()
            meter = CpuMeter(server, clients, conninfo, url.database or "")
            done = run_phases(args, clients, meter)
            times = broadcast(server.url, world.secrets["sys-broadcast"], casts)[2:]
            seen, receive_errors = clients.finish()
            meter.close()
        finally:
            if clients is not None:
                clients.kill()
            server.stop()
        records = done["records"]
        out["phases"] = {
            "intake": send_figures(records["intake"], {}),
            "drain": drain_figures(records["intake"], seen, done["drain_start"]),
            "mixed": send_figures(records["mixed"], seen),
            "paced": send_figures(records["paced"], seen),
        }
        out["cpu"] = done["cpu"]
        out["receive_errors"] = receive_errors
        out["broadcast"] = {
            "ms_p50": pct(times, 50),
            "ms_max": max(times),
            "samples": len(times),
            **stored_once(conninfo, world, [d for d, _ in casts]),
        }
        out["hub_memory"] = {
            "workers": args.workers,
            "processes": len(server.peak_by_process),
            "peak_rss_mib": server.peak_rss_kib / 1024,
            "peak_pss_mib": server.peak_pss_kib / 1024,
            "peak_rss_mib_by_process": sorted(v / 1024 for v in server.peak_by_process.values()),
        }
        out["baseline"] = baseline(conninfo, pool, args.baseline_seconds)
    out["goals_met"] = goals(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--clients", type=int, default=4, help="sender processes (and as many receivers)"
    )
    parser.add_argument("--packages", type=int, default=2000, help="packages in each load phase")
    parser.add_argument("--duration", type=float, default=15.0, help="cap on each load phase (s)")
    parser.add_argument("--workers", type=int, default=2, help="hub worker processes")
    parser.add_argument("--rate", type=float, default=100.0, help="packages/s of the paced phase")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--blob-store", choices=["fs", "db"], default="fs")
    parser.add_argument(
        "--blob-io",
        choices=["direct", "buffered"],
        default="direct",
        help="the file store's I/O: past the page cache (the default) or through it",
    )
    parser.add_argument(
        "--client",
        choices=["lean", "hubclient"],
        default="lean",
        help="load generator: a lean socket client (default) or the real HubClient",
    )
    parser.add_argument(
        "--cpu-affinity",
        choices=["on", "off"],
        default="on",
        help="each hub worker on a CPU of its own (the default of `hub serve`) or anywhere",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    out = run(args)
    if args.json:
        json.dump(out, sys.stdout, indent=2, default=str)
        print()
    else:
        report(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
