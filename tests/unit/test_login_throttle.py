"""The login throttle: a sliding window of failures per username and per client."""

from __future__ import annotations

import pytest

from lienthong.office.throttle import LoginThrottle, Throttled


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_sixth_try_after_five_failures_waits_for_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(free=5, window_s=900, now=clock)
    for _ in range(5):
        throttle.check("an", "10.0.0.1")
        throttle.failed("an", "10.0.0.1")
        clock.t += 10

    with pytest.raises(Throttled) as refused:
        throttle.check("an", "10.0.0.2")  # another address: the username still waits
    clock.t = 1000.0 + 900  # the first failure leaves the window
    throttle.check("an", "10.0.0.1")

    assert refused.value.http_status == 429
    assert refused.value.details["retry_after"] == 851  # 900 - (1050 - 1000) + 1


def test_one_address_trying_many_usernames_is_held_too() -> None:
    throttle = LoginThrottle(free=5, free_per_client=3, now=Clock())
    for name in ("a", "b", "c"):
        throttle.failed(name, "10.0.0.9")

    with pytest.raises(Throttled):
        throttle.check("d", "10.0.0.9")
    throttle.check("d", "10.0.0.8")


def test_a_success_clears_the_username_and_unknown_names_count_alike() -> None:
    throttle = LoginThrottle(free=2, now=Clock())
    for name in ("known", "known", "nobody", "nobody"):
        throttle.failed(name, None)
    with pytest.raises(Throttled):
        throttle.check("nobody", None)
    throttle.succeeded("known")

    throttle.check("known", None)


def test_the_table_is_bounded() -> None:
    throttle = LoginThrottle(max_keys=100, now=Clock())
    for n in range(1000):
        throttle.failed(f"user{n}", None)

    assert len(throttle._failures) == 100
