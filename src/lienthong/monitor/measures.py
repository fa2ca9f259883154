"""The compliance measures: pure functions over plain document rows.

The query layer (:mod:`.queries`) turns the office's tables into :class:`DocumentRow`\\ s;
everything else here is arithmetic that ``docs/monitor.md`` defines measure by measure.

Which documents count (:func:`counted`):

- a document belongs to the period containing its **placing day**, in Vietnam time: the
  issue day of an outgoing document (it is in the register from then), the arrival day of
  an incoming one;
- documents with state secrets (Mật, Tối mật, Tuyệt mật) never count;
- **withdrawn** documents never count: an outgoing document recalled or replaced, an
  incoming one cancelled at its sender's request or returned (rejected, so never entered);
- an incoming update or revocation (``link_kind`` ``update`` / ``revoke``) is not a
  document of its own; an incoming document that a later one **replaces** or revokes
  (its ``ref`` is that one's ``linked_ref``) no longer counts — the replacement counts,
  once.

A measure whose population is empty has **no data**: its share, gap and verdict are
``None`` (never 0 % nor 100 %).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from lienthong.monitor.classify import Counterpart
from lienthong.monitor.periods import Period
from lienthong.monitor.targets import Target, TargetTable
from lienthong.office.model import DocumentForm


class Direction(enum.StrEnum):
    OUTGOING = "out"
    INCOMING = "in"


class Processing(enum.StrEnum):
    """Where an incoming document's handling stands on the day it is judged (``as_of``)."""

    ON_TIME = "on_time"  # finished by its deadline (or finished, having none)
    LATE = "late"  # finished after its deadline
    IN_PROGRESS = "in_progress"  # not finished, deadline not passed
    OVERDUE = "overdue"  # not finished, deadline passed
    NO_DEADLINE = "no_deadline"  # not finished, no deadline set

    @property
    def label_vi(self) -> str:
        return _PROCESSING_LABELS[self]


_PROCESSING_LABELS = {
    Processing.ON_TIME: "Đã xử lý đúng hạn",
    Processing.LATE: "Đã xử lý quá hạn",
    Processing.IN_PROGRESS: "Đang xử lý trong hạn",
    Processing.OVERDUE: "Chưa xử lý, đã quá hạn",
    Processing.NO_DEADLINE: "Chưa xử lý, không có hạn",
}
UNFINISHED = frozenset({Processing.IN_PROGRESS, Processing.OVERDUE, Processing.NO_DEADLINE})


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """One document as the measures see it."""

    id: int
    agency_id: int
    direction: Direction
    #: The placing day (issue day / arrival day, Vietnam calendar).
    day: date
    form: DocumentForm
    scanned: bool
    #: Outgoing: signed by the competent person and by the agency; incoming: every
    #: signature the intake checked was valid.
    signed: bool
    confidential: bool = False
    counterparts: frozenset[Counterpart] = frozenset()
    #: Outgoing: the drafting unit; incoming: the lead handler's unit.
    unit_id: int | None = None
    #: The lead handler (incoming).
    handler_id: int | None = None
    #: A dossier submitted for decision (hồ sơ trình) — outgoing.
    dossier: bool = False
    deadline: date | None = None
    finished_on: date | None = None
    withdrawn: bool = False
    #: The edXML DocumentId (outgoing: its own; incoming: the sender's).
    ref: str | None = None
    link_kind: str | None = None
    linked_ref: str | None = None
    #: Document type key (or name when the type is not in the table), for summaries.
    doctype: str = ""

    def processing(self, as_of: date) -> Processing:
        """Where handling stands on ``as_of`` (a finish after ``as_of`` is not yet)."""
        if self.finished_on is not None and self.finished_on <= as_of:
            late = self.deadline is not None and self.finished_on > self.deadline
            return Processing.LATE if late else Processing.ON_TIME
        if self.deadline is None:
            return Processing.NO_DEADLINE
        return Processing.OVERDUE if self.deadline < as_of else Processing.IN_PROGRESS


@dataclass(frozen=True, slots=True)
class Selection:
    """The documents that count, and how many were left out and why."""

    rows: tuple[DocumentRow, ...]
    confidential: int = 0
    withdrawn: int = 0
    superseded: int = 0


