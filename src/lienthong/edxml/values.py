"""Values on the wire: dates ``yyyy/MM/dd``, timestamps ``yyyy/MM/dd HH:mm:ss``, text.

Reading is lenient (``-`` accepted for ``/``, a ``T`` for the space, seconds optional);
writing always uses the standard forms.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from lienthong.text import nfc

_DATE = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")
_TIMESTAMP = re.compile(
    r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


class BadValue(ValueError):
    """A value that cannot be read; ``reason`` says why (``unreadable`` or ``impossible``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean(text: str | None) -> str:
    """Element text as the model stores it: NFC, surrounding whitespace removed."""
    if not text:
        return ""
    return nfc(text).strip()


def parse_date(text: str) -> date:
    """``2015/09/30`` (or ``2015-09-30``) → ``date``; :class:`BadValue` otherwise."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise BadValue("unreadable")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadValue("impossible") from None


def parse_timestamp(text: str) -> datetime:
    """``2015/09/20 11:08:36`` → naive ``datetime`` (Vietnam time); :class:`BadValue` otherwise.

    A date alone reads as midnight.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise BadValue("unreadable")
    hour, minute, second = (int(match[i] or 0) for i in (4, 5, 6))
    try:
        return datetime(  # noqa: DTZ001 - the wire carries local Vietnam time without a zone
            int(match[1]), int(match[2]), int(match[3]), hour, minute, second
        )
    except ValueError:
        raise BadValue("impossible") from None


def format_date(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_timestamp(value: datetime) -> str:
    return f"{format_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
