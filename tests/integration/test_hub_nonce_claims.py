"""Request nonces recorded in the work's own transaction (``lienthong.hub.nonce_claims``).

On PostgreSQL a system's credentials are cached by each hub process and a request's nonce
is recorded by the transaction that does its work, checking there that the cached
credentials are still the system's. These tests run the hub over HTTP on a PostgreSQL
database of their own (real commits, as in production) and change credentials behind
the serving hub's back, as another hub process or an operator's SQL would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import URL

from hubkit import G22, H41, MASTER_KEY, T0, HubWorld, build_world, serve
from lienthong.clock import FixedClock
from lienthong.db import migrate
from lienthong.db.engine import make_engine
from lienthong.db.tables import hub_nonces, hub_packages, hub_systems
from lienthong.db.uow import uow_factory
from lienthong.hub.app import create_hub_app
from lienthong.hub.auth import encode_query, sign_headers
from lienthong.hub.secrets import SecretBox
from lienthong.hub.systems import SystemService
from lienthong.settings import EdxmlLimits

V1 = "/api/v1"


@dataclass
class Hub:
    world: HubWorld
    url: str
    engine: Engine

    def call(
        self,
        system_id: str,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, dict[str, str]]:
        """One signed request (or ``headers`` again: a replay); the answer and headers."""
        text = encode_query(query or {})
        if headers is None:
            key = (secret or self.world.secrets[system_id]).encode()
            headers = sign_headers(system_id, key, method, path, text, body, clock=self.world.clock)
            headers["Content-Type"] = content_type
        target = f"{self.url}{path}" + (f"?{text}" if text else "")
        response = httpx.request(method, target, content=body, headers=headers, timeout=30)
        return response, headers

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def other_process(self) -> SystemService:
        """The systems service of another hub process on the same database."""
        return SystemService(
            uow_factory(self.engine, clock=self.world.clock),
            clock=self.world.clock,
            box=lambda: SecretBox(MASTER_KEY),
            audit=self.world.hub.audit_log,
        )


#: The hub's package limit in these tests: a larger body is refused (413).
LIMIT = 200_000


def _serve(url: URL | str, tmp_path: Path) -> Iterator[Hub]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    world = build_world(
        uow_factory(engine, clock=FixedClock(T0)),
        tmp_path / "blobs",
        limits=EdxmlLimits(max_package_bytes=LIMIT),
    )
    app = create_hub_app(world.hub, background=False)
    try:
        with serve(app) as base:
            yield Hub(world, base, engine)
    finally:
        engine.dispose()


@pytest.fixture
def hub(pg_databases: Any, tmp_path: Path) -> Iterator[Hub]:
    yield from _serve(pg_databases(), tmp_path)


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json().get("code", ""))


def _send(hub: Hub, number: int, *, to: str = H41, **options: Any) -> httpx.Response:
    data = hub.world.document(G22, [to], number=number)
    return hub.call(
        "sys-vpcp", "POST", f"{V1}/packages", body=data, content_type="application/xml", **options
    )[0]


@pytest.mark.postgres
def test_every_route_records_each_nonce_once_in_its_own_work(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def separate(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a nonce was recorded in a transaction of its own")

    # The credentials are read once, then every request is checked against them and its
    # nonce recorded by the work's transaction: the old check is never needed.
    monkeypatch.setattr(hub.world.hub.systems, "authenticate_system", separate)
    first = _send(hub, 1)
    second = _send(hub, 2)
    claimed, _ = hub.call(
        "sys-nghean", "POST", f"{V1}/inbox/receive", query={"max": 10, "visibility": 60}
    )
    delivery_ids = [d["delivery_id"] for d in claimed.json()["deliveries"]]
    content, _ = hub.call("sys-nghean", "GET", f"{V1}/deliveries/{delivery_ids[0]}/content")
    acked, _ = hub.call(
        "sys-nghean",
        "POST",
        f"{V1}/deliveries/{delivery_ids[0]}/ack",
        body=json.dumps({"state": "done"}).encode(),
    )

    assert [first.status_code, second.status_code, claimed.status_code] == [202, 202, 200]
    assert len(delivery_ids) == 2
    assert content.status_code == 200
    assert acked.json()["state"] == "done"
    assert hub.count(hub_nonces) == 5
    assert hub.count(hub_packages) == 2


@dataclass
class Done:
    """A signed request made once, to make again as it was (a replay)."""

    system_id: str
    method: str
    path: str
    body: bytes
    query: dict[str, Any] | None
    headers: dict[str, str]
    response: httpx.Response

    def again(self, hub: Hub) -> httpx.Response:
        return hub.call(
            self.system_id,
            self.method,
            self.path,
            body=self.body,
            query=self.query,
            headers=self.headers,
        )[0]


def _one_of_each(hub: Hub) -> dict[str, Done]:
    """A send, a receive, a fetch of the content and an ack (processing), each once."""
    done: dict[str, Done] = {}

    def call(name: str, system_id: str, method: str, path: str, **options: Any) -> Done:
        response, headers = hub.call(system_id, method, path, **options)
        found = Done(
            system_id,
            method,
            path,
            options.get("body", b""),
            options.get("query"),
            headers,
            response,
        )
        done[name] = found
        return found

    body = hub.world.document(G22, [H41], number=1)
    call("send", "sys-vpcp", "POST", f"{V1}/packages", body=body, content_type="application/xml")
    query = {"max": 10, "visibility": 60}
    claimed = call("receive", "sys-nghean", "POST", f"{V1}/inbox/receive", query=query)
    delivery_id = claimed.response.json()["deliveries"][0]["delivery_id"]
    call("content", "sys-nghean", "GET", f"{V1}/deliveries/{delivery_id}/content")
    processing = json.dumps({"state": "processing"}).encode()
    call("ack", "sys-nghean", "POST", f"{V1}/deliveries/{delivery_id}/ack", body=processing)
    return done


@pytest.mark.postgres
def test_a_replay_is_refused_on_every_route_and_changes_nothing(hub: Hub) -> None:
    done = _one_of_each(hub)
    replayed = {name: _code(request.again(hub)) for name, request in done.items()}

    assert [d.response.status_code for d in done.values()] == [202, 200, 200, 200]
    assert replayed == dict.fromkeys(done, (401, "auth.replay"))
    assert hub.count(hub_packages) == 1
    assert hub.count(hub_nonces) == 4


@pytest.mark.postgres
def test_a_refused_send_keeps_its_nonce(hub: Hub) -> None:
    _send(hub, 1)  # the credentials are cached from here on
    data = hub.world.document(G22, ["000.00.09.H99"], number=2)
    refused, headers = hub.call(
        "sys-vpcp", "POST", f"{V1}/packages", body=data, content_type="application/xml"
    )
    replayed, _ = hub.call("sys-vpcp", "POST", f"{V1}/packages", body=data, headers=headers)

    assert _code(refused) == (422, "recipient.unknown")
    assert _code(replayed) == (401, "auth.replay")
    assert hub.count(hub_nonces) == 2


@pytest.mark.postgres
def test_a_system_locked_behind_the_hubs_back_is_refused_and_nothing_stored(hub: Hub) -> None:
    assert _send(hub, 1).status_code == 202  # cached
    with hub.engine.begin() as conn:  # as another process, or an operator's SQL, would
        conn.execute(
            update(hub_systems).where(hub_systems.c.system_id == "sys-vpcp").values(state="locked")
        )

    refused = _send(hub, 2)
    inbox, _ = hub.call("sys-vpcp", "GET", f"{V1}/inbox")

    assert _code(refused) == (401, "auth.system_locked")
    assert _code(inbox) == (401, "auth.system_locked")
    assert hub.count(hub_packages) == 1


@pytest.mark.postgres
def test_a_rotation_by_another_process_is_honoured_at_once(hub: Hub) -> None:
    old = hub.world.secrets["sys-vpcp"]
    assert _send(hub, 1).status_code == 202  # the old secret is cached
    now_secret = hub.other_process().rotate("sys-vpcp", grace_s=0).secret

    with_old = _send(hub, 2, secret=old)
    with_new = _send(hub, 3, secret=now_secret)
    # Rotated again with a grace period: the previous secret still signs, though the
    # credentials this process cached are no longer the system's.
    newest = hub.other_process().rotate("sys-vpcp", grace_s=3600).secret
    in_grace = _send(hub, 4, secret=now_secret)
    with_newest = _send(hub, 5, secret=newest)

    assert _code(with_old) == (401, "auth.signature")
    assert [with_new.status_code, in_grace.status_code, with_newest.status_code] == [202] * 3
    assert hub.count(hub_packages) == 4
    assert hub.count(hub_nonces) == 4  # every accepted request's nonce, once


@pytest.mark.postgres
def test_a_locked_system_is_refused_even_when_its_send_would_be_refused_anyway(
    hub: Hub,
) -> None:
    assert _send(hub, 1).status_code == 202  # cached
    with hub.engine.begin() as conn:
        conn.execute(
            update(hub_systems).where(hub_systems.c.system_id == "sys-vpcp").values(state="locked")
        )
    refused = _send(hub, 2, to="000.00.09.H99")  # an unknown recipient, and a locked system

    assert _code(refused) == (401, "auth.system_locked")
    assert hub.count(hub_nonces) == 1


def test_on_sqlite_no_credentials_are_cached(tmp_path: Path) -> None:
    for hub in _serve(f"sqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path):
        assert _send(hub, 1).status_code == 202
        again = _send(hub, 2)
        # Were anything cached, these headers (no signature) would raise auth.missing.
        request = ({"x-lienthong-system": "sys-vpcp"}, "GET", f"{V1}/inbox", "")
        cached = hub.world.hub.systems.authenticate_cached(request, None)

        assert again.status_code == 202
        assert cached is None
        assert hub.count(hub_nonces) == 2


def _lock(hub: Hub, system_id: str) -> None:
    """Lock a system behind the serving hub's back (another process, or SQL)."""
    with hub.engine.begin() as conn:
        conn.execute(
            update(hub_systems).where(hub_systems.c.system_id == system_id).values(state="locked")
        )


