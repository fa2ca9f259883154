"""``lienthong hub …`` as an operator types it, and ``hub serve`` as a real process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lienthong.hub.affinity import lock_dir_for
from lienthong.hub.secrets import generate_master_key
from lienthong.pki.testing import bound_socket

LIENTHONG = Path(sys.executable).with_name("lienthong")


def _env(data_dir: Path, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(COLUMNS="200", LIENTHONG_DATA_DIR=str(data_dir), LIENTHONG_HUB_MASTER_KEY=key)
    return env


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIENTHONG), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_operator_sets_up_and_serves_a_hub(tmp_path: Path) -> None:
    env = _env(tmp_path / "data", generate_master_key())
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0

    added = run(
        "hub",
        "agency",
        "add",
        "--name",
        "Văn phòng Chính phủ",
        "--qcvn",
        "000.00.00.G22",
        env=env,
        cwd=tmp_path,
    )
    system = run(
        "hub",
        "system",
        "add",
        "sys-vpcp",
        "--name",
        "VPCP",
        "--agency",
        "000.00.00.G22",
        env=env,
        cwd=tmp_path,
    )
    token = run("hub", "admin-token", "create", "--name", "ops", env=env, cwd=tmp_path)
    listed = run("hub", "system", "list", env=env, cwd=tmp_path)
    locked = run("hub", "agency", "lock", "000.00.00.G22", env=env, cwd=tmp_path)
    verified = run("hub", "audit", "verify", env=env, cwd=tmp_path)
    unknown = run("hub", "system", "rotate", "sys-nope", env=env, cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    assert "000.00.00.G22" in added.stdout
    assert "[active]" in added.stdout
    assert system.returncode == 0, system.stderr
    assert re.search(r"Secret:\s+\S{40,}", system.stdout)
    assert token.returncode == 0, token.stderr
    match = re.search(r"Token:\s+(lta_\S+)", token.stdout)
    assert match is not None
    assert "sys-vpcp" in listed.stdout
    assert "000.00.00.G22" in listed.stdout
    assert "[locked]" in locked.stdout
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Entries: 4" in verified.stdout  # agency.add, system.add, token.create, agency.lock
    assert "intact" in verified.stdout
    assert unknown.returncode == 2
    assert "not_found.system" in unknown.stderr

    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    log = tmp_path / "serve.log"
    with (
        log.open("wb") as err,
        subprocess.Popen(
            [str(LIENTHONG), "hub", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        ) as server,
    ):
        try:
            health = None
            for _ in range(200):
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert health is not None, log.read_text()
            assert health.text == "ok"
            admin = {"Authorization": f"Bearer {match.group(1)}"}
            systems = httpx.get(f"http://127.0.0.1:{port}/api/v1/admin/systems", headers=admin)
            assert systems.status_code == 200
            assert systems.json()[0]["system_id"] == "sys-vpcp"
            anonymous = httpx.get(f"http://127.0.0.1:{port}/api/v1/inbox")
            assert anonymous.status_code == 401
            assert anonymous.json()["axis_code"] == 15
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert '"path": "/api/v1/admin/systems"' in log.read_text()


def _cpu_list(text: str) -> frozenset[int]:
    """``0-1,3`` (a ``Cpus_allowed_list``) as the set of CPUs it names."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return frozenset(cpus)


def _workers_cpus(server_pid: int) -> list[frozenset[int]]:
    """The CPUs each worker of a ``hub serve`` may run on."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid != server_pid or "spawn_main" not in (entry / "cmdline").read_text():
                continue
            status = (entry / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        found.extend(
            _cpu_list(line.split(":", 1)[1])
            for line in status.splitlines()
            if line.startswith("Cpus_allowed_list:")
        )
    return sorted(found, key=sorted)


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs at least two CPUs",
)
@pytest.mark.parametrize("pinned", [True, False])
def test_serve_keeps_each_worker_on_a_cpu_of_its_own_unless_told_not_to(
    tmp_path: Path, pinned: bool
) -> None:
    env = _env(tmp_path / "data", generate_master_key())
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    option = "--cpu-affinity" if pinned else "--no-cpu-affinity"
    command = [str(LIENTHONG), "hub", "serve", "--port", str(port), "--workers", "2", option]
    allowed = frozenset(os.sched_getaffinity(0))
    cpus: list[frozenset[int]] = []
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as server:
        try:
            for _ in range(300):
                cpus = _workers_cpus(server.pid)
                if len(cpus) == 2 and (not pinned or allowed not in cpus):
                    break
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
            shutil.rmtree(lock_dir_for(port), ignore_errors=True)
    if pinned:  # the first two CPUs the server may use, one each
        assert cpus == [frozenset({c}) for c in sorted(allowed)[:2]]
    else:
        assert cpus == [allowed, allowed]
