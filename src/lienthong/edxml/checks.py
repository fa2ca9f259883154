"""Value checks shared by the package validators: each places its findings at a path."""

from __future__ import annotations

from datetime import date, datetime

from lienthong.edxml.agency_id import validate_agency_id
from lienthong.edxml.document_id import DocumentIdForm, parse_document_id
from lienthong.edxml.issues import ProblemCollector

__all__ = ["check_agency", "check_date", "check_document_id", "check_timestamp"]

#: Dates before the state existed are typing mistakes.
EARLIEST = date(1945, 9, 2)


def check_agency(out: ProblemCollector, path: str, value: str) -> None:
    """An agency id: errors for garbage, a warning when non-standard."""
    out.add(path, validate_agency_id(value))


def check_document_id(out: ProblemCollector, path: str, value: str) -> None:
    """A document id's form (a UUID is accepted with a warning)."""
    parsed = parse_document_id(value)
    out.add(path, parsed.problems)
    if parsed.form is DocumentIdForm.UUID:
        out.warn(
            path,
            "document_id.uuid",
            f"document id {parsed.value!r} is a UUID, not the national form "
            "<OrganId>,<yyyy/MM/dd>,<number>/<notation>",
        )


def check_date(out: ProblemCollector, path: str, value: date | None, today: date | None) -> None:
    """A date that is present should be neither before 1945 nor (given ``today``) future."""
    if value is None:
        return
    if value < EARLIEST:
        out.warn(path, "date.implausible", f"{value:%Y/%m/%d} is before 1945")
    elif today is not None and value > today:
        out.warn(path, "date.future", f"{value:%Y/%m/%d} is after today ({today:%Y/%m/%d})")


def check_timestamp(out: ProblemCollector, path: str, value: datetime, today: date | None) -> None:
    """A timestamp, judged by its date (timestamps are naive Vietnam time)."""
    check_date(out, path, value.date(), today)
