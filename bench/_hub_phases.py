"""The moving parts of ``bench/hub_load.py``: client processes, CPU accounting, figures
of a phase, the broadcast, the raw-insert baseline.

Not a benchmark itself (``make bench`` runs it and nothing happens).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from _hub_clients import ReceiveRecord, RunPhase, SenderJob, SendRecord, receiver_main, sender_main
from _hub_world import (
    HubServer,
    PgCpu,
    World,
    cpu_seconds,
    machine_busy_seconds,
    receiver_code,
    sender_code,
)
from lienthong.hub.client import HubClient


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class Clients:
    """The sender and receiver processes (``spawn``: no state shared with this one)."""

    def __init__(
        self, world: World, url: str, counts: dict[str, int], client: str = "lean"
    ) -> None:
        ctx = mp.get_context("spawn")
        self.results: Any = ctx.Queue()
        self.stop_event = ctx.Event()
        self.receiving = ctx.Event()
        self.receiving.set()
        self.paused: Any = ctx.Value("i", 0)
        self.delivered: Any = ctx.Value("q", 0)
        self.commands: list[Any] = []
        self.senders: list[Any] = []
        self.receivers: list[Any] = []
        for i in range(world.pairs):
            system = f"sys-send-{i}"
            job = SenderJob(
                i,
                url,
                system,
                world.secrets[system],
                world.pki_dir,
                sender_code(i),
                receiver_code(i),
                counts,
                client,
            )
            queue = ctx.Queue()
            self.commands.append(queue)
            self.senders.append(ctx.Process(target=sender_main, args=(job, queue, self.results)))
            inbox = f"sys-recv-{i}"
            self.receivers.append(
                ctx.Process(
                    target=receiver_main,
                    args=(
                        i,
                        url,
                        inbox,
                        world.secrets[inbox],
                        (self.stop_event, self.receiving, self.paused),
                        self.delivered,
                        self.results,
                        client,
                    ),
                )
            )

    def start(self) -> None:
        """Start every process; return once each sender has built its packages."""
        for process in self.senders + self.receivers:
            process.start()
        for _ in self.senders:
            kind, *_rest = self.results.get(timeout=900)
            assert kind == "ready"

    def pause_receivers(self) -> None:
        """Stop receiving (after the current long poll); return once all are idle."""
        self.receiving.clear()
        while self.paused.value < len(self.receivers):
            time.sleep(0.05)

    def resume_receivers(self) -> None:
        self.receiving.set()
        while self.paused.value > 0:
            time.sleep(0.01)

    def run(self, plan: Callable[[int], RunPhase]) -> list[SendRecord]:
        """Have every sender run ``plan(its index)``; their send records."""
        for i, queue in enumerate(self.commands):
            queue.put(plan(i))
        records: list[SendRecord] = []
        for _ in self.senders:
            kind, _index, _phase, got = self.results.get(timeout=900)
            assert kind == "sent"
            records.extend(got)
        return records

    def wait_delivered(self, target: int, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while self.delivered.value < target and time.monotonic() < deadline:
            time.sleep(0.01)

    def finish(self) -> tuple[dict[str, ReceiveRecord], dict[str, int]]:
        """Stop everything; what the receivers saw (by DocumentId) and their errors."""
        for queue in self.commands:
            queue.put(None)
        self.stop_event.set()
        self.receiving.set()
        seen: dict[str, ReceiveRecord] = {}
        errors: dict[str, int] = {}
        for _ in self.receivers:
            _kind, _index, records, errs = self.results.get(timeout=120)
            seen.update({r[0]: r for r in records})
            for code, n in errs.items():
                errors[code] = errors.get(code, 0) + n
        for process in self.senders + self.receivers:
            process.join(timeout=30)
        return seen, errors

    def kill(self) -> None:
        for process in self.senders + self.receivers:
            if process.is_alive():
                process.terminate()

    def pids(self, which: str) -> list[int]:
        return [p.pid for p in (self.senders if which == "senders" else self.receivers)]


class CpuMeter:
    """CPU seconds used by the hub, the clients, PostgreSQL and the whole machine."""

    def __init__(self, server: HubServer, clients: Clients, conninfo: str, dbname: str) -> None:
        self.server, self.clients = server, clients
        self._pg = PgCpu(conninfo, dbname)

    def snapshot(self) -> dict[str, Any]:
        return {
            "hub": cpu_seconds(self.server.pids()),
            "senders": cpu_seconds(self.clients.pids("senders")),
            "receivers": cpu_seconds(self.clients.pids("receivers")),
            "machine": machine_busy_seconds(),
            "wall": time.monotonic(),
            "_pg": self._pg.read(),
        }

    def split(self, before: dict[str, Any], packages: int) -> dict[str, Any]:
        """CPU used since ``before``, in all and per package; "other" is the rest of the
        machine's busy time (other users of the machine included)."""
        after = self.snapshot()
        used = {k: after[k] - before[k] for k in ("hub", "senders", "receivers", "machine")}
        used["postgres"] = PgCpu.used(before["_pg"], after["_pg"])
        wall = after["wall"] - before["wall"]
        known = sum(v for k, v in used.items() if k != "machine")
        used["other"] = max(0.0, used["machine"] - known)
        per = {f"{k}_ms_per_package": v * 1000 / max(1, packages) for k, v in used.items()}
        return {"wall_s": wall, "cpu_s": used, **per, "machine_busy_cores": used["machine"] / wall}

    def close(self) -> None:
        self._pg.close()


