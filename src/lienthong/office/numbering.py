"""Numbering rules: which series a document takes its number from, and how it is written.

- An agency numbers the documents it issues from 01 on 1 January to 31 December (Vietnam
  time); documents with state secrets have their own series.
- Incoming documents get an incoming number (số đến) from their own yearly series, shared
  by paper and electronic arrivals; those with state secrets are entered in a separate
  secret register with its own series.
- Numbers below 10 take a leading zero; ``/`` separates the number from the notation.

The numbers themselves come from ``office_counters`` (see
:class:`lienthong.office.repository_records.CounterRepository`): allocated inside the
issuing transaction, so a failed issue never burns a number and two clerks never get the
same one.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from lienthong.clock import VN_TZ
from lienthong.edxml.doctypes import DocType, build_notation, format_number
from lienthong.office.model import Confidentiality


class Series(enum.StrEnum):
    """The yearly number series of an agency."""

    OUTGOING = "out"
    OUTGOING_SECRET = "out_secret"  # noqa: S105 - a series name, not a password
    INCOMING = "in"
    INCOMING_SECRET = "in_secret"  # noqa: S105 - a series name, not a password

    @property
    def outgoing(self) -> bool:
        return self in (Series.OUTGOING, Series.OUTGOING_SECRET)

    @property
    def secret(self) -> bool:
        return self in (Series.OUTGOING_SECRET, Series.INCOMING_SECRET)


def outgoing_series(confidentiality: Confidentiality) -> Series:
    """The series an outgoing document is numbered in."""
    return Series.OUTGOING_SECRET if confidentiality.secret else Series.OUTGOING


def incoming_series(confidentiality: Confidentiality) -> Series:
    """The series an incoming document is numbered in."""
    return Series.INCOMING_SECRET if confidentiality.secret else Series.INCOMING


def register_series(kind: str, *, secret: bool) -> Series:
    """The series of a register: ``kind`` is ``out`` or ``in``."""
    if kind == "out":
        return Series.OUTGOING_SECRET if secret else Series.OUTGOING
    if kind == "in":
        return Series.INCOMING_SECRET if secret else Series.INCOMING
    raise ValueError(f"register kind must be 'in' or 'out', not {kind!r}")


def vn_date(at: datetime) -> date:
    """The calendar day of an instant in Vietnam (what the register and the year use)."""
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(VN_TZ).date()


def day_start(day: date, *, next_day: bool = False) -> datetime:
    """The instant a Vietnam calendar day starts (or the day after, with ``next_day``)."""
    start = datetime(day.year, day.month, day.day, tzinfo=VN_TZ)
    return start + timedelta(days=1) if next_day else start


def numbering_year(at: datetime) -> int:
    """The year whose series an instant belongs to (Vietnam time: 1 January 00:00 ICT)."""
    return vn_date(at).year


def written_number(number: int) -> str:
    """``5`` → ``05``; ``123`` → ``123``."""
    return format_number(number)


def outgoing_notation(doctype: DocType, agency_abbreviation: str, unit_abbreviation: str) -> str:
    """The notation of an outgoing document.

    Named types carry the type and the agency (``QĐ-UBND``); a công văn or thư công, which
    has no type abbreviation, carries the agency and the drafting unit (``VPCP-TTĐT``).
    """
    if doctype.abbreviation is None:
        return build_notation(doctype, agency_abbreviation, unit_abbreviation)
    return build_notation(doctype, agency_abbreviation)


def code_of(number: int, notation: str) -> str:
    """Number and notation as written after ``Số:`` — ``12/QĐ-UBND``."""
    return f"{written_number(number)}/{notation}"