#: Larger than ``LIMIT``: refused before (declared length) or while (chunked) it is read.
OVERSIZED = b"<x>" + b"a" * (LIMIT + 1000) + b"</x>"


@pytest.mark.postgres
def test_an_oversized_send_keeps_its_nonce(hub: Hub) -> None:
    assert _send(hub, 1).status_code == 202  # cached
    path = f"{V1}/packages"
    too_large, headers = hub.call(
        "sys-vpcp", "POST", path, body=OVERSIZED, content_type="application/xml"
    )
    again, _ = hub.call("sys-vpcp", "POST", path, body=OVERSIZED, headers=headers)

    assert _code(too_large) == (413, "package.limit.size")
    assert _code(again) == (401, "auth.replay")
    assert hub.count(hub_packages) == 1
    assert hub.count(hub_nonces) == 2


@pytest.mark.postgres
def test_a_body_not_the_one_signed_then_replayed(hub: Hub) -> None:
    assert _send(hub, 1).status_code == 202  # cached
    path = f"{V1}/packages"
    data = hub.world.document(G22, [H41], number=2)
    # Signed for ``data`` on the right path; ``data`` with a space appended is sent.
    key = hub.world.secrets["sys-vpcp"].encode()
    signed = sign_headers("sys-vpcp", key, "POST", path, "", data, clock=hub.world.clock)
    signed["Content-Type"] = "application/xml"
    first = hub.call("sys-vpcp", "POST", path, body=data + b" ", headers=signed)[0]
    again = hub.call("sys-vpcp", "POST", path, body=data + b" ", headers=signed)[0]

    assert _code(first) == (401, "auth.body_hash")
    assert _code(again) == (401, "auth.replay")
    assert hub.count(hub_packages) == 1


