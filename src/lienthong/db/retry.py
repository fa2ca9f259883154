"""Running a use case again when the database refused it for a moment.

On SQLite one writer at a time: a unit of work that read, then wants to write after
another connection committed, is refused at once ("database is locked"), whatever the busy
timeout. The unit of work turns that into ``StorageError`` ``storage.unavailable`` and
rolls back; a use case commits all or nothing, so running it again is safe. The web pages
and the exchange's background loops use :func:`retrying`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from lienthong.errors import StorageError

_T = TypeVar("_T")

#: Attempts of a use case the database refused for a moment.
ATTEMPTS = 3


def retrying(call: Callable[[], _T], *, attempts: int = ATTEMPTS, pause_s: float = 0.1) -> _T:
    """``call()``, again (after ``pause_s``, then twice that…) while it fails with
    ``storage.unavailable``, at most ``attempts`` times in all; other errors at once."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except StorageError as exc:
            if exc.code != "storage.unavailable" or attempt == attempts:
                raise
            time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
