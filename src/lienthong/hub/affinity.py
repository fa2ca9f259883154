"""Each hub worker process kept on a CPU of its own.

A worker is one interpreter: its event loop, its threadpool and its LISTEN thread take
turns holding the interpreter lock, handing it over many times per request. When the
kernel spreads those threads over several CPUs, every handover wakes a thread on another
CPU, whose caches hold none of the interpreter's state, and the workers and PostgreSQL's
backends keep migrating between CPUs. Kept on one CPU each (as nginx's
``worker_cpu_affinity auto`` keeps its workers), the two workers of ``lienthong hub
serve --workers 2`` on the two-core reference VM spent 6–15 % less CPU per package taken
in, took packages in 7–21 % faster and handed a backlog out 21–28 % faster
(docs/performance.md, "each worker on a CPU of its own").

How a worker picks its CPU: uvicorn starts the workers without telling them their rank,
so each takes the first CPU (of those the server may use, ``sched_getaffinity``) whose
lock file in the server's lock directory it can lock, and holds the lock for its life. A
worker that dies releases its CPU to the one started in its place. With more workers
than CPUs, the ones left over are not pinned. PostgreSQL and everything else still run
on any CPU.

The lock directory is the supervisor's choice (``lienthong hub serve`` passes one per
port in ``LIENTHONG_HUB_CPU_LOCKS``); it must be a directory of this user's, not a
symbolic link, else nothing is pinned.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("lienthong.hub.affinity")

#: The environment variable naming the lock directory (set by ``hub serve``).
LOCKS_ENV = "LIENTHONG_HUB_CPU_LOCKS"

#: The lock file this process holds (kept open, so locked, for the process's life).
_held: int | None = None


def lock_dir_for(port: int) -> Path:
    """Where the workers of a server on ``port`` keep their CPU locks."""
    return Path(tempfile.gettempdir()) / f"lienthong-hub-{os.getuid()}-{port}-cpus"


def prepare_lock_dir(path: Path) -> bool:
    """Make ``path`` (mode 0700) if needed; whether it is a usable lock directory: a real
    directory owned by this user and writable by no one else."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    try:
        found = path.lstat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(found.st_mode)
        and found.st_uid == os.getuid()
        and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def pin_worker(lock_dir: Path) -> int | None:
    """Keep this process (all its threads, and those it starts later) on the first free
    CPU of ``lock_dir``'s; that CPU, or ``None`` when none is free, the directory is not
    usable, or the system cannot pin (then nothing changes)."""
    global _held  # noqa: PLW0603 - one lock per process, held until it exits
    if _held is not None or not hasattr(os, "sched_setaffinity"):
        return None
    if not prepare_lock_dir(lock_dir):
        log.warning("not pinning the hub worker: %s is not a private directory", lock_dir)
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:  # one CPU: nothing to choose
        return None
    for cpu in allowed:
        fd = _try_lock(lock_dir / f"cpu-{cpu}.lock")
        if fd is None:
            continue
        try:
            _pin_threads(cpu)
        except OSError as exc:
            os.close(fd)
            log.warning("could not pin the hub worker to CPU %s: %s", cpu, exc)
            return None
        _held = fd
        log.info("hub worker %s on CPU %s", os.getpid(), cpu)
        return cpu
    log.info("hub worker %s on any CPU: every CPU has a worker", os.getpid())
    return None


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or ``None`` (held
    elsewhere, or not openable)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _pin_threads(cpu: int) -> None:
    """This process's threads on ``cpu``: the calling one, and any already running
    (threads started later inherit their creator's)."""
    os.sched_setaffinity(0, {cpu})
    tasks = Path("/proc/self/task")
    if tasks.is_dir():
        for task in tasks.iterdir():
            with contextlib.suppress(OSError, ValueError):
                os.sched_setaffinity(int(task.name), {cpu})
