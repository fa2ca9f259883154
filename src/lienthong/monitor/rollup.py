"""The hub's monitor: reads the statistics reports sent to the monitor agency and adds
them up, with the hub's own figures, into the national table.

It runs inside the hub's process and reads the hub's tables **read-only** (packages,
deliveries) and blob store; it writes only its own ``monitor_reports``. A report is an
ordinary document package to the monitor agency (default the Government Office,
``000.00.00.G22``) whose subject starts ``Báo cáo thống kê văn bản điện tử`` and which
carries a ``application/vnd.lienthong.statistics+json`` attachment (:mod:`.payload`). The
hub verified its signature at intake. :meth:`HubMonitor.collect` looks at each such
package once: accepted (its figures stored) or rejected (with the reason, e.g. a report
whose agency is not the package's sender).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from lienthong.clock import Clock
from lienthong.db.tables import agencies, hub_deliveries, hub_packages, monitor_reports
from lienthong.db.uow import UnitOfWork
from lienthong.edxml.model import DocumentPackage
from lienthong.edxml.reader import read_package
from lienthong.errors import LienthongError, StorageError
from lienthong.monitor.national import (
    AgencyReport,
    HubActivity,
    HubObservations,
    NationalTable,
    national_table,
)
from lienthong.monitor.payload import SUBJECT_PREFIX, StatisticsReport, decode, find_statistics
from lienthong.monitor.periods import Period
from lienthong.monitor.targets import TargetTable
from lienthong.settings import EdxmlLimits
from lienthong.storage import BlobStore
from lienthong.text import nfc

_p, _d, _m = hub_packages.c, hub_deliveries.c, monitor_reports.c
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class CollectResult:
    """What one collection pass did: package ids accepted and rejected (with reasons)."""

    accepted: tuple[str, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Outcome:
    report: StatisticsReport | None
    payload: bytes | None
    problem: str | None


class HubMonitor:
    """The national roll-up over the hub's unit of work and blob store."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        blobs: BlobStore,
        clock: Clock,
        monitor_agency: str,
        targets: TargetTable,
        limits: EdxmlLimits | None = None,
    ) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._clock = clock
        self.monitor_agency = monitor_agency
        self.targets = targets
        self._limits = limits or EdxmlLimits()

    # -- collecting ------------------------------------------------------------------------

    def collect(self, *, progress: Progress | None = None) -> CollectResult:
        """Read every report package not looked at yet; idempotent. (A monitor agency
        missing from the directory has received nothing.)"""
        with self._uow() as uow:
            monitor = uow.agencies.lookup(self.monitor_agency)
            if monitor is None:
                return CollectResult()
            monitor_id = monitor.id
            query = (
                select(_p.id, _p.sender_id, _p.received_at, _p.sha256)
                .where(
                    _p.kind == "document",
                    _p.subject.like(nfc(SUBJECT_PREFIX) + "%"),
                    exists().where(_d.package_id == _p.id, _d.recipient_id == monitor_id),
                    ~exists().where(_m.package_id == _p.id),
                )
                .order_by(_p.received_at, _p.id)
            )
            candidates = list(uow.session.execute(query))
        accepted: list[str] = []
        rejected: list[tuple[str, str]] = []
        for done, row in enumerate(candidates, start=1):
            outcome = self._read(str(row.sha256))
            if outcome.report is not None:
                outcome = self._check_sender(outcome, int(row.sender_id))
            if self._store(row, outcome):
                if outcome.problem is None:
                    accepted.append(str(row.id))
                else:
                    rejected.append((str(row.id), outcome.problem))
            if progress is not None:
                progress(done, len(candidates))
        return CollectResult(tuple(accepted), tuple(rejected))

    def _read(self, sha256: str) -> _Outcome:
        try:
            with self._blobs.open(sha256) as stream:
                package = read_package(stream, limits=self._limits, attachments="lazy")
            if not isinstance(package, DocumentPackage):
                return _Outcome(None, None, "not a document package")
            attachment = find_statistics(package.attachments)
            if attachment is None:
                return _Outcome(None, None, "no statistics attachment")
            payload = attachment.read_bytes()
            return _Outcome(decode(payload), payload, None)
        except StorageError:  # the store is unavailable: try again at the next collection
            raise
        except LienthongError as exc:
            return _Outcome(None, None, f"{exc.code}: {exc.message}"[:500])

    def _check_sender(self, outcome: _Outcome, sender_id: int) -> _Outcome:
        assert outcome.report is not None  # noqa: S101 - checked by the caller
        with self._uow() as uow:
            named = uow.agencies.lookup(outcome.report.agency_code)
        if named is None or named.id != sender_id:
            problem = f"the report is about {outcome.report.agency_code}, not about its sender"
            return _Outcome(None, None, problem)
        return outcome

    def _store(self, row: Any, outcome: _Outcome) -> bool:
        report = outcome.report
        values: dict[str, Any] = {
            "package_id": row.id,
            "sender_id": row.sender_id,
            "state": "accepted" if report is not None else "rejected",
            "problem": outcome.problem,
            "received_at": row.received_at,
            "collected_at": self._clock.now(),
        }
        if report is not None and outcome.payload is not None:
            import hashlib

            period = report.period_of
            values |= {
                "period": report.period,
                "period_start": period.start,
                "period_end": period.end,
                "generated_at": report.generated_at,
                "payload": outcome.payload.decode("utf-8"),
                "payload_sha256": hashlib.sha256(outcome.payload).hexdigest(),
            }
        try:
            with self._uow() as uow:
                uow.session.execute(insert(monitor_reports).values(**values))
                uow.commit()
        except IntegrityError:  # another node collected it meanwhile
            return False
        return True

    # -- reading ---------------------------------------------------------------------------

    def reports(self, period: Period) -> list[AgencyReport]:
        """Every accepted report of ``period`` (all of them, not only the latest)."""
        query = (
            select(
                _m.package_id,
                _m.sender_id,
                _m.received_at,
                _m.payload,
                agencies.c.qcvn_id,
                agencies.c.qd20_id,
                agencies.c.name,
            )
            .join(agencies, agencies.c.id == _m.sender_id)
            .where(_m.state == "accepted", _m.period == period.key)
            .order_by(_m.id)
        )
        with self._uow() as uow:
            rows = list(uow.session.execute(query))
        return [
            AgencyReport(
                package_id=str(r.package_id),
                sender_id=int(r.sender_id),
                sender_code=str(r.qcvn_id or r.qd20_id),
                sender_name=str(r.name),
                received_at=r.received_at,
                report=StatisticsReport.model_validate_json(r.payload),
            )
            for r in rows
        ]

    def rejected(self, limit: int = 100) -> list[tuple[str, str, datetime]]:
        """The latest rejected packages: (package id, reason, received at)."""
        query = (
            select(_m.package_id, _m.problem, _m.received_at)
            .where(_m.state == "rejected")
            .order_by(_m.id.desc())
            .limit(limit)
        )
        with self._uow() as uow:
            return [(str(r[0]), str(r[1]), r[2]) for r in uow.session.execute(query)]

    def observations(self, period: Period) -> HubObservations:
        """What the hub took in and delivered in ``period`` (read-only queries)."""
        start, until = period.instants
        in_period = and_(_p.received_at >= start, _p.received_at < until)
        created = and_(_d.created_at >= start, _d.created_at < until)
        with self._uow() as uow:
            execute = uow.session.execute
            kinds: dict[str, int] = {
                str(k): int(n)
                for k, n in execute(
                    select(_p.kind, func.count()).where(in_period).group_by(_p.kind)
                )
            }
            statuses = execute(
                select(_p.status_code, func.count())
                .where(in_period, _p.kind == "status")
                .group_by(_p.status_code)
            ).all()
            states: dict[str, int] = {
                str(k): int(n)
                for k, n in execute(
                    select(_d.state, func.count()).where(created).group_by(_d.state)
                )
            }
            times = execute(
                select(_d.created_at, _d.received_at).where(
                    created, _d.kind == "document", _d.received_at.is_not(None)
                )
            ).all()
            sent = execute(
                select(_p.sender_id, _p.kind, func.count())
                .where(in_period)
                .group_by(_p.sender_id, _p.kind)
            ).all()
            received = execute(
                select(_d.recipient_id, func.count())
                .where(created, _d.kind == "document")
                .group_by(_d.recipient_id)
            ).all()
            activity = _activity(uow, sent, received)
        return HubObservations(
            documents=kinds.get("document", 0),
            statuses=kinds.get("status", 0),
            by_status={str(code): int(n) for code, n in statuses if code},
            deliveries=sum(states.values()),
            delivered=states.get("done", 0),
            failed=states.get("failed", 0),
            waiting=states.get("pending", 0) + states.get("leased", 0),
            latencies=tuple(max(0.0, (got - made).total_seconds()) for made, got in times),
            agencies=activity,
        )

    def national(
        self, period: Period, *, collect: bool = True, progress: Progress | None = None
    ) -> NationalTable:
        """Collect new reports (unless told not to), then the national table."""
        if collect:
            self.collect(progress=progress)
        return national_table(
            period,
            self.reports(period),
            self.observations(period),
            targets=self.targets,
            generated_at=self._clock.now(),
        )


def _activity(
    uow: UnitOfWork, sent: Sequence[Any], received: Sequence[Any]
) -> tuple[HubActivity, ...]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sender_id, kind, n in sent:
        counts[int(sender_id)]["documents" if kind == "document" else "statuses"] += int(n)
    for recipient_id, n in received:
        counts[int(recipient_id)]["received"] += int(n)
    if not counts:
        return ()
    names = {
        int(r.id): (str(r.qcvn_id or r.qd20_id), str(r.name))
        for r in uow.session.execute(
            select(agencies.c.id, agencies.c.qcvn_id, agencies.c.qd20_id, agencies.c.name).where(
                agencies.c.id.in_(sorted(counts))
            )
        )
    }
    return tuple(
        HubActivity(
            agency_id=agency_id,
            code=names.get(agency_id, (str(agency_id), ""))[0],
            name=names.get(agency_id, ("", str(agency_id)))[1],
            documents_sent=c.get("documents", 0),
            statuses_sent=c.get("statuses", 0),
            deliveries_received=c.get("received", 0),
        )
        for agency_id, c in sorted(counts.items())
    )
