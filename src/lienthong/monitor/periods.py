"""Reporting periods: a month (``2026-11``), a quarter (``2026-Q3``) or a year (``2026``).

Periods are Vietnam calendar periods: a document belongs to the period that contains its
placing day (see :mod:`.measures`) in Vietnam time, so a document registered at 23:30 on
30 September (ICT) is in the third quarter even though it is 16:30 UTC.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lienthong.clock import VN_TZ
from lienthong.errors import ValidationError

#: Years a period may name (a guard against typos such as ``20026``).
FIRST_YEAR, LAST_YEAR = 2000, 2100
_ROMAN = ("I", "II", "III", "IV")
_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One reporting period; ``index`` is the month (1–12), the quarter (1–4) or 1."""

    year: int
    kind: PeriodKind
    index: int = 1

    def __post_init__(self) -> None:
        limit = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[self.kind]
        if not FIRST_YEAR <= self.year <= LAST_YEAR or not 1 <= self.index <= limit:
            raise ValidationError(f"no such period: {self.key}", code="monitor.period")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11``, ``2026-Q3`` (or ``2026-q3``) or ``2026``."""
        match = _PATTERN.match(text.strip())
        if match is None:
            raise ValidationError(
                f"{text!r} is not a period: write 2026-11 (month), 2026-Q3 (quarter) or 2026",
                code="monitor.period",
            )
        year = int(match["year"])
        if match["month"]:
            return cls(year, PeriodKind.MONTH, int(match["month"]))
        if match["quarter"]:
            return cls(year, PeriodKind.QUARTER, int(match["quarter"]))
        return cls(year, PeriodKind.YEAR)

    @classmethod
    def year_of(cls, year: int) -> Period:
        return cls(year, PeriodKind.YEAR)

    @property
    def key(self) -> str:
        """The canonical text: ``2026-11``, ``2026-Q3``, ``2026``."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}-Q{self.index}"
        return f"{self.year}"

    def __str__(self) -> str:
        return self.key

    @property
    def label_vi(self) -> str:
        """``tháng 11 năm 2026``, ``quý III năm 2026``, ``năm 2026``."""
        if self.kind is PeriodKind.MONTH:
            return f"tháng {self.index:02d} năm {self.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"quý {_ROMAN[self.index - 1]} năm {self.year}"
        return f"năm {self.year}"

    @property
    def start(self) -> date:
        """The first day."""
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.index, 1)
        if self.kind is PeriodKind.QUARTER:
            return date(self.year, 3 * self.index - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The last day (inclusive)."""
        return self.next_start - timedelta(days=1)

    @property
    def next_start(self) -> date:
        """The first day after the period."""
        if self.kind is PeriodKind.YEAR:
            return date(self.year + 1, 1, 1)
        months = 1 if self.kind is PeriodKind.MONTH else 3
        month = self.start.month + months
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.next_start

    @property
    def instants(self) -> tuple[datetime, datetime]:
        """``[from, until)`` as aware instants: Vietnam midnight of the first day and of
        the day after the period (what database queries compare times with)."""
        return (
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=VN_TZ),
            datetime(
                self.next_start.year, self.next_start.month, self.next_start.day, tzinfo=VN_TZ
            ),
        )

    def as_of(self, today: date) -> date:
        """The day processing is judged on: the period's last day, or today while the
        period is not over."""
        return min(self.end, today)


def vn_day(at: datetime) -> date:
    """The Vietnam calendar day of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(VN_TZ).date()
