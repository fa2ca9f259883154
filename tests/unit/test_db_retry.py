"""``retrying``: a use case the database refused for a moment runs again, nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lienthong.db.retry import retrying
from lienthong.errors import StorageError, ValidationError


def _refusing(times: int, error: Exception) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def call() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, call


def test_a_momentary_refusal_is_tried_again() -> None:
    calls, call = _refusing(2, StorageError("database is locked", code="storage.unavailable"))

    assert retrying(call, pause_s=0) == "done"
    assert calls == [1, 2, 3]


def test_it_gives_up_after_the_attempts() -> None:
    calls, call = _refusing(5, StorageError("database is locked", code="storage.unavailable"))

    with pytest.raises(StorageError) as caught:
        retrying(call, attempts=3, pause_s=0)
    assert caught.value.code == "storage.unavailable"
    assert calls == [1, 2, 3]


@pytest.mark.parametrize(
    "error",
    [StorageError("disk full", code="storage.io"), ValidationError("bad", code="validation.x")],
)
def test_other_errors_are_not_tried_again(error: Exception) -> None:
    calls, call = _refusing(1, error)

    with pytest.raises(type(error)):
        retrying(call, pause_s=0)
    assert calls == [1]
