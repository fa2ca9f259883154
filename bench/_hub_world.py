"""The world ``bench/hub_load.py`` runs in: a throw-away PostgreSQL database, a demo PKI,
agencies and systems, signed ~400 KB packages, and the hub as real server processes.

Not a benchmark itself (``make bench`` runs it and nothing happens).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from lienthong.clock import VN_TZ
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.document_id import build_document_id
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package
from lienthong.hub.affinity import lock_dir_for
from lienthong.pki.model import SigningIdentity

ADMIN_URL = os.environ.get(
    "LIENTHONG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
LIENTHONG = Path(sys.executable).with_name("lienthong")
#: Random bytes appended to a one-page PDF: the attachment is ~300 KB, the package ~400 KB.
ATTACHMENT_BYTES = 300_000
BROADCAST_SENDER = "000.00.00.G22"
HOST = "127.0.0.1"


def sender_code(i: int) -> str:
    return f"000.01.{i + 1:02d}.H41"


def receiver_code(i: int) -> str:
    return f"000.00.{i + 1:02d}.G12"


def broadcast_code(i: int) -> str:
    return f"000.00.{i + 1:02d}.H08"


# -- the database ------------------------------------------------------------------------


@contextlib.contextmanager
def temporary_database() -> Iterator[URL]:
    """A new PostgreSQL database (random name), dropped on the way out."""
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"lienthong_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# -- agencies, systems, packages ---------------------------------------------------------


@dataclass
class World:
    """Where everything lives and the environment the hub server runs with."""

    root: Path
    url: URL
    pairs: int
    env: dict[str, str] = field(default_factory=dict)
    #: system id → secret
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def pki_dir(self) -> Path:
        return self.root / "pki"

    @property
    def blob_dir(self) -> Path:
        return self.root / "data" / "blobs"


def build_world(
    root: Path, url: URL, pairs: int, blob_store: str, blob_io: str = "direct"
) -> World:
    """Migrate, make the demo PKI, register agencies and systems; the hub's environment."""
    from lienthong.bootstrap import build_container
    from lienthong.db import migrate
    from lienthong.db.engine import make_engine
    from lienthong.directory.model import AgencyDraft
    from lienthong.pki.testing import TEST_PASSPHRASE, demo_pki
    from lienthong.settings import load_settings

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    agencies = {BROADCAST_SENDER: "Văn phòng Chính phủ"}
    for i in range(pairs):
        agencies[sender_code(i)] = f"Sở số {i + 1} tỉnh Nghệ An"
        agencies[receiver_code(i)] = f"Cục số {i + 1} Bộ Tài chính"
    for i in range(63):
        agencies[broadcast_code(i)] = f"Phòng số {i + 1} tỉnh Bình Dương"
    pki = demo_pki(root, list(agencies.items()))
    world = World(root=root, url=url, pairs=pairs)
    world.env = {
        "LIENTHONG_DATA_DIR": str(root / "data"),
        "LIENTHONG_DATABASE_URL": url.render_as_string(hide_password=False),
        "LIENTHONG_BLOB_STORE": blob_store,
        "LIENTHONG_BLOB_DIRECT_IO": "true" if blob_io == "direct" else "false",
        "LIENTHONG_HUB_MASTER_KEY": base64.b64encode(os.urandom(32)).decode("ascii"),
        "LIENTHONG_PKI_DIR": str(world.pki_dir),
        "LIENTHONG_PKI_PASSPHRASE": TEST_PASSPHRASE,
        "LIENTHONG_HUB_IDENTITY": pki.system.name,
    }
    settings = load_settings(**_settings_overrides(world.env))
    with build_container(settings) as container:
        for code, name in agencies.items():
            container.directory.register(AgencyDraft(name=name, qcvn_id=code))
        systems = {f"sys-send-{i}": [sender_code(i)] for i in range(pairs)}
        systems.update({f"sys-recv-{i}": [receiver_code(i)] for i in range(pairs)})
        systems["sys-broadcast"] = [BROADCAST_SENDER]
        systems["sys-broadcast-inbox"] = [broadcast_code(i) for i in range(63)]
        for system_id, hosted in systems.items():
            issued = container.hub.systems.register(system_id, system_id, hosted)
            world.secrets[system_id] = issued.secret
    return world