def counted(
    rows: Iterable[DocumentRow], period: Period, *, unit_id: int | None = None
) -> Selection:
    """The rows that count for ``period`` (and ``unit_id`` if given); see the module
    docstring. Rows outside the period may be passed: their links still apply."""
    every = list(rows)
    superseded_refs = {
        (r.agency_id, r.direction, r.linked_ref)
        for r in every
        if r.link_kind in ("replace", "revoke") and r.linked_ref and not r.withdrawn
    }
    kept: list[DocumentRow] = []
    confidential = withdrawn = superseded = 0
    for row in every:
        if not period.contains(row.day) or (unit_id is not None and row.unit_id != unit_id):
            continue
        if row.confidential:
            confidential += 1
        elif row.withdrawn or row.link_kind in ("update", "revoke"):
            withdrawn += 1
        elif row.ref and (row.agency_id, row.direction, row.ref) in superseded_refs:
            superseded += 1
        else:
            kept.append(row)
    return Selection(tuple(kept), confidential, withdrawn, superseded)


Predicate = Callable[[DocumentRow], bool]


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    """A measure: share of ``population`` documents that satisfy ``success``."""

    name: str
    label_vi: str
    population: Predicate
    success: Predicate


def _all(_r: DocumentRow) -> bool:
    return True


def _fully(r: DocumentRow) -> bool:
    return r.form is DocumentForm.ELECTRONIC


def _mixed(r: DocumentRow) -> bool:
    return r.form is DocumentForm.MIXED


def _has_electronic(r: DocumentRow) -> bool:
    return r.form is not DocumentForm.PAPER


def _with(*kinds: Counterpart) -> Predicate:
    wanted = frozenset(kinds)
    return lambda r: bool(r.counterparts & wanted)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda r: first(r) and second(r)


_INTERNAL = _with(Counterpart.INTERNAL)
_BETWEEN = _with(Counterpart.BETWEEN, Counterpart.GOVERNMENT)
_SUBORDINATE = _with(Counterpart.SUBORDINATE)


def _government_dossier(r: DocumentRow) -> bool:
    return r.direction is Direction.OUTGOING and r.dossier and _with(Counterpart.GOVERNMENT)(r)


def _incoming(r: DocumentRow) -> bool:
    return r.direction is Direction.INCOMING


#: The document measures, in the order reports show them.
DOCUMENT_MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("electronic", "Văn bản điện tử hoàn toàn", _all, _fully),
    MeasureSpec("mixed", "Văn bản điện tử kèm bản giấy", _all, _mixed),
    MeasureSpec("scanned", "Văn bản scan trong văn bản điện tử", _has_electronic, lambda r: r.scanned),
    MeasureSpec("signed", "Văn bản điện tử có chữ ký số", _has_electronic, lambda r: r.signed),
    MeasureSpec("internal_electronic", "Văn bản nội bộ điện tử hoàn toàn", _INTERNAL, _fully),
    MeasureSpec(
        "internal_scanned",
        "Văn bản scan trong văn bản điện tử nội bộ",
        _both(_INTERNAL, _has_electronic),
        lambda r: r.scanned,
    ),
    MeasureSpec("between_agencies_electronic", "Văn bản giữa các cơ quan điện tử hoàn toàn", _BETWEEN, _fully),
    MeasureSpec("between_agencies_copy", "Văn bản giữa các cơ quan có bản điện tử", _BETWEEN, _has_electronic),
    MeasureSpec("subordinate_electronic", "Văn bản với đơn vị trực thuộc điện tử hoàn toàn", _SUBORDINATE, _fully),
    MeasureSpec("subordinate_mixed", "Văn bản với đơn vị trực thuộc điện tử kèm giấy", _SUBORDINATE, _mixed),
    MeasureSpec(
        "government_dossiers",
        "Hồ sơ trình Chính phủ, Thủ tướng có bản điện tử đầy đủ",
        _government_dossier,
        _has_electronic,
    ),
)  # fmt: skip


