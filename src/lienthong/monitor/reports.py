"""The report forms, as plain data built from counted rows (:func:`.measures.counted`).

- :class:`StatusReport` — the processing-status form (tình hình xử lý văn bản đến) per
  agency, unit or handler: received, finished on time, finished late, in progress within
  the deadline, overdue, without a deadline. The five states partition what was received.
- :class:`RegistersSummary` — how many documents each register holds per document type
  and form (outgoing and incoming, electronic / mixed / paper).
- :class:`Evaluation` — the yearly evaluation table: each unit's use of electronic
  documents, ranked by the share of fully electronic documents.

Every form excludes confidential and withdrawn documents, like the measures.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from lienthong.edxml.doctypes import lookup_doctype
from lienthong.monitor.measures import (
    DOCUMENT_MEASURES,
    Direction,
    DocumentRow,
    Measure,
    Processing,
    Scope,
    measure,
    processing_measures,
)
from lienthong.monitor.periods import Period
from lienthong.monitor.targets import TargetTable
from lienthong.office.model import DocumentForm

#: The label of rows with no unit / no handler.
NONE_LABEL = "(chưa xác định)"


class GroupBy(enum.StrEnum):
    AGENCY = "agency"
    UNIT = "unit"
    HANDLER = "handler"

    @property
    def label_vi(self) -> str:
        return {"agency": "Cơ quan", "unit": "Đơn vị", "handler": "Người xử lý"}[self.value]


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One line of the processing-status form."""

    label: str
    received: int
    on_time: int
    late: int
    in_progress: int
    overdue: int
    no_deadline: int

    @property
    def finished(self) -> int:
        return self.on_time + self.late

    def cells(self) -> tuple[int, ...]:
        return (
            self.received,
            self.on_time,
            self.late,
            self.in_progress,
            self.overdue,
            self.no_deadline,
        )


STATUS_COLUMNS = (
    "Tổng số văn bản đến",
    Processing.ON_TIME.label_vi,
    Processing.LATE.label_vi,
    Processing.IN_PROGRESS.label_vi,
    Processing.OVERDUE.label_vi,
    Processing.NO_DEADLINE.label_vi,
)


@dataclass(frozen=True, slots=True)
class StatusReport:
    scope: Scope
    period: Period
    as_of: date
    group_by: GroupBy
    rows: tuple[StatusRow, ...]
    total: StatusRow


def _status_row(label: str, rows: Iterable[DocumentRow], as_of: date) -> StatusRow:
    states = Counter(r.processing(as_of) for r in rows)
    return StatusRow(
        label,
        sum(states.values()),
        states[Processing.ON_TIME],
        states[Processing.LATE],
        states[Processing.IN_PROGRESS],
        states[Processing.OVERDUE],
        states[Processing.NO_DEADLINE],
    )


def status_report(
    rows: Sequence[DocumentRow],
    *,
    scope: Scope,
    period: Period,
    as_of: date,
    group_by: GroupBy,
    names: Mapping[int, str],
) -> StatusReport:
    """The form over counted rows; ``names`` names units or handlers by id. Groups are
    in name order, the one without a unit/handler last."""
    incoming = [r for r in rows if r.direction is Direction.INCOMING]
    key: Callable[[DocumentRow], int | None]
    if group_by is GroupBy.AGENCY:
        lines = [_status_row(scope.agency_name, incoming, as_of)]
    else:
        key = (lambda r: r.unit_id) if group_by is GroupBy.UNIT else (lambda r: r.handler_id)
        groups: dict[int | None, list[DocumentRow]] = defaultdict(list)
        for row in incoming:
            groups[key(row)].append(row)
        named = sorted(
            ((names.get(k, f"#{k}"), k) for k in groups if k is not None), key=lambda p: p[0]
        )
        lines = [_status_row(label, groups[k], as_of) for label, k in named]
        if None in groups:
            lines.append(_status_row(NONE_LABEL, groups[None], as_of))
    total = _status_row("Tổng cộng", incoming, as_of)
    return StatusReport(scope, period, as_of, group_by, tuple(lines), total)


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """Documents of one type: outgoing and incoming, per form."""

    doctype: str
    outgoing: Mapping[DocumentForm, int]
    incoming: Mapping[DocumentForm, int]

    @property
    def total(self) -> int:
        return sum(self.outgoing.values()) + sum(self.incoming.values())

    def cells(self) -> tuple[int, ...]:
        forms = list(DocumentForm)
        return (
            *(self.outgoing.get(f, 0) for f in forms),
            *(self.incoming.get(f, 0) for f in forms),
            self.total,
        )


