"""The monitor's use cases on the office side: measures and report forms of one agency,
and sending its statistics report to the monitor agency through the hub.

Any member of the agency (and the operator scoped to it) may read its figures: they are
aggregates that never include confidential documents. Sending is for clerks, leaders and
administrators, the operator and the system. ``bootstrap`` wires :class:`AgencyMonitor`
as ``container.monitor.agency`` and :class:`~lienthong.monitor.rollup.HubMonitor` as
``container.monitor.national``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lienthong.clock import VN_TZ, Clock
from lienthong.db.tables import monitor_sent
from lienthong.db.uow import UnitOfWork
from lienthong.edxml import model as m
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package
from lienthong.errors import Conflict, LienthongError, PermissionDenied
from lienthong.hub.schemas import SendResult
from lienthong.monitor.measures import DocumentRow, MeasureTable, Scope, counted, measure_table
from lienthong.monitor.payload import StatisticsReport, encode, report_package, statistics_report
from lienthong.monitor.periods import Period, vn_day
from lienthong.monitor.queries import MonitorQueries
from lienthong.monitor.reports import (
    Evaluation,
    GroupBy,
    RegistersSummary,
    StatusReport,
    evaluation,
    registers_summary,
    status_report,
)
from lienthong.monitor.targets import TargetTable
from lienthong.office.access import require_member_of, require_roles, visible_outgoing
from lienthong.office.model import Actor, OfficeAgency, Role, Unit
from lienthong.pki.model import SigningIdentity


@dataclass(frozen=True, slots=True)
class ReportChannel:
    """How an office sends a report: the agency's organisation key (by agency code) and
    a sender of signed package bytes (``HubClient.send``)."""

    identity: Callable[[str], SigningIdentity]
    send: Callable[[bytes], SendResult]


@dataclass(frozen=True, slots=True)
class SentReport:
    """A report sent: its number, DocumentId, the hub's package id, and the figures."""

    number: int
    document_id: str
    package_id: str
    duplicate: bool
    report: StatisticsReport


_Loaded = tuple[OfficeAgency, list[DocumentRow], Unit | None, dict[int, str]]


