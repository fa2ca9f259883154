"""What each of the hub's busiest routes costs the server, request by request.

    .venv/bin/python bench/hub_routes.py [--requests 500] [--json]

``bench/hub_load.py`` loads the hub with many clients at once; its CPU per package mixes
every route, and under load it moves with how receivers batch their claims. This script
asks one route at a time, one request after another, and reports the server's CPU per
request for each: the hub runs in this process (uvicorn, one worker, the same app as
``lienthong hub serve``, its request log written to a file) on a throw-away PostgreSQL
database (server from ``LIENTHONG_BENCH_PG_URL``, default the local ``postgres``); one
client process sends the requests with the bench's lean client.

Routes, in order: ``POST /packages`` (the signed ~405 KB packages of ``hub_load``),
``POST /inbox/receive?max=1`` claiming one delivery each, ``GET …/content``,
``POST …/ack`` (done), then ``POST /inbox/receive`` on an empty inbox. Baseline in the
same run: ``GET /healthz``, an unauthenticated FastAPI route answering "ok" after one
trivial query in the threadpool: what a request of the plainest kind costs this server.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from _common import machine, print_table
from _hub_world import (
    World,
    agency_identity,
    build_world,
    hub_in_process,
    receiver_code,
    sender_code,
    signed_package,
    temporary_database,
)

ROUTES = (
    ("healthz (baseline)", "healthz"),
    ("POST /packages", "send"),
    ("POST /inbox/receive (1 claimed)", "receive"),
    ("GET /deliveries/{id}/content", "fetch"),
    ("POST /deliveries/{id}/ack", "ack"),
    ("POST /inbox/receive (empty)", "receive"),
)


def client_main(url: str, world: dict[str, str], count: int, pipe: Connection) -> None:
    """Build the packages, then run each route ``count`` times when the parent says."""
    from _lean_client import LeanClient

    identity = agency_identity(Path(world["pki"]), sender_code(0))
    packages = [
        signed_package(identity, sender_code(0), [receiver_code(0)], n + 1, "R")[1]
        for n in range(count)
    ]
    sender = LeanClient(url, "sys-send-0", world["sys-send-0"], timeout=60)
    receiver = LeanClient(url, "sys-recv-0", world["sys-recv-0"], timeout=60)
    claimed: list[str] = []
    pipe.send("ready")
    with sender, receiver:
        while (route := pipe.recv()) is not None:
            for n in range(count):
                if route == "healthz":
                    receiver._call("GET", "/healthz", "", b"", None)
                elif route == "send":
                    sender.send(packages[n])
                elif route == "receive":
                    claimed.extend(i.delivery_id for i in receiver.receive(max=1, visibility=600))
                elif route == "fetch":
                    receiver.fetch(claimed[n])
                elif route == "ack":
                    receiver.ack(claimed[n], "done")
            pipe.send(len(claimed))


def run_routes(port: int, world: World, count: int) -> dict[str, dict[str, float]]:
    """Have the client process ask each route ``count`` times; the server's CPU and the
    wall time per request, by route."""
    secrets = {**world.secrets, "pki": str(world.pki_dir)}
    ours, theirs = mp.Pipe()
    client = mp.get_context("spawn").Process(
        target=client_main, args=(f"http://127.0.0.1:{port}", secrets, count, theirs)
    )
    client.start()
    if ours.recv() != "ready":
        raise SystemExit("the client did not start")
    figures: dict[str, dict[str, float]] = {}
    for label, route in ROUTES:
        cpu, wall = time.process_time(), time.perf_counter()
        ours.send(route)
        ours.recv()
        figures[label] = {
            "server_cpu_ms": 1000 * (time.process_time() - cpu) / count,
            "wall_ms": 1000 * (time.perf_counter() - wall) / count,
        }
    ours.send(None)
    client.join(60)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per route")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    count = args.requests

    from lienthong.hub.app import app_from_environment

    with tempfile.TemporaryDirectory() as tmp, temporary_database() as url:
        world = build_world(Path(tmp), url, 1, "fs")
        os.environ.update(world.env)
        with hub_in_process(app_from_environment(), Path(tmp) / "hub.log") as port:
            figures = run_routes(port, world, count)

    if args.json:
        out = {"machine": machine(), "requests": count, "routes": figures}
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    base = figures[ROUTES[0][0]]["server_cpu_ms"]
    print_table(
        f"Hub server CPU per request, one route at a time ({count} requests each)",
        ["route", "server CPU ms", "× healthz", "wall ms"],
        [
            [
                label,
                round(f["server_cpu_ms"], 3),
                round(f["server_cpu_ms"] / base, 1),
                round(f["wall_ms"], 2),
            ]
            for label, f in figures.items()
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