def _settings_overrides(env: dict[str, str]) -> dict[str, Any]:
    return {
        "data_dir": Path(env["LIENTHONG_DATA_DIR"]),
        "database_url": env["LIENTHONG_DATABASE_URL"],
        "blob_store": env["LIENTHONG_BLOB_STORE"],
        "blob_direct_io": env["LIENTHONG_BLOB_DIRECT_IO"] == "true",
        "hub_master_key": env["LIENTHONG_HUB_MASTER_KEY"],
        "pki_dir": Path(env["LIENTHONG_PKI_DIR"]),
        "pki_passphrase": env["LIENTHONG_PKI_PASSPHRASE"],
        "hub_identity": env["LIENTHONG_HUB_IDENTITY"],
    }


def agency_identity(pki_dir: Path, agency_id: str) -> SigningIdentity:
    """The organisation identity of ``agency_id`` in the demo PKI at ``pki_dir``."""
    from lienthong.pki.ca import agency_entry_name
    from lienthong.pki.identity import load_identity
    from lienthong.pki.testing import TEST_PASSPHRASE

    return load_identity(pki_dir, agency_entry_name(agency_id), TEST_PASSPHRASE)


_PDF: list[bytes] = []


def attachment_bytes(size: int = ATTACHMENT_BYTES) -> bytes:
    """A one-page PDF followed by random bytes up to ``size`` (random: nothing compresses)."""
    if not _PDF:
        from lienthong.pdfsign.sample import attachment_pdf

        _PDF.append(attachment_pdf())
    pdf = _PDF[0]
    return pdf + b"\n%" + os.urandom(max(0, size - len(pdf) - 2))


def signed_package(
    identity: SigningIdentity, sender: str, recipients: Sequence[str], number: int, tag: str
) -> tuple[str, bytes]:
    """A signed document package from ``sender`` with a ~300 KB attachment, and its
    DocumentId."""
    now = datetime.now(VN_TZ).replace(tzinfo=None, microsecond=0)
    notation = f"BENCH-{tag}"
    header = m.MessageHeader(
        from_=m.Organization(sender, "Cơ quan gửi"),
        to=[m.Organization(code, "Cơ quan nhận") for code in recipients],
        code=m.Code(str(number), notation),
        promulgation_info=m.PromulgationInfo("Hà Nội", now.date()),
        document_type=m.DocumentType(1, 0, "Công văn"),
        subject="V/v đo hiệu năng trục liên thông",
        signer_info=m.SignerInfo("Giám đốc", "Giám đốc", "Nguyễn Văn A"),
        document_id=build_document_id(sender, now.date(), number, notation),
    )
    package = m.DocumentPackage(
        header=header,
        trace_headers=[m.TraceHeader(sender, now)],
        business=m.Business(),
        attachments=[attachment_from_bytes("vanban.pdf", attachment_bytes(), content_id="1")],
    )
    return header.document_id, sign_package(package_to_bytes(package), identity)


# -- the hub as server processes ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(_children(current))
    return out


