"""The home page: my tasks, overdue documents, new arrivals, and this month's flow."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lienthong.clock import VN_TZ
from lienthong.office.documents import IncomingDocument, OutgoingDocument
from lienthong.office.model import Actor, Role, Urgency
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import IncomingState, OutgoingState
from lienthong.web.charts import Series, daily_bars
from lienthong.web.context import WebContext
from lienthong.web.i18n import Translator
from lienthong.web.pages import Ctx, Me, render, translator

router = APIRouter()

_I, _O = IncomingState, OutgoingState


@dataclass(frozen=True, slots=True)
class Task:
    """Something waiting for the reader: what to do and on which document."""

    what: str
    href: str
    subject: str
    urgency: Urgency
    overdue: bool = False


def _incoming_task(key: str, d: IncomingDocument) -> Task:
    return Task(key, f"/incoming/{d.id}", d.subject, d.urgency, d.overdue)


def _outgoing_task(key: str, d: OutgoingDocument) -> Task:
    return Task(key, f"/outgoing/{d.id}", d.subject, d.urgency)


def tasks_of(ctx: WebContext, me: Actor) -> list[Task]:
    """What each of the reader's roles has waiting, most urgent first."""
    office = ctx.office
    tasks: list[Task] = []

    def incoming(*states: IncomingState, mine: bool = False) -> list[IncomingDocument]:
        filters = IncomingFilter(states=states, handler_id=me.user_id if mine else None)
        return list(office.incoming.search(me, filters))

    def outgoing(*states: OutgoingState) -> list[OutgoingDocument]:
        return list(office.outgoing.search(me, OutgoingFilter(states=states)))

    if me.has(Role.CLERK):
        tasks += [_incoming_task("task.accept", d) for d in incoming(_I.RECEIVED)]
        tasks += [_incoming_task("task.recall", d) for d in incoming(_I.RECALL_REQUESTED)]
        tasks += [_outgoing_task("task.issue", d) for d in outgoing(_O.SIGNED)]
        tasks += [_outgoing_task("task.agency_sign", d) for d in outgoing(_O.REGISTERED)]
        tasks += [_outgoing_task("task.dispatch", d) for d in outgoing(_O.READY_TO_DISPATCH)]
    if me.has(Role.LEADER):
        tasks += [_incoming_task("task.assign", d) for d in incoming(_I.REGISTERED)]
        tasks += [
            _outgoing_task("task.sign", d)
            for d in outgoing(_O.IN_REVIEW)
            if d.signer_id == me.user_id
        ]
    if me.has(Role.SPECIALIST, Role.LEADER, Role.CLERK):
        tasks += [
            _incoming_task("task.handle", d)
            for d in incoming(_I.ASSIGNED, _I.IN_PROGRESS, mine=True)
        ]
        tasks += [
            _outgoing_task("task.revise", d)
            for d in outgoing(_O.DRAFT)
            if d.drafter_id == me.user_id
        ]
    if me.has(Role.ADMIN):
        tasks.append(Task("task.admin", "/admin", "", Urgency.NORMAL))
    return sorted(tasks, key=lambda t: (-t.urgency.priority, not t.overdue))


def month_days(today: date) -> list[date]:
    """Every day of ``today``'s month up to ``today``."""
    first = today.replace(day=1)
    return [first + timedelta(days=i) for i in range((today - first).days + 1)]


def flow_chart(
    ctx: WebContext, me: Actor, t: Translator
) -> tuple[str, list[tuple[date, int, int]]]:
    """This month's incoming (by arrival) and outgoing (by issue) documents per day."""
    today = ctx.clock.now().astimezone(VN_TZ).date()
    days = month_days(today)
    incoming = ctx.office.incoming.search(me, IncomingFilter(received_from=days[0]))
    outgoing = ctx.office.outgoing.search(me, OutgoingFilter(issued_from=days[0]))
    ins = Counter(d.received_at.astimezone(VN_TZ).date() for d in incoming)
    outs = Counter(d.issued_at.astimezone(VN_TZ).date() for d in outgoing if d.issued_at)
    rows = [(d, ins.get(d, 0), outs.get(d, 0)) for d in days]
    total_in, total_out = sum(r[1] for r in rows), sum(r[2] for r in rows)
    svg = daily_bars(
        days,
        [
            Series(t("home.flow.in"), tuple(r[1] for r in rows)),
            Series(t("home.flow.out"), tuple(r[2] for r in rows)),
        ],
        title=t("home.flow", month=today.month, year=today.year),
        description=t("home.flow.desc", incoming=total_in, outgoing=total_out),
    )
    return svg, rows


@router.get("/")
def home(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """The reader's desk."""
    t = translator(request)
    office = ctx.office
    today = ctx.clock.now().astimezone(VN_TZ).date()
    overdue = list(office.incoming.overdue(me))
    arrivals = list(
        office.incoming.search(me, IncomingFilter(received_from=today - timedelta(days=7)))
    )[:8]
    svg, rows = flow_chart(ctx, me, t)
    counts = {
        "waiting": len(office.incoming.search(me, IncomingFilter(states=(_I.RECEIVED,)))),
        "in_progress": len(
            office.incoming.search(me, IncomingFilter(states=(_I.ASSIGNED, _I.IN_PROGRESS)))
        ),
        "overdue": len(overdue),
        "outgoing": len(
            office.outgoing.search(
                me,
                OutgoingFilter(
                    states=(_O.IN_REVIEW, _O.SIGNED, _O.REGISTERED, _O.READY_TO_DISPATCH)
                ),
            )
        ),
    }
    return render(
        request,
        "home.html",
        title=t("home.title"),
        tasks=tasks_of(ctx, me)[:20],
        overdue=overdue[:10],
        arrivals=arrivals,
        chart=svg,
        rows=rows,
        totals=(sum(r[1] for r in rows), sum(r[2] for r in rows)),
        month=(today.month, today.year),
        counts=counts,
    )
