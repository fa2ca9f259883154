"""Process-local wake-ups: who a notification wakes, and the NOTIFY payload."""

from __future__ import annotations

from lienthong.hub.notify import Notifier, parse_payload, payload_pushes
from lienthong.hub.repository import NOTIFY_PAYLOAD_MAX, notify_payload


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


def test_a_payload_names_the_agencies_or_every_agency_when_they_would_not_fit() -> None:
    assert notify_payload([17, 3, 3], push=False) == "3,17"
    assert notify_payload([17, 3], push=True) == "push,3,17"
    assert notify_payload([], push=True) == ""
    many = range(10_000, 12_000)  # 2,000 ids of 5 digits: ~12,000 characters
    for push in (False, True):
        payload = notify_payload(many, push=push)
        assert len(payload.encode()) < NOTIFY_PAYLOAD_MAX
        assert parse_payload(payload) is None
        assert payload_pushes(payload) is push
    fits = range(1, 1_400)  # ~5,900 characters: every id listed, none cut off
    assert parse_payload(notify_payload(fits, push=True)) == list(fits)
    assert parse_payload("push,all") is None
    assert parse_payload("3,all") is None


def test_a_notification_about_every_agency_wakes_every_long_poll() -> None:
    notifier = Notifier()
    with (
        notifier.waiting_thread([3]) as one,
        notifier.waiting_thread([99]) as other,
        notifier.waiting_thread(pushes_only=True) as pusher,
    ):
        assert notifier.notify(None, push=False) == 2
        assert one.wait_blocking(0)
        assert other.wait_blocking(0)
        assert not pusher.wait_blocking(0)
        assert notifier.notify(None, push=True) == 3
        assert pusher.wait_blocking(0)