def processing_measures(as_of: date) -> tuple[MeasureSpec, ...]:
    """The handling measures over incoming documents, judged on ``as_of``."""

    def state_in(*states: Processing) -> Predicate:
        return lambda r: r.processing(as_of) in states

    return (
        MeasureSpec("processing_on_time", "Văn bản đến đã xử lý đúng hạn", _incoming, state_in(Processing.ON_TIME)),
        MeasureSpec(
            "processing_overdue",
            "Văn bản đến quá hạn (đã xử lý muộn hoặc chưa xử lý)",
            _incoming,
            state_in(Processing.LATE, Processing.OVERDUE),
        ),
        MeasureSpec("processing_unfinished", "Văn bản đến chưa xử lý xong", _incoming, state_in(*UNFINISHED)),
    )  # fmt: skip


def measure_names() -> tuple[str, ...]:
    """Every measure's name, in report order."""
    return tuple(s.name for s in (*DOCUMENT_MEASURES, *processing_measures(date.min)))


@dataclass(frozen=True, slots=True)
class Measure:
    """A share and its target. ``share`` and ``gap`` are percentages (``None``: no data
    or no target); ``met`` is ``None`` when either is missing."""

    name: str
    label_vi: str
    numerator: int
    denominator: int
    target: Target | None = None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    @property
    def share(self) -> float | None:
        return 100 * self.numerator / self.denominator if self.has_data else None

    @property
    def gap(self) -> float | None:
        if self.target is None or not self.has_data:
            return None
        return float(self.target.gap(self.numerator, self.denominator))

    @property
    def met(self) -> bool | None:
        if self.target is None or not self.has_data:
            return None
        return self.target.met_by(self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a table is about: the agency, and the unit when it is one unit's."""

    agency_code: str
    agency_name: str
    unit_name: str | None = None

    @property
    def title(self) -> str:
        return f"{self.unit_name} — {self.agency_name}" if self.unit_name else self.agency_name


@dataclass(frozen=True, slots=True)
class MeasureTable:
    """Every measure of one scope and period."""

    scope: Scope
    period: Period
    as_of: date
    measures: tuple[Measure, ...]
    documents: int = 0
    outgoing: int = 0
    incoming: int = 0
    excluded_confidential: int = 0
    excluded_withdrawn: int = 0
    notes: tuple[str, ...] = field(default=())

    def get(self, name: str) -> Measure:
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)


def measure(spec: MeasureSpec, rows: Sequence[DocumentRow], target: Target | None) -> Measure:
    """One measure over counted rows."""
    population = [r for r in rows if spec.population(r)]
    hits = sum(1 for r in population if spec.success(r))
    return Measure(spec.name, spec.label_vi, hits, len(population), target)


def measure_table(
    rows: Iterable[DocumentRow],
    period: Period,
    *,
    scope: Scope,
    targets: TargetTable,
    today: date,
    unit_id: int | None = None,
) -> MeasureTable:
    """Every measure for ``period`` (judged on :meth:`Period.as_of` ``today``)."""
    selection = counted(rows, period, unit_id=unit_id)
    as_of = period.as_of(today)
    specs = (*DOCUMENT_MEASURES, *processing_measures(as_of))
    kept = selection.rows
    return MeasureTable(
        scope=scope,
        period=period,
        as_of=as_of,
        measures=tuple(measure(s, kept, targets.for_year(s.name, period.year)) for s in specs),
        documents=len(kept),
        outgoing=sum(1 for r in kept if r.direction is Direction.OUTGOING),
        incoming=sum(1 for r in kept if r.direction is Direction.INCOMING),
        excluded_confidential=selection.confidential,
        excluded_withdrawn=selection.withdrawn + selection.superseded,
    )


def pooled(
    name: str, label_vi: str, parts: Iterable[tuple[int, int]], target: Target | None
) -> Measure:
    """A measure summed over several scopes (numerators and denominators added, never
    shares averaged)."""
    numerator = denominator = 0
    for n, d in parts:
        numerator += n
        denominator += d
    return Measure(name, label_vi, numerator, denominator, target)


def labels() -> dict[str, str]:
    """Measure name → Vietnamese label."""
    return {s.name: s.label_vi for s in (*DOCUMENT_MEASURES, *processing_measures(date.min))}
