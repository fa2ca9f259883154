"""``lienthong.hub.affinity``: each worker on a CPU of its own, chosen through lock files.

Pinning changes the process that does it, so every case runs in child processes (never
the test runner): each child pins, reports, then waits until told to exit, so the locks
are held while the others choose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs CPU affinity and at least two CPUs",
)

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []

# A thread started before the pin, one after; then every thread's CPUs and the answer.
_CHILD = """
import json, os, sys, threading
from pathlib import Path
from lienthong.hub import affinity
before = threading.Event(); stop = threading.Event()
early = threading.Thread(target=lambda: (before.set(), stop.wait())); early.start()
before.wait()
cpu = affinity.pin_worker(Path(sys.argv[1]))
late = threading.Thread(target=stop.wait); late.start()
cpus = {
    name: sorted(os.sched_getaffinity(t.native_id))
    for name, t in (("main", threading.main_thread()), ("early", early), ("late", late))
}
print(json.dumps({"cpu": cpu, "cpus": cpus}), flush=True)
sys.stdin.readline()
stop.set()
"""


@contextmanager
def _workers(lock_dir: Path, count: int) -> Iterator[list[dict[str, object]]]:
    """``count`` child processes pinned one after the other, alive in the block."""
    children: list[subprocess.Popen[str]] = []
    answers: list[dict[str, object]] = []
    try:
        for _ in range(count):
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(lock_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            children.append(child)
            assert child.stdout is not None
            answers.append(json.loads(child.stdout.readline()))
        yield answers
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.write("\n")
            child.stdin.close()
            child.wait(timeout=30)
            if child.stdout is not None:
                child.stdout.close()


def test_each_worker_takes_a_cpu_of_its_own_with_every_thread(tmp_path: Path) -> None:
    locks = tmp_path / "cpus"
    with _workers(locks, len(ALLOWED)) as answers:
        taken = [a["cpu"] for a in answers]
        assert sorted(taken) == ALLOWED  # type: ignore[type-var]
        for answer in answers:
            cpu = answer["cpu"]
            assert answer["cpus"] == {"main": [cpu], "early": [cpu], "late": [cpu]}
    assert locks.stat().st_mode & 0o777 == 0o700


def test_workers_beyond_the_cpus_run_anywhere_and_a_freed_cpu_is_taken_again(
    tmp_path: Path,
) -> None:
    locks = tmp_path / "cpus"
    with _workers(locks, len(ALLOWED)) as first:
        with _workers(locks, 1) as [extra]:
            assert extra["cpu"] is None
            assert extra["cpus"] == {"main": ALLOWED, "early": ALLOWED, "late": ALLOWED}
        held = {a["cpu"] for a in first}
    assert held == set(ALLOWED)
    with _workers(locks, 1) as [again]:  # the first ones exited: their locks are free
        assert again["cpu"] == ALLOWED[0]


@pytest.mark.parametrize("kind", ["symlink", "group-writable"])
def test_a_lock_directory_not_private_pins_nothing(tmp_path: Path, kind: str) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    locks = tmp_path / "cpus"
    if kind == "symlink":
        locks.symlink_to(real, target_is_directory=True)
    else:
        locks.mkdir()
        locks.chmod(0o770)
    with _workers(locks, 1) as [answer]:
        assert answer["cpu"] is None
        assert answer["cpus"] == {"main": ALLOWED, "early": ALLOWED, "late": ALLOWED}
    assert list(real.iterdir()) == []
