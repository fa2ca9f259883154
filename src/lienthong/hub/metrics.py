"""Prometheus metrics of a hub process, in the text exposition format (written by hand).

Counters and histograms live in the process (each uvicorn worker has its own; Prometheus
sums them per instance label); the queue depth per agency is computed from the database
on each scrape, so every node reports the same, true value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from lienthong.hub.records import QueueStats

#: Seconds: intake latency buckets (a 400 KB package takes tens of milliseconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    inner = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + inner + "}"


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help_, tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        with self._lock:
            return self._values.get(labels, 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            for key, value in sorted(self._values.items()):
                lines.append(f"{self.name}{_labels(self.labels, key)} {_number(value)}")
        return lines


class Histogram:
    """Observations in cumulative buckets, with their sum and count."""

    def __init__(self, name: str, help_: str, buckets: Sequence[float]) -> None:
        self.name, self.help = name, help_
        self.buckets = (*sorted(buckets), float("inf"))
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._sum += value
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[i] += 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._counts[-1]

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            for bound, count in zip(self.buckets, self._counts, strict=True):
                lines.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {count}')
            lines.append(f"{self.name}_sum {_number(self._sum)}")
            lines.append(f"{self.name}_count {self._counts[-1]}")
        return lines


class HubMetrics:
    """The hub's metrics: intake, errors, HTTP requests; queues come from the database."""

    def __init__(self) -> None:
        self.intake_total = Counter(
            "lienthong_hub_intake_total", "Packages taken in.", ("kind", "duplicate")
        )
        self.intake_bytes = Counter(
            "lienthong_hub_intake_bytes_total", "Bytes of packages taken in.", ("kind",)
        )
        self.intake_seconds = Histogram(
            "lienthong_hub_intake_seconds", "Time to take a package in.", LATENCY_BUCKETS
        )
        self.errors = Counter(
            "lienthong_hub_errors_total", "Error answers, by error code.", ("code",)
        )
        self.requests = Counter(
            "lienthong_hub_http_requests_total", "HTTP requests answered.", ("method", "status")
        )
        self.pushes = Counter(
            "lienthong_hub_push_total", "Webhook calls made, by outcome.", ("outcome",)
        )

    def intake(self, kind: str, size: int, seconds: float, duplicate: bool) -> None:
        self.intake_total.inc(kind, "true" if duplicate else "false")
        if not duplicate:
            self.intake_bytes.inc(kind, amount=size)
        self.intake_seconds.observe(seconds)

    def error(self, code: str) -> None:
        self.errors.inc(code)

    def render(self, queues: Iterable[QueueStats] = ()) -> str:
        """The exposition text, with the queue gauges of ``queues``."""
        lines: list[str] = []
        for metric in (
            self.intake_total,
            self.intake_bytes,
            self.intake_seconds,
            self.errors,
            self.requests,
            self.pushes,
        ):
            lines += metric.render()
        stats = list(queues)
        for name, help_, attr in (
            ("lienthong_hub_queue_pending", "Deliveries available to claim.", "pending"),
            ("lienthong_hub_queue_leased", "Deliveries leased to a receiver.", "leased"),
            ("lienthong_hub_queue_failed", "Deliveries acknowledged as failed.", "failed"),
        ):
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
            lines += [f'{name}{{agency="{_escape(q.agency)}"}} {getattr(q, attr)}' for q in stats]
        return "\n".join(lines) + "\n"