def status_kib(pid: int, field_name: str) -> int:
    """A ``/proc/<pid>/status`` field in KiB (0 if the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of ``pids`` so far (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from ``/proc/stat``."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / _TICK


class HubServer:
    """``lienthong hub serve --workers N`` in the background, with its memory sampled."""

    def __init__(self, world: World, workers: int, log: Path, *, cpu_affinity: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        env.update(world.env)
        self._log = log.open("wb")
        serve = [str(LIENTHONG), "hub", "serve", "--port", str(self.port)]
        affinity = "--cpu-affinity" if cpu_affinity else "--no-cpu-affinity"
        self.proc = subprocess.Popen(
            [*serve, "--workers", str(workers), affinity],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.workers = workers
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_by_process: dict[int, int] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the hub exited ({self.proc.returncode}); see {self._log.name}")
            with contextlib.suppress(httpx.HTTPError):
                up = httpx.get(self.url + "/healthz", timeout=2).text == "ok"
                # every worker must be up, not just the first to answer
                if up and len(self.pids()) >= self.workers + (1 if self.workers > 1 else 0):
                    self._sampler.start()
                    return
            time.sleep(0.2)
        raise SystemExit("the hub did not start in time")

    def pids(self) -> list[int]:
        """The server's processes (the supervisor and its workers)."""
        return process_tree(self.proc.pid)

    def _sample(self) -> None:
        # RSS (from /proc/PID/status, cheap) every 0.2 s; PSS every second: the kernel
        # walks a process's page tables to count it, ~1 % of the machine's CPU at five
        # samples a second of four processes (perf record -a, 2026-12-08), taken from
        # the hub it measures.
        tick = 0
        while not self._stop.wait(0.2):
            pids = self.pids()
            rss = {pid: status_kib(pid, "VmRSS") for pid in pids}
            self.peak_rss_kib = max(self.peak_rss_kib, sum(rss.values()))
            if tick % 5 == 0:
                self.peak_pss_kib = max(self.peak_pss_kib, sum(pss_kib(p) for p in pids))
            tick += 1
            for pid, value in rss.items():
                self.peak_by_process[pid] = max(self.peak_by_process.get(pid, 0), value)

    def stop(self) -> None:
        self._stop.set()
        if self._sampler.is_alive():
            self._sampler.join()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        # The workers' CPU locks (``hub serve`` keeps them per port; this port is random).
        shutil.rmtree(lock_dir_for(self.port), ignore_errors=True)


@contextlib.contextmanager
def hub_in_process(app: Any, log: Path) -> Iterator[int]:
    """Serve ``app`` (the hub's, from ``app_from_environment``) with uvicorn in a thread of
    this process, its lifespan run, the ``lienthong`` log written to ``log``; yields the
    port (uvicorn binds one itself). For scripts that measure this process's CPU."""
    import uvicorn

    config = uvicorn.Config(
        app, host=HOST, port=0, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    with log.open("w", encoding="utf-8") as log_file:
        try:
            while not server.started:
                if not serving.is_alive():
                    raise SystemExit("the hub did not start")
                time.sleep(0.05)
            for handler in logging.getLogger("lienthong").handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(log_file)
            yield server.servers[0].sockets[0].getsockname()[1]
        finally:
            server.should_exit = True
            serving.join(60)


class PgCpu:
    """CPU seconds of each PostgreSQL process serving the bench database (its backends and
    the server's own processes, WAL writer…), sampled every 0.25 s by a thread so that a
    backend the pool closes mid-phase keeps its CPU at its last reading (before
    2026-12-08, read only at a phase's ends, it was lost). The meter's own connections
    are left out."""

    def __init__(self, conninfo: str, dbname: str) -> None:
        self._conninfo = conninfo
        self._dbname = dbname
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._own = {self._conn.info.backend_pid}
        self._lock = threading.Lock()
        #: The last CPU seconds seen of each process, kept after it exits.
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _pids(self, conn: psycopg.Connection[Any]) -> list[int]:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR backend_type NOT IN "
            "('client backend', 'autovacuum worker', 'background worker')",
            [self._dbname],
        ).fetchall()
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return [int(r[0]) for r in rows if int(r[0]) not in self._own]

    def _read(self, conn: psycopg.Connection[Any]) -> dict[int, float]:
        now = {pid: cpu_seconds([pid]) for pid in self._pids(conn)}
        with self._lock:
            for pid, cpu in now.items():
                if cpu > 0 or pid not in self._seen:
                    self._seen[pid] = cpu
            return dict(self._seen)

    def _sample(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            self._own.add(conn.info.backend_pid)
            while not self._stop.wait(0.25):
                self._read(conn)

    def read(self) -> dict[int, float]:
        """Every process's CPU so far (those that exited: at their last reading)."""
        return self._read(self._conn)

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        """CPU seconds between two readings (a process started meanwhile counts from 0)."""
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())

    def close(self) -> None:
        self._stop.set()
        self._sampler.join(5)
        self._conn.close()
