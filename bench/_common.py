"""Helpers shared by the benchmarks: timing, test inputs, the machine, tables.

Not a benchmark itself (``make bench`` runs it and nothing happens). Import it from a
script in this folder as ``import _common``.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.writer import package_to_bytes

H41 = "000.00.00.H41"
#: Random attachment bytes that make a ~370 KB package (base64 + the envelope).
PACKAGE_PAYLOAD = 277_000


@dataclass(frozen=True)
class Timing:
    """Milliseconds of the timed runs of one operation."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        """90th percentile, nearest rank."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]

    @property
    def minimum(self) -> float:
        return min(self.samples)


def measure(fn: Callable[[], object], iterations: int, *, warmup: int = 3) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``iterations`` times, each timed alone."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(tuple(samples))


def rate(fn: Callable[[], object], count: int) -> tuple[float, float]:
    """``(operations per second, ms per operation)`` of ``count`` back-to-back calls."""
    fn()
    start = time.perf_counter()
    for _ in range(count):
        fn()
    took = time.perf_counter() - start
    return count / took, took * 1000 / count


def edxml_package(payload_bytes: int = PACKAGE_PAYLOAD) -> bytes:
    """A document package from H41 to G22 with one random attachment of ``payload_bytes``."""
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
            subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        ),
        attachments=[
            attachment_from_bytes("vb.pdf", os.urandom(payload_bytes), content_id="cid:1")
        ],
    )
    return package_to_bytes(pkg)


def peak_rss_mib() -> float:
    """This process's peak resident memory (``VmHWM``).

    Not ``ru_maxrss``: on Linux a child keeps its parent's peak across ``exec``.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict[str, Any]:
    """What docs/performance.md records about the machine: cores, CPU model, RAM."""
    model = platform.processor() or "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    ram_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            ram_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(ram_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = ""
) -> None:
    """A Rich table; numbers right-aligned."""
    table = Table(title=title, caption=caption or None, title_justify="left")
    for i, column in enumerate(columns):
        first = rows[0][i] if rows else None
        numeric = isinstance(first, int | float) and not isinstance(first, bool)
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    console = Console()
    if not console.is_terminal:  # piped into a file: do not wrap at 80 columns
        console = Console(width=120)
    console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3f}" if value < 1 else f"{value:.2f}"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)