@pytest.mark.postgres
def test_a_lock_made_elsewhere_comes_before_every_other_refusal(hub: Hub) -> None:
    done = _one_of_each(hub)
    ack = done["ack"]
    key = hub.world.secrets["sys-nghean"].encode()
    wrong_hash = sign_headers(
        "sys-nghean", key, "POST", ack.path, "", ack.body, clock=hub.world.clock
    )
    wrong_hash["Content-Type"] = "application/json"
    _lock(hub, "sys-vpcp")
    _lock(hub, "sys-nghean")

    refusals = {
        "oversized send": hub.call(
            "sys-vpcp", "POST", f"{V1}/packages", body=OVERSIZED, content_type="application/xml"
        )[0],
        "replayed send": done["send"].again(hub),
        "replayed content": done["content"].again(hub),
        "replayed ack": ack.again(hub),
        "ack with another body": hub.call(
            "sys-nghean", "POST", ack.path, body=b'{"state": "done"}', headers=wrong_hash
        )[0],
    }

    assert {name: _code(r) for name, r in refusals.items()} == dict.fromkeys(
        refusals, (401, "auth.system_locked")
    )
    assert hub.count(hub_packages) == 1


@pytest.mark.postgres
def test_a_secret_rotated_away_elsewhere_is_refused_before_the_size_check(hub: Hub) -> None:
    old = hub.world.secrets["sys-vpcp"]
    assert _send(hub, 1).status_code == 202  # cached
    hub.other_process().rotate("sys-vpcp", grace_s=0)
    refused, _ = hub.call(
        "sys-vpcp",
        "POST",
        f"{V1}/packages",
        body=OVERSIZED,
        content_type="application/xml",
        secret=old,
    )

    assert _code(refused) == (401, "auth.signature")


@pytest.mark.postgres
def test_a_replayed_send_is_refused_before_the_package_is_read(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = hub.world.document(G22, [H41], number=1)
    sent, headers = hub.call(
        "sys-vpcp", "POST", f"{V1}/packages", body=body, content_type="application/xml"
    )
    checked: list[bytes] = []
    intake = hub.world.hub.intake
    real = intake._checked
    monkeypatch.setattr(
        intake, "_checked", lambda data, now: checked.append(data) or real(data, now)
    )
    replays = [
        hub.call("sys-vpcp", "POST", f"{V1}/packages", body=body, headers=headers)[0]
        for _ in range(3)
    ]

    assert sent.status_code == 202
    assert [_code(r) for r in replays] == [(401, "auth.replay")] * 3
    assert checked == []


@pytest.mark.postgres
def test_identical_requests_at_once_take_effect_once(hub: Hub) -> None:
    assert _send(hub, 1).status_code == 202  # cached
    body = hub.world.document(G22, [H41], number=2)
    key = hub.world.secrets["sys-vpcp"].encode()
    signed = sign_headers(
        "sys-vpcp", key, "POST", f"{V1}/packages", "", body, clock=hub.world.clock
    )
    signed["Content-Type"] = "application/xml"
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(
                lambda _i: hub.call(
                    "sys-vpcp", "POST", f"{V1}/packages", body=body, headers=signed
                )[0],
                range(6),
            )
        )

    assert sorted(_code(a) for a in answers) == [(202, "")] + [(401, "auth.replay")] * 5
    assert hub.count(hub_packages) == 2
