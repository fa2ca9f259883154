"""Real hub processes for the end-to-end tests.

``lienthong hub serve`` runs as a subprocess on a free port with its own data directory
and a clean ``LIENTHONG_*`` environment; the database is migrated and an admin token made
with the ``lienthong`` command, agencies and systems are registered through the admin
API. Packages are signed by a demo PKI issued two hours ago (real time: the hub checks
certificates and CRLs against its own clock), and dated in the past hour.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from hubkit import AGENCIES, HubWorld
from lienthong.clock import FixedClock
from lienthong.db.engine import make_engine
from lienthong.db.tables import metadata
from lienthong.hub import schemas as s
from lienthong.hub.client import HubAdminClient, HubClient
from lienthong.hub.secrets import generate_master_key
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import bound_socket, demo_pki

LIENTHONG = Path(sys.executable).with_name("lienthong")
G22, H41, G12 = "000.00.00.G22", "000.00.00.H41", "000.00.00.G12"
#: Three agencies on two systems: sys-a hosts G22, sys-b hosts H41 and G12.
SYSTEMS = {"sys-a": [G22], "sys-b": [H41, G12]}


@functools.cache
def e2e_pki() -> DemoPki:
    """One demo hierarchy for the test process, issued two hours ago."""
    directory = Path(tempfile.mkdtemp(prefix="lienthong-e2e-pki-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    issued = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    return demo_pki(directory, list(AGENCIES.items()), clock=FixedClock(issued))


def package_maker() -> HubWorld:
    """Signed packages dated an hour ago; advance its clock to date later ones.

    Only :class:`~hubkit.HubWorld`'s package makers (``document``, ``status``) are used:
    the hub is a real process here, not the world's in-process one.
    """
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    none: Any = None
    return HubWorld(hub=none, pki=e2e_pki(), clock=FixedClock(start), blobs=none, uow=none)


def hub_env(
    data_dir: Path,
    *,
    master_key: str,
    database_url: str = "",
    blob_store: str = "fs",
) -> dict[str, str]:
    """A clean environment for one hub installation (or one node of a cluster)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        COLUMNS="200",
        LIENTHONG_DATA_DIR=str(data_dir),
        LIENTHONG_HUB_MASTER_KEY=master_key,
        LIENTHONG_PKI_DIR=str(e2e_pki().pki_dir),
        LIENTHONG_BLOB_STORE=blob_store,
    )
    if database_url:
        env["LIENTHONG_DATABASE_URL"] = database_url
    return env


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lienthong ARGS`` as a user types it."""
    return subprocess.run(
        [str(LIENTHONG), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def prepare(env: dict[str, str]) -> str:
    """Migrate the hub's database and create an operator token; returns the token.

    Done in this process through the library (what ``lienthong db upgrade`` and ``lienthong
    hub admin-token create`` do, which ``test_hub_cli.py`` runs as commands): each
    ``lienthong`` process costs seconds of imports on a busy machine.
    """
    from lienthong.bootstrap import build_container
    from lienthong.db import migrate
    from lienthong.settings import Settings

    values: dict[str, Any] = {
        "data_dir": env["LIENTHONG_DATA_DIR"],
        "database_url": env.get("LIENTHONG_DATABASE_URL", ""),
        "blob_store": env["LIENTHONG_BLOB_STORE"],
        "pki_dir": env["LIENTHONG_PKI_DIR"],
        "hub_master_key": env["LIENTHONG_HUB_MASTER_KEY"],
    }
    settings = Settings(**values)
    if settings.blob_store == "fs":
        settings.blob_dir.mkdir(parents=True, exist_ok=True)
    with build_container(settings) as container:
        migrate.upgrade(container.engine)
        return container.hub.systems.create_admin_token("e2e")


def register(url: str, token: str) -> dict[str, str]:
    """The agencies of :data:`SYSTEMS` and the systems; returns system id → secret."""
    with HubAdminClient(url, token) as admin:
        for code in sorted({a for hosted in SYSTEMS.values() for a in hosted}):
            admin.register_agency(s.AgencyCreate(name=AGENCIES[code], qcvn_id=code))
        return {
            system_id: admin.register_system(system_id, f"Hệ thống {system_id}", hosted).secret
            for system_id, hosted in SYSTEMS.items()
        }


class HubNode:
    """One ``lienthong hub serve`` process; restarts keep its port (clients keep its URL)."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str = "hub") -> None:
        self.env = env
        self.cwd = cwd
        self.name = name
        sock = bound_socket()
        self.port = int(sock.getsockname()[1])
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        #: An operator token (set by :func:`new_site`).
        self.token = ""

    def sibling(self, name: str) -> HubNode:
        """Another node of the same hub: same database and master key, its own data
        directory (so blobs must live in the database: ``blob_store = "db"``)."""
        env = dict(self.env, LIENTHONG_DATA_DIR=str(self.cwd / name / "data"))
        (self.cwd / name).mkdir(exist_ok=True)
        node = HubNode(env, self.cwd / name, name)
        node.token = self.token
        return node

    def start(self, timeout: float = 90.0) -> HubNode:
        """Start the process and wait until ``/healthz`` answers ``ok``."""
        assert self.process is None, "already running"
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [str(LIENTHONG), "hub", "serve", "--port", str(self.port)],
                cwd=self.cwd,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).text == "ok":
                    return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{self.name} did not become healthy:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind (a crash, a power cut of the process)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def answered(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request its log recorded, over all its runs."""
        found = []
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("message") == "request":
                    found.append((str(entry["method"]), str(entry["path"]), int(entry["status"])))
        return found

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running(*nodes: HubNode) -> Iterator[tuple[HubNode, ...]]:
    """Start ``nodes``; whatever happens, stop every one of them at the end."""
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def new_site(tmp_path: Path, database_url: str = "", *, blob_store: str = "fs") -> HubNode:
    """A migrated hub installation with its operator token; the node is not started."""
    env = hub_env(
        tmp_path / "data",
        master_key=generate_master_key(),
        database_url=database_url,
        blob_store=blob_store,
    )
    node = HubNode(env, tmp_path)
    node.token = prepare(env)
    return node


# -- the hub's own records, read after the fact ----------------------------------------------


def hub_engine(node: HubNode) -> Engine:
    """An engine on the database a node uses (to read what the hub recorded)."""
    url = node.env.get("LIENTHONG_DATABASE_URL") or (
        f"sqlite:///{Path(node.env['LIENTHONG_DATA_DIR']).resolve() / 'lienthong.sqlite3'}"
    )
    return make_engine(url)


def delivery_states(engine: Engine) -> dict[str, tuple[str, int]]:
    """Delivery id → (state, times claimed), as stored."""
    table = metadata.tables["hub_deliveries"]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.state, table.c.claims)).all()
    return {str(r.id): (str(r.state), int(r.claims)) for r in rows}


def final_acks(engine: Engine) -> dict[str, int]:
    """Delivery id → how many audit entries record a final acknowledgement of it."""
    table = metadata.tables["hub_audit"]
    query = (
        select(table.c.subject, func.count())
        .where(table.c.action == "ack")
        .where(table.c.data.not_like('%"processing"%'))
        .group_by(table.c.subject)
    )
    with engine.connect() as conn:
        return {str(subject): int(n) for subject, n in conn.execute(query).all()}


def package_count(engine: Engine) -> int:
    table = metadata.tables["hub_packages"]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def take(
    client: HubClient,
    count: int,
    *,
    kind: s.PackageKind | None = None,
    agency: str | None = None,
    timeout: float = 60.0,
) -> list[s.DeliveryItem]:
    """Claim deliveries until ``count`` came (long polls; bounded by ``timeout``)."""
    items: list[s.DeliveryItem] = []
    deadline = time.monotonic() + timeout
    while len(items) < count and time.monotonic() < deadline:
        items.extend(client.receive(agency=agency, kind=kind, max=count - len(items), wait=2))
    return items