REGISTER_COLUMNS = (
    "Đi: điện tử",
    "Đi: điện tử và giấy",
    "Đi: giấy",
    "Đến: điện tử",
    "Đến: điện tử và giấy",
    "Đến: giấy",
    "Tổng số",
)


@dataclass(frozen=True, slots=True)
class RegistersSummary:
    scope: Scope
    period: Period
    lines: tuple[RegisterLine, ...]
    total: RegisterLine


def doctype_label(key: str) -> str:
    """A document type's name from its key (or the name the sender gave)."""
    if not key:
        return "(không rõ loại)"
    doctype = lookup_doctype(key)
    return doctype.name if doctype is not None else key


def _register_line(label: str, rows: Iterable[DocumentRow]) -> RegisterLine:
    out: Counter[DocumentForm] = Counter()
    inc: Counter[DocumentForm] = Counter()
    for r in rows:
        (out if r.direction is Direction.OUTGOING else inc)[r.form] += 1
    return RegisterLine(label, dict(out), dict(inc))


def registers_summary(
    rows: Sequence[DocumentRow], *, scope: Scope, period: Period
) -> RegistersSummary:
    """Counts per document type (most documents first, then by name) and form."""
    by_type: dict[str, list[DocumentRow]] = defaultdict(list)
    for row in rows:
        by_type[doctype_label(row.doctype)].append(row)
    ordered = sorted(by_type.items(), key=lambda item: (-len(item[1]), item[0]))
    lines = tuple(_register_line(label, docs) for label, docs in ordered)
    return RegistersSummary(scope, period, lines, _register_line("Tổng cộng", rows))


#: The measures the evaluation shows per unit, the first being the ranking key.
EVALUATION_MEASURES = ("electronic", "mixed", "scanned", "signed", "processing_on_time")


@dataclass(frozen=True, slots=True)
class EvaluationLine:
    """One unit: its rank (``None`` when it has no document), documents and measures."""

    rank: int | None
    unit: str
    documents: int
    measures: tuple[Measure, ...]


_Key = tuple[bool, Fraction, int, str]


@dataclass(frozen=True, slots=True)
class Evaluation:
    scope: Scope
    period: Period
    as_of: date
    lines: tuple[EvaluationLine, ...]
    total: EvaluationLine


def _unit_measures(
    rows: Sequence[DocumentRow], period: Period, as_of: date, targets: TargetTable
) -> tuple[Measure, ...]:
    specs = {s.name: s for s in (*DOCUMENT_MEASURES, *processing_measures(as_of))}
    return tuple(
        measure(specs[n], rows, targets.for_year(n, period.year)) for n in EVALUATION_MEASURES
    )


def evaluation(
    rows: Sequence[DocumentRow],
    *,
    scope: Scope,
    period: Period,
    as_of: date,
    targets: TargetTable,
    units: Mapping[int, str],
) -> Evaluation:
    """Every unit of ``units`` (and the documents without a unit), ranked by the share
    of fully electronic documents, then by the number of documents; equal shares and
    counts share a rank (1, 2, 2, 4). Units without documents come last, unranked."""
    groups: dict[int | None, list[DocumentRow]] = {k: [] for k in units}
    for row in rows:
        groups.setdefault(row.unit_id, []).append(row)
    built = [
        (units.get(k, NONE_LABEL) if k is not None else NONE_LABEL, docs)
        for k, docs in groups.items()
        if k is not None or docs
    ]
    scored = [(label, docs, _unit_measures(docs, period, as_of, targets)) for label, docs in built]

    def exact(m: Measure) -> Fraction | None:
        return Fraction(m.numerator, m.denominator) if m.has_data else None

    def sort_key(item: tuple[str, list[DocumentRow], tuple[Measure, ...]]) -> _Key:
        label, docs, measures = item
        share = exact(measures[0])
        return (share is None, -(share or Fraction(0)), -len(docs), label)

    scored.sort(key=sort_key)
    lines: list[EvaluationLine] = []
    previous: tuple[Fraction, int] | None = None
    rank = 0
    for position, (label, docs, measures) in enumerate(scored, start=1):
        share = exact(measures[0])
        if share is None:
            lines.append(EvaluationLine(None, label, len(docs), measures))
            continue
        if previous != (share, len(docs)):
            rank = position
            previous = (share, len(docs))
        lines.append(EvaluationLine(rank, label, len(docs), measures))
    total = EvaluationLine(
        None, "Toàn cơ quan", len(rows), _unit_measures(rows, period, as_of, targets)
    )
    return Evaluation(scope, period, as_of, tuple(lines), total)
