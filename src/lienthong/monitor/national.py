"""The national table: agencies' reports added up, beside what the hub saw itself.

Pure arithmetic over decoded reports (:class:`AgencyReport`) and the hub's observations
(:class:`HubObservations`, queried by :mod:`.rollup`). For each agency only its latest
report of the period counts (by ``generated_at``, then by arrival). National shares pool
numerators and denominators — an agency with many documents weighs more — and are
never averages of shares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from lienthong.monitor.measures import Measure, labels, measure_names, pooled
from lienthong.monitor.payload import StatisticsReport
from lienthong.monitor.periods import Period
from lienthong.monitor.targets import TargetTable

#: The measures each agency's line shows.
LINE_MEASURES = ("electronic", "government_dossiers", "processing_on_time")


@dataclass(frozen=True, slots=True)
class AgencyReport:
    """A report the hub's monitor accepted."""

    package_id: str
    sender_id: int
    sender_code: str
    sender_name: str
    received_at: datetime
    report: StatisticsReport


@dataclass(frozen=True, slots=True)
class HubActivity:
    """What one agency did on the hub in the period."""

    agency_id: int
    code: str
    name: str
    documents_sent: int = 0
    statuses_sent: int = 0
    deliveries_received: int = 0


@dataclass(frozen=True, slots=True)
class HubObservations:
    """The hub's own figures for the period (packages taken in, deliveries made in it)."""

    documents: int = 0
    statuses: int = 0
    by_status: Mapping[str, int] = field(default_factory=dict)
    deliveries: int = 0
    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    #: Seconds from a delivery's creation to the recipient taking it, over those taken.
    latencies: tuple[float, ...] = ()
    agencies: tuple[HubActivity, ...] = ()

    @property
    def latency_median_s(self) -> float | None:
        return percentile(self.latencies, 50)

    @property
    def latency_p90_s(self) -> float | None:
        return percentile(self.latencies, 90)

    @property
    def latency_max_s(self) -> float | None:
        return max(self.latencies) if self.latencies else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (``None`` for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class NationalLine:
    """One agency: its latest report (if any) and its activity on the hub."""

    code: str
    name: str
    report: StatisticsReport | None
    activity: HubActivity | None
    measures: tuple[Measure, ...]

    @property
    def reported(self) -> bool:
        return self.report is not None


@dataclass(frozen=True, slots=True)
class NationalTable:
    period: Period
    generated_at: datetime
    measures: tuple[Measure, ...]
    lines: tuple[NationalLine, ...]
    hub: HubObservations
    documents: int
    processing: Mapping[str, int]

    @property
    def reporting(self) -> int:
        return sum(1 for line in self.lines if line.reported)

    @property
    def active_not_reporting(self) -> tuple[NationalLine, ...]:
        return tuple(line for line in self.lines if not line.reported)


def latest_reports(reports: Iterable[AgencyReport]) -> dict[int, AgencyReport]:
    """Per sender, the report generated last (then received last)."""
    latest: dict[int, AgencyReport] = {}
    for item in reports:
        known = latest.get(item.sender_id)
        key = (item.report.generated_at, item.received_at, item.package_id)
        if known is None or key > (known.report.generated_at, known.received_at, known.package_id):
            latest[item.sender_id] = item
    return latest


def _measures(
    report: StatisticsReport, names: Sequence[str], targets: TargetTable, year: int
) -> tuple[Measure, ...]:
    label = labels()
    found = []
    for name in names:
        figure = report.figure(name)
        n, d = (figure.numerator, figure.denominator) if figure else (0, 0)
        found.append(Measure(name, label.get(name, name), n, d, targets.for_year(name, year)))
    return tuple(found)


def national_table(
    period: Period,
    reports: Iterable[AgencyReport],
    hub: HubObservations,
    *,
    targets: TargetTable,
    generated_at: datetime,
) -> NationalTable:
    """Add up the latest report of each agency, and list every agency that reported or
    was active on the hub (reporting ones first, by name)."""
    latest = latest_reports(r for r in reports if r.report.period == period.key)
    label = labels()
    pooled_measures = tuple(
        pooled(
            name,
            label[name],
            (
                (f.numerator, f.denominator)
                for item in latest.values()
                if (f := item.report.figure(name)) is not None
            ),
            targets.for_year(name, period.year),
        )
        for name in measure_names()
    )
    activity = {a.agency_id: a for a in hub.agencies}
    lines: list[NationalLine] = []
    for sender_id, item in latest.items():
        lines.append(
            NationalLine(
                item.sender_code,
                item.report.agency_name or item.sender_name,
                item.report,
                activity.get(sender_id),
                _measures(item.report, LINE_MEASURES, targets, period.year),
            )
        )
    for agency_id, act in activity.items():
        if agency_id not in latest and act.documents_sent:
            lines.append(NationalLine(act.code, act.name, None, act, ()))
    lines.sort(key=lambda line: (not line.reported, line.name, line.code))
    processing: dict[str, int] = {}
    for item in latest.values():
        for key, value in item.report.processing.model_dump().items():
            processing[key] = processing.get(key, 0) + int(value)
    return NationalTable(
        period=period,
        generated_at=generated_at,
        measures=pooled_measures,
        lines=tuple(lines),
        hub=hub,
        documents=sum(item.report.documents for item in latest.values()),
        processing=processing,
    )


def as_of_days(table: NationalTable) -> tuple[date, ...]:
    """The days the reports were judged on (they may differ between agencies)."""
    return tuple(sorted({line.report.as_of for line in table.lines if line.report}))
