"""Injected time, so services, tests and replays are deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

#: Vietnam time (ICT, UTC+7, no daylight saving): what documents show.
VN_TZ = timezone(timedelta(hours=7), "ICT")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: returns a fixed instant until advanced."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at = self._at + delta

    def set(self, at: datetime) -> None:
        self._at = at
