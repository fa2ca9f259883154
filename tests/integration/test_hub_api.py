"""The hub's HTTP API end to end through HubClient / HubAdminClient and a real uvicorn."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hubkit import (
    G12,
    G22,
    H41,
    MASTER_KEY,
    T0,
    HubWorld,
    admin_token,
    build_world,
    serve,
    shared_pki,
)
from lienthong.clock import FixedClock
from lienthong.db.engine import make_engine
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.directory.services import DirectoryService
from lienthong.errors import HubError
from lienthong.hub import schemas as s
from lienthong.hub.app import create_hub_app
from lienthong.hub.client import HubAdminClient, HubClient
from lienthong.hub.secrets import SecretBox
from lienthong.hub.services import HubService
from lienthong.storage import FileBlobStore


@dataclass
class Api:
    world: HubWorld
    url: str
    token: str

    def client(self, system_id: str) -> HubClient:
        return HubClient(
            self.url, system_id, self.world.secrets[system_id], clock=self.world.clock, retries=0
        )

    def admin(self) -> HubAdminClient:
        return HubAdminClient(self.url, self.token, retries=0)


@pytest.fixture
def api(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> Iterator[Api]:
    world = build_world(make_uow, tmp_path / "blobs")
    token = admin_token(world)
    app = create_hub_app(world.hub, background=False)
    with serve(app) as url:
        yield Api(world, url, token)


def test_send_receive_fetch_ack_and_track(api: Api) -> None:
    world = api.world
    data = world.document(G22, [H41, G12])
    with api.client("sys-vpcp") as sender, api.client("sys-nghean") as receiver:
        sent = sender.send(data)
        items = receiver.receive(visibility=30)
        fetched = receiver.fetch(items[0].delivery_id)
        acked = receiver.ack(items[0].delivery_id, "done")
        status = receiver.send(world.status(H41, sent.document_id, "03", description="Đã vào sổ"))
        report = sender.tracking(sent.package_id)
        by_document = sender.tracking_by_document(sent.document_id)

    assert sent.kind == "document"
    assert not sent.duplicate
    assert [d.recipient for d in sent.deliveries] == [H41, G12]
    assert [(i.delivery_id, i.state, i.sender) for i in items] == [
        (sent.deliveries[0].delivery_id, "leased", G22)
    ]
    assert fetched.content == data
    assert fetched.sha256 == hashlib.sha256(data).hexdigest()
    assert [t.organ_id for t in fetched.trace] == [G22, "lienthong-hub"]
    assert acked.state == "done"
    assert status.kind == "status"
    assert [d.recipient for d in status.deliveries] == [G22]
    by_recipient = {r.recipient: r for r in report.recipients}
    assert by_recipient[H41].state == "done"
    assert by_recipient[H41].acknowledged_at is not None
    assert by_recipient[H41].latest_status is not None
    assert by_recipient[H41].latest_status.code == "03"
    assert by_recipient[H41].latest_status.description == "Đã vào sổ"
    assert by_recipient[G12].state == "pending"
    assert by_recipient[G12].latest_status is None
    assert [p.package_id for p in by_document.packages] == [sent.package_id]


def test_a_retried_ack_answers_200_and_a_conflicting_one_409(api: Api) -> None:
    world = api.world
    with api.client("sys-vpcp") as sender, api.client("sys-nghean") as receiver:
        sent = sender.send(world.document(G22, [H41]))
        delivery_id = receiver.receive()[0].delivery_id
        first = receiver.ack(delivery_id, "done")
        again = receiver.ack(delivery_id, "done")
        with pytest.raises(HubError) as conflicting:
            receiver.ack(delivery_id, "fail", reason="nhầm")
        report = sender.tracking(sent.package_id)

    assert (first.state, again.state) == ("done", "done")
    assert again.delivery_id == delivery_id
    assert (conflicting.value.http_status, conflicting.value.code) == (
        409,
        "delivery.already_acknowledged",
    )
    assert report.recipients[0].state == "done"


def test_problems_carry_code_and_axis_code(api: Api) -> None:
    data = api.world.document(G22, ["000.00.09.H99"])
    with api.client("sys-vpcp") as sender, pytest.raises(HubError) as caught:
        sender.send(data)

    assert caught.value.http_status == 422
    assert caught.value.code == "recipient.unknown"
    assert caught.value.axis_code == 18
    assert caught.value.details == {"recipient": "000.00.09.H99"}


def test_a_locked_system_and_a_bad_secret_are_refused(api: Api) -> None:
    with (
        HubClient(api.url, "sys-vpcp", "not-the-secret", clock=api.world.clock, retries=0) as wrong,
        pytest.raises(HubError) as bad,
    ):
        wrong.inbox()
    api.world.hub.systems.lock("sys-vpcp")
    with api.client("sys-vpcp") as locked, pytest.raises(HubError) as refused:
        locked.inbox()

    assert (bad.value.http_status, bad.value.code, bad.value.axis_code) == (
        401,
        "auth.signature",
        15,
    )
    assert (refused.value.http_status, refused.value.code) == (401, "auth.system_locked")


def test_a_replayed_request_is_refused(api: Api) -> None:
    from lienthong.hub.auth import sign_headers

    secret = api.world.secrets["sys-nghean"].encode()
    headers = sign_headers(
        "sys-nghean", secret, "GET", "/api/v1/inbox", "", b"", clock=api.world.clock
    )
    first = httpx.get(f"{api.url}/api/v1/inbox", headers=headers)
    again = httpx.get(f"{api.url}/api/v1/inbox", headers=headers)

    assert first.status_code == 200
    assert again.status_code == 401
    assert again.json()["code"] == "auth.replay"


def test_a_nonce_is_kept_past_the_last_instant_its_request_is_accepted(api: Api) -> None:
    from datetime import timedelta

    from lienthong.errors import AuthError
    from lienthong.hub.auth import EMPTY_SHA256, sign_headers

    clock = api.world.clock
    clock.set(clock.now().replace(microsecond=0))
    window = api.world.hub.config.auth_window_s
    secret = api.world.secrets["sys-nghean"].encode()
    headers = sign_headers("sys-nghean", secret, "GET", "/api/v1/inbox", "", b"", clock=clock)

    def check() -> str:
        return api.world.hub.systems.authenticate_system(
            headers, "GET", "/api/v1/inbox", "", EMPTY_SHA256
        ).system_id

    assert check() == "sys-nghean"
    # Half a second before the timestamp leaves the window (still accepted, whole
    # seconds), after a purge: the nonce must still be there.
    clock.advance(timedelta(seconds=window, milliseconds=500))
    api.world.hub.systems.purge_nonces()
    with pytest.raises(AuthError) as replayed:
        check()

    assert replayed.value.code == "auth.replay"


def test_too_large_a_package_answers_413(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    from lienthong.settings import EdxmlLimits

    world = build_world(make_uow, tmp_path / "b", limits=EdxmlLimits(max_package_bytes=4096))
    data = world.document(G22, [H41], attachment=b"x" * 10_000)
    with serve(create_hub_app(world.hub, background=False)) as url:
        client = HubClient(url, "sys-vpcp", world.secrets["sys-vpcp"], clock=world.clock, retries=0)
        with client, pytest.raises(HubError) as caught:
            client.send(data)

    assert (caught.value.http_status, caught.value.code, caught.value.axis_code) == (
        413,
        "package.limit.size",
        10,
    )
    assert world.counts()["hub_packages"] == 0


def test_bad_query_parameters_answer_400(api: Api) -> None:
    with api.client("sys-nghean") as client, pytest.raises(HubError) as caught:
        client.receive(max=1000)

    assert (caught.value.http_status, caught.value.code, caught.value.axis_code) == (
        400,
        "request.invalid",
        10,
    )


def test_admin_endpoints_manage_agencies_systems_and_webhooks(api: Api) -> None:
    with api.admin() as admin:
        agency = admin.register_agency(
            s.AgencyCreate(name="Sở Nội vụ tỉnh Nghệ An", qcvn_id="000.01.00.H41")
        )
        renamed = admin.update_agency("000.01.00.H41", s.AgencyUpdate(short_name="SNV"))
        locked = admin.lock_agency("000.01.00.H41")
        issued = admin.register_system("sys-snv", "Hệ thống Sở Nội vụ", ["000.01.00.H41"])
        hooked = admin.set_webhook("sys-snv", "https://snv.example/hook")
        hosted = admin.set_system_agencies("sys-snv", ["000.01.00.H41", H41])
        rotated = admin.rotate_secret("sys-snv", grace_seconds=60)
        report = admin.audit_verify()
        queues = admin.queues()

    assert agency.parent == H41
    assert renamed.short_name == "SNV"
    assert locked.state == "locked"
    assert issued.system_id == "sys-snv"
    assert len(issued.secret) >= 40
    assert hooked.webhook_url == "https://snv.example/hook"
    assert hosted.agencies == [H41, "000.01.00.H41"]
    assert rotated.secret != issued.secret
    assert rotated.previous_valid_until is not None
    assert report.ok
    assert report.entries >= 5
    assert queues.queues == []


def test_the_directory_feed_pages_by_version(api: Api) -> None:
    with api.client("sys-nghean") as client:
        everything = client.directory_changes()
        first = client.directory(limit=2)
        after = client.directory(since=everything.version)

    assert {a.qcvn_id for a in everything.agencies} >= {G22, H41, G12}
    assert first.has_more
    assert len(first.agencies) == 2
    assert after.agencies == []
    assert after.version == everything.version


def test_healthz_and_metrics(api: Api) -> None:
    with api.client("sys-vpcp") as sender:
        sender.send(api.world.document(G22, [H41]))
    health = httpx.get(f"{api.url}/healthz")
    metrics = httpx.get(f"{api.url}/metrics", headers={"Authorization": f"Bearer {api.token}"})
    anonymous = httpx.get(f"{api.url}/metrics")

    assert (health.status_code, health.text) == (200, "ok")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'lienthong_hub_intake_total{kind="document",duplicate="false"} 1' in text
    assert "lienthong_hub_intake_seconds_count 1" in text
    assert 'lienthong_hub_queue_pending{agency="000.00.00.H41"} 1' in text
    assert anonymous.status_code == 401


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    unreachable = uow_factory(engine)
    hub = HubService(
        unreachable,
        blobs=FileBlobStore(tmp_path),
        clock=FixedClock(T0),
        directory=DirectoryService(unreachable),
        trust=lambda: shared_pki().trust_store,
        identity=lambda: None,
        box=lambda: SecretBox(MASTER_KEY),
    )
    try:
        with serve(create_hub_app(hub, background=False)) as url:
            health = httpx.get(f"{url}/healthz")
            answer = httpx.get(
                f"{url}/api/v1/admin/queues", headers={"Authorization": "Bearer lta_x"}
            )
    finally:
        engine.dispose()

    assert (health.status_code, health.text) == (503, "unavailable")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json()["code"] == "storage.unavailable"
    assert answer.json()["axis_code"] == 20


def test_the_inbox_since_needs_a_time_zone(api: Api) -> None:
    api.world.send("sys-vpcp", api.world.document(G22, [H41]))
    with api.client("sys-nghean") as client:
        recent = client.inbox(since="2026-05-10T07:00:00+00:00")
        later = client.inbox(since="2026-05-10T09:00:00+00:00")
        with pytest.raises(HubError) as naive:
            client.inbox(since="2026-05-10T07:00:00")

    assert len(recent.items) == 1
    assert later.items == []
    assert (naive.value.http_status, naive.value.code) == (400, "request.invalid")


def test_the_longest_trace_the_hub_takes_in_is_fetched_over_http(api: Api) -> None:
    from datetime import timedelta

    from lienthong.clock import VN_TZ
    from lienthong.edxml import model as m
    from lienthong.hub.intake_facts import MAX_TRACE, MAX_TRACE_ORGAN

    world = api.world
    at = world.clock.now().astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)
    hops = [
        m.TraceHeader(f"{n:02d}".ljust(MAX_TRACE_ORGAN, "X"), at - timedelta(minutes=n))
        for n in range(MAX_TRACE)
    ]
    with api.client("sys-vpcp") as sender, api.client("sys-nghean") as receiver:
        sender.send(world.document(G22, [H41], trace=hops))
        with pytest.raises(HubError) as refused:
            sender.send(world.document(G22, [H41], trace=[*hops, hops[0]]))
        (item,) = receiver.receive()
        fetched = receiver.fetch(item.delivery_id)

    assert (refused.value.http_status, refused.value.code) == (413, "package.limit.trace")
    assert len(fetched.trace) == MAX_TRACE + 1  # and the hub's own
    assert fetched.trace[0].organ_id == hops[0].organ_id


def test_the_operators_agency_changes_are_audited_under_their_token(api: Api) -> None:
    with api.admin() as admin:
        admin.register_agency(s.AgencyCreate(name="Sở Thử nghiệm", qcvn_id="000.00.31.H41"))
        admin.lock_agency("000.00.31.H41")
        admin.unlock_agency("000.00.31.H41")
        report = admin.audit_verify()
    since = max(e.seq for e in api.world.hub.audit.entries(limit=1000)) - 3

    entries = api.world.hub.audit.entries(since=since)

    assert [e.action for e in entries] == ["agency.add", "agency.lock", "agency.unlock"]
    assert all(e.actor.startswith("admin:") for e in entries)
    assert len({e.actor for e in entries}) == 1  # the one token used
    assert report.ok


def test_a_directory_version_beyond_64_bits_is_a_bad_request(api: Api) -> None:
    from lienthong.hub.auth import sign_headers

    secret = api.world.secrets["sys-nghean"].encode()
    answers = {}
    for since in (2**63 - 1, 2**63, 10**30):
        query = f"since={since}"
        headers = sign_headers(
            "sys-nghean", secret, "GET", "/api/v1/directory", query, b"", clock=api.world.clock
        )
        answered = httpx.get(f"{api.url}/api/v1/directory?{query}", headers=headers)
        answers[since] = (answered.status_code, answered.json().get("code"))

    assert answers[2**63 - 1] == (200, None)
    assert answers[2**63] == (400, "request.invalid")
    assert answers[10**30] == (400, "request.invalid")
