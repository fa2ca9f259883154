"""Process-local wake-ups: who a notification wakes, and the NOTIFY payload."""

from __future__ import annotations

from lienthong.hub.notify import Notifier, parse_payload, payload_pushes


def test_long_polls_wake_for_their_agencies_whether_or_not_anything_is_pushed() -> None:
    notifier = Notifier()
    with notifier.waiting_thread([3, 17]) as mine, notifier.waiting_thread([99]) as other:
        assert notifier.notify([17, 42], push=False) == 1
        assert mine.wait_blocking(0)
        assert not other.wait_blocking(0)
        assert notifier.notify([99]) == 1
        assert other.wait_blocking(0)


def test_the_push_worker_sleeps_through_deliveries_that_nobody_pushes() -> None:
    notifier = Notifier()
    with notifier.waiting_thread(pushes_only=True) as pusher:
        assert notifier.notify([5], push=False) == 0
        assert not pusher.wait_blocking(0)
        assert notifier.notify([5], push=True) == 1
        assert pusher.wait_blocking(0)
        assert notifier.notify([6]) == 1  # the default: assume a push is due
        assert pusher.wait_blocking(0)
        assert notifier.notify_all() == 1
        assert pusher.wait_blocking(0)


def test_payloads_carry_the_agencies_and_the_push_mark() -> None:
    assert parse_payload("3,17,42") == [3, 17, 42]
    assert parse_payload("push,3,17") == [3, 17]
    assert parse_payload("x, 5 ,,") == [5]
    assert payload_pushes("push,3")
    assert not payload_pushes("3,17")
    assert not payload_pushes("")