class AgencyMonitor:
    """Measures and reports of the agencies an office hosts."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        clock: Clock,
        targets: TargetTable,
        government: Sequence[str],
        monitor_agency: str,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self.targets = targets
        self.government = tuple(government)
        self.monitor_agency = monitor_agency

    # -- reading ---------------------------------------------------------------------------

    def _agency_id(self, actor: Actor, agency_id: int | None) -> int:
        target = agency_id if agency_id is not None else actor.agency_id
        if target is None:
            raise PermissionDenied("name the agency", code="office.no_agency", action="monitor")
        require_member_of(actor, target)
        return target

    def _load(
        self, actor: Actor, period: Period, agency_id: int | None, unit: str | None
    ) -> _Loaded:
        target = self._agency_id(actor, agency_id)
        with self._uow() as uow:
            agency = uow.office.people.agency(target)
            queries = MonitorQueries(uow.session)
            tree = queries.agency_tree(self.government)
            rows = queries.rows(target, tree, period)
            units = queries.unit_names(target)
            chosen = uow.office.people.unit_by_abbreviation(target, unit.strip()) if unit else None
        return agency, rows, chosen, units

    def _scope(self, agency: OfficeAgency, unit_name: str | None = None) -> Scope:
        return Scope(agency.code, agency.name, unit_name)

    @property
    def today(self) -> date:
        """Today in Vietnam (what processing is judged on while a period runs)."""
        return vn_day(self._clock.now())

    def measures(
        self, actor: Actor, period: Period, *, agency_id: int | None = None, unit: str | None = None
    ) -> MeasureTable:
        """Every measure of the agency (or of one unit, by abbreviation) for ``period``."""
        agency, rows, chosen, _ = self._load(actor, period, agency_id, unit)
        return measure_table(
            rows,
            period,
            scope=self._scope(agency, chosen.name if chosen else None),
            targets=self.targets,
            today=self.today,
            unit_id=chosen.id if chosen else None,
        )

    def status(
        self,
        actor: Actor,
        period: Period,
        *,
        group_by: GroupBy = GroupBy.UNIT,
        agency_id: int | None = None,
        unit: str | None = None,
    ) -> StatusReport:
        """The processing-status form per agency, unit or handler."""
        agency, rows, chosen, units = self._load(actor, period, agency_id, unit)
        kept = counted(rows, period, unit_id=chosen.id if chosen else None).rows
        if group_by is GroupBy.HANDLER:
            with self._uow() as uow:
                ids = [r.handler_id for r in kept if r.handler_id is not None]
                names = MonitorQueries(uow.session).user_names(ids)
        else:
            names = units
        return status_report(
            kept,
            scope=self._scope(agency, chosen.name if chosen else None),
            period=period,
            as_of=period.as_of(self.today),
            group_by=group_by,
            names=names,
        )

    def registers(
        self, actor: Actor, period: Period, *, agency_id: int | None = None, unit: str | None = None
    ) -> RegistersSummary:
        """The registers' summary: documents per type and form."""
        agency, rows, chosen, _ = self._load(actor, period, agency_id, unit)
        kept = counted(rows, period, unit_id=chosen.id if chosen else None).rows
        return registers_summary(
            kept, scope=self._scope(agency, chosen.name if chosen else None), period=period
        )

    def evaluation(
        self, actor: Actor, period: Period, *, agency_id: int | None = None
    ) -> Evaluation:
        """The evaluation table of every unit (usually for a year)."""
        agency, rows, _, units = self._load(actor, period, agency_id, None)
        return evaluation(
            counted(rows, period).rows,
            scope=self._scope(agency),
            period=period,
            as_of=period.as_of(self.today),
            targets=self.targets,
            units=units,
        )

    def statistics(
        self, actor: Actor, period: Period, *, agency_id: int | None = None
    ) -> tuple[StatisticsReport, MeasureTable]:
        """The report the agency sends for ``period``, and the table it comes from."""
        table = self.measures(actor, period, agency_id=agency_id)
        form = self.status(actor, period, group_by=GroupBy.AGENCY, agency_id=agency_id)
        return statistics_report(table, form.total, generated_at=self._clock.now()), table

    # -- writing ---------------------------------------------------------------------------

    def mark_dossier(self, actor: Actor, outgoing_id: int, *, dossier: bool | None) -> None:
        """Say whether an outgoing document is a dossier submitted for decision (hồ sơ
        trình); ``None`` lets its type decide (a Tờ trình is one). Clerks and leaders."""
        require_roles(actor, Role.CLERK, Role.LEADER, action="mark a dossier")
        target = self._agency_id(actor, None)
        with self._uow() as uow:
            visible_outgoing(uow, actor, outgoing_id)
            MonitorQueries(uow.session).set_dossier(target, outgoing_id, dossier)
            uow.commit()

    def send_report(
        self,
        actor: Actor,
        period: Period,
        channel: ReportChannel,
        *,
        agency_id: int | None = None,
        pdf: Callable[[MeasureTable], bytes] | None = None,
    ) -> SentReport:
        """Build, sign and send the statistics report of ``period`` to the monitor agency.

        The report takes the next number of the agency's yearly report series
        (``monitor_sent``, apart from the outgoing register); the row is written before
        sending and marked ``sent`` (or ``failed``, with the error) after."""
        require_roles(
            actor, Role.CLERK, Role.LEADER, Role.ADMIN, Role.OPERATOR, Role.SYSTEM,
            action="send the statistics report",
        )  # fmt: skip
        report, table = self.statistics(actor, period, agency_id=agency_id)
        payload = encode(report)
        target = self._agency_id(actor, agency_id)
        now = self._clock.now()
        with self._uow() as uow:
            agency = uow.office.people.agency(target)
            monitor = uow.agencies.resolve(self.monitor_agency)
        number, row_id = self._take_number(target, period, monitor.code, payload, now)
        document_id = ""
        try:
            package = report_package(
                report,
                payload,
                recipient=m.Organization(monitor.code, monitor.name),
                number=number,
                notation=f"BC-{agency.abbreviation}",
                signer_name=actor.display_name,
                now=now.astimezone(VN_TZ).replace(tzinfo=None, microsecond=0),
                pdf=pdf(table) if pdf else None,
            )
            document_id = package.header.document_id
            signed = sign_package(package_to_bytes(package), channel.identity(agency.code))
            result = channel.send(signed)
        except LienthongError as exc:
            self._finish(row_id, document_id, state="failed", error=f"{exc.code}: {exc.message}")
            raise
        self._finish(row_id, document_id, state="sent", package_id=result.package_id)
        return SentReport(number, document_id, result.package_id, result.duplicate, report)

    def sent(
        self, actor: Actor, *, agency_id: int | None = None, limit: int = 50
    ) -> list[dict[str, object]]:
        """The agency's latest report sends, newest first."""
        target = self._agency_id(actor, agency_id)
        query = (
            select(monitor_sent)
            .where(monitor_sent.c.agency_id == target)
            .order_by(monitor_sent.c.id.desc())
            .limit(limit)
        )
        with self._uow() as uow:
            return [dict(r._mapping) for r in uow.session.execute(query)]

    def _take_number(
        self, agency_id: int, period: Period, recipient: str, payload: bytes, now: datetime
    ) -> tuple[int, int]:
        year = vn_day(now).year
        for _attempt in range(5):
            try:
                with self._uow() as uow:
                    last = uow.session.execute(
                        select(func.max(monitor_sent.c.number)).where(
                            monitor_sent.c.agency_id == agency_id, monitor_sent.c.year == year
                        )
                    ).scalar_one()
                    number = int(last or 0) + 1
                    row_id = uow.session.execute(
                        insert(monitor_sent)
                        .values(
                            agency_id=agency_id, period=period.key, year=year, number=number,
                            document_id="", recipient_code=recipient,
                            payload_sha256=hashlib.sha256(payload).hexdigest(),
                            state="pending", created_at=now,
                        )
                        .returning(monitor_sent.c.id)
                    ).scalar_one()  # fmt: skip
                    uow.commit()
                    return number, int(row_id)
            except IntegrityError:  # another send took the number first: take the next
                continue
        raise Conflict("could not take a report number; try again", code="monitor.number_busy")

    def _finish(
        self,
        row_id: int,
        document_id: str,
        *,
        state: str,
        package_id: str | None = None,
        error: str | None = None,
    ) -> None:
        with self._uow() as uow:
            uow.session.execute(
                update(monitor_sent)
                .where(monitor_sent.c.id == row_id)
                .values(
                    document_id=document_id,
                    state=state,
                    hub_package_id=package_id,
                    error=error[:500] if error else None,
                    sent_at=self._clock.now() if state == "sent" else None,
                )
            )
            uow.commit()