def send_figures(records: list[SendRecord], seen: dict[str, ReceiveRecord]) -> dict[str, Any]:
    """Accepted/s and send times of a phase; delivered/s and send→available latency of
    the packages the receivers got."""
    ok = [r for r in records if not r[3]]
    errors: dict[str, int] = {}
    for r in records:
        if r[3]:
            errors[r[3]] = errors.get(r[3], 0) + 1
    if not ok:
        return {"accepted": 0, "errors": errors}
    start, end = min(r[1] for r in ok), max(r[2] for r in ok)
    got = [(r, seen[r[0]]) for r in ok if r[0] in seen]
    latency = [(s[1] - r[1]) * 1000 for r, s in got]
    send_ms = [(r[2] - r[1]) * 1000 for r in ok]
    last_ack = max((s[2] for _r, s in got), default=end)
    return {
        "accepted": len(ok),
        "errors": errors,
        "accepted_per_s": len(ok) / (end - start),
        "delivered": len(got),
        "delivered_per_s": len(got) / (last_ack - start),
        "send_ms_p50": pct(send_ms, 50),
        "send_ms_p99": pct(send_ms, 99),
        "available_ms_p50": pct(latency, 50),
        "available_ms_p99": pct(latency, 99),
        "available_ms_max": max(latency, default=math.nan),
    }


def drain_figures(
    records: list[SendRecord], seen: dict[str, ReceiveRecord], started: float
) -> dict[str, Any]:
    """Delivered/s of a backlog the receivers took from ``started`` on."""
    got = [seen[r[0]] for r in records if not r[3] and r[0] in seen and seen[r[0]][1] >= started]
    if not got:
        return {"delivered": 0}
    last = max(s[2] for s in got)
    return {"delivered": len(got), "delivered_per_s": len(got) / (last - started)}


def broadcast(url: str, secret: str, packages: list[tuple[str, bytes]]) -> list[float]:
    """Send each package alone; the client-side time of each ``send`` in ms."""
    times = []
    with HubClient(url, "sys-broadcast", secret, timeout=60) as client:
        for _doc, data in packages:
            time.sleep(0.05)
            start = time.perf_counter()
            result = client.send(data)
            times.append((time.perf_counter() - start) * 1000)
            assert len(result.deliveries) == 63
            assert not result.duplicate
    return times


def stored_once(conninfo: str, world: World, document_ids: list[str]) -> dict[str, Any]:
    """Package rows, deliveries and blobs of the broadcast packages, and of the whole run."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT p.document_id, count(DISTINCT p.id), count(d.id) "
            "FROM hub_packages p JOIN hub_deliveries d ON d.package_id = p.id "
            "WHERE p.document_id = ANY(%s) GROUP BY p.document_id",
            [document_ids],
        ).fetchall()
        packages = conn.execute("SELECT count(*), count(DISTINCT sha256) FROM hub_packages")
        total, distinct = packages.fetchone() or (0, 0)
    files = sum(1 for p in world.blob_dir.rglob("*") if p.is_file() and len(p.name) == 64)
    once = len(rows) == len(document_ids) and all(r[1] == 1 and r[2] == 63 for r in rows)
    blobs_ok = world.env["LIENTHONG_BLOB_STORE"] != "fs" or files == distinct
    return {
        "broadcast_packages": len(rows),
        "package_rows_each": sorted({int(r[1]) for r in rows}),
        "deliveries_each": sorted({int(r[2]) for r in rows}),
        "packages_total": int(total),
        "blob_files": files,
        "stored_once": once and blobs_ok and total == distinct,
    }


def baseline(
    conninfo: str, pool: list[bytes], seconds: float, connections: int = 8
) -> dict[str, float]:
    """Raw ``INSERT … bytea`` with one commit each, ``connections`` at once: rows/s, and
    the CPU PostgreSQL and the machine used per row."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, body bytea NOT NULL)")
    counts = [0] * connections
    pids = [0] * connections
    start = time.monotonic() + 0.3
    deadline = start + seconds

    def work(i: int) -> None:
        with psycopg.connect(conninfo) as conn:
            pids[i] = conn.info.backend_pid
            while time.monotonic() < start:
                time.sleep(0.001)
            while time.monotonic() < deadline:
                conn.execute(
                    "INSERT INTO bench_raw (body) VALUES (%b)", [pool[counts[i] % len(pool)]]
                )
                conn.commit()
                counts[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, start - time.monotonic()))
    pg0, busy0 = cpu_seconds(pids), machine_busy_seconds()
    time.sleep(max(0.0, deadline - time.monotonic()))
    pg1, busy1 = cpu_seconds(pids), machine_busy_seconds()  # before the backends go
    for t in threads:
        t.join()
    took = time.monotonic() - start
    rows = sum(counts)
    return {
        "rows_per_s": rows / took,
        "postgres_ms_per_row": (pg1 - pg0) * 1000 / max(1, rows),
        "machine_busy_cores": (busy1 - busy0) / seconds,
    }
