"""The busiest routes (send, receive, content, ack) answered by ``hub.fastpath`` in front of FastAPI.

Every answer is checked on raw HTTP against a real uvicorn, with the fast path and without
it (``fast_routes=False``: FastAPI's own routes), so both give what the API promises; and
one test proves the fast path, not FastAPI, answered.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hubkit import G22, H41, HubWorld, build_world, serve
from lienthong.db.uow import UnitOfWork
from lienthong.hub import api, auth
from lienthong.hub.app import create_hub_app
from lienthong.hub.client import HubClient
from lienthong.hub.http_auth import get_hub
from lienthong.hub.model import HubConfig

SENDER, RECEIVER = "sys-vpcp", "sys-nghean"


@dataclass
class Raw:
    """Signed requests by hand, to see every status, header and byte of the answers."""

    world: HubWorld
    url: str
    http: httpx.Client

    def request(
        self,
        system_id: str,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        query: str = "",
        headers: dict[str, str] | None = None,
        signed: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, dict[str, str]]:
        secret = self.world.secrets[system_id].encode()
        signed = signed or auth.sign_headers(
            system_id, secret, method, path, query, body, clock=self.world.clock
        )
        target = f"{self.url}{path}" + (f"?{query}" if query else "")
        sent = self.http.request(
            method, target, content=body, headers={**signed, **(headers or {})}
        )
        return sent, signed

    def hub_client(self, system_id: str) -> HubClient:
        return HubClient(
            self.url, system_id, self.world.secrets[system_id], clock=self.world.clock, retries=0
        )


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-routes"])
def raw(
    request: pytest.FixtureRequest, make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> Iterator[Raw]:
    world = build_world(make_uow, tmp_path / "blobs")
    app = create_hub_app(world.hub, background=False, fast_routes=bool(request.param))
    with serve(app) as url, httpx.Client(timeout=30) as http:
        yield Raw(world, url, http)


def _problem(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_send_answers_202_then_the_first_result_for_a_repeat(raw: Raw) -> None:
    data = raw.world.document(G22, [H41])

    first, _ = raw.request(SENDER, "POST", "/api/v1/packages", body=data)
    again, _ = raw.request(SENDER, "POST", "/api/v1/packages", body=data)

    assert first.status_code == 202
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert body["kind"] == "document"
    assert body["duplicate"] is False
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert [d["recipient"] for d in body["deliveries"]] == [H41]
    assert again.status_code == 202
    assert again.json() == {**body, "duplicate": True}


def test_send_refusals_are_problems(raw: Raw) -> None:
    data = raw.world.document(G22, [H41])
    path = "/api/v1/packages"

    unsigned = raw.http.post(f"{raw.url}{path}", content=data)
    ok, signed = raw.request(SENDER, "POST", path, body=data)
    replayed, _ = raw.request(SENDER, "POST", path, body=data, signed=signed)
    other = raw.world.document(G22, [H41])
    swapped, _ = raw.request(
        SENDER,
        "POST",
        path,
        body=other,
        signed=auth.sign_headers(
            SENDER,
            raw.world.secrets[SENDER].encode(),
            "POST",
            path,
            "",
            data,
            clock=raw.world.clock,
        ),
    )
    not_hosted, _ = raw.request(RECEIVER, "POST", path, body=other)
    broken, _ = raw.request(SENDER, "POST", path, body=b"<edXML")

    assert _problem(unsigned) == (401, "auth.missing")
    assert "LIENTHONG-HMAC-SHA256" in unsigned.headers["www-authenticate"]
    assert ok.status_code == 202
    assert _problem(replayed) == (401, "auth.replay")
    assert _problem(swapped) == (401, "auth.body_hash")
    assert _problem(not_hosted) == (403, "forbidden.sender_not_hosted")
    assert broken.status_code == 422
    assert broken.json()["axis_code"] is not None


RECEIVE = "/api/v1/inbox/receive"


def test_receive_claims_filters_and_refuses_bad_parameters_with_400(raw: Raw) -> None:
    nothing, _ = raw.request(RECEIVER, "POST", RECEIVE)
    sent, _ = raw.request(SENDER, "POST", "/api/v1/packages", body=raw.world.document(G22, [H41]))
    delivery_id = sent.json()["deliveries"][0]["delivery_id"]
    statuses_only, _ = raw.request(RECEIVER, "POST", RECEIVE, query="kind=status")
    not_hosted, _ = raw.request(RECEIVER, "POST", RECEIVE, query=f"agency={G22}")
    claimed, _ = raw.request(
        RECEIVER, "POST", RECEIVE, query=f"agency={H41}&kind=document&max=5&visibility=120"
    )
    leased, _ = raw.request(RECEIVER, "POST", RECEIVE)
    refused = [
        raw.request(RECEIVER, "POST", RECEIVE, query=query)[0]
        for query in (
            "max=0",
            "max=101",
            "max=abc",
            "max=%C2%B2",  # "²": a digit to str.isdigit, not to int
            "max=" + "9" * 5000,  # more digits than int() reads
            "wait=61",
            "visibility=0",
            "kind=memo",
        )
    ]
    # What FastAPI accepts and the fast path leaves to it: answered all the same.
    unknown_parameter, _ = raw.request(RECEIVER, "POST", RECEIVE, query="max=5&page=2")
    repeated, _ = raw.request(RECEIVER, "POST", RECEIVE, query="max=5&max=6")

    assert (nothing.status_code, nothing.json()) == (200, {"deliveries": []})
    assert nothing.headers["content-type"] == "application/json"
    assert statuses_only.json() == {"deliveries": []}
    assert _problem(not_hosted) == (403, "forbidden.inbox")
    assert claimed.status_code == 200
    [item] = claimed.json()["deliveries"]
    assert (item["delivery_id"], item["state"]) == (delivery_id, "leased")
    assert item["lease_until"] is not None
    assert leased.json() == {"deliveries": []}  # leased: not claimed twice
    for answer in refused:
        assert _problem(answer) == (400, "request.invalid")
    assert (unknown_parameter.status_code, repeated.status_code) == (200, 200)


@pytest.mark.parametrize("fast_routes", [True, False], ids=["fast-path", "fastapi-routes"])
def test_a_long_poll_ends_when_its_caller_hangs_up(
    fast_routes: bool, make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world, app = _polling_hub(make_uow, tmp_path, fast_routes, poll_interval_s=0.1)
    query = "wait=60"
    signed = auth.sign_headers(
        RECEIVER, world.secrets[RECEIVER].encode(), "POST", RECEIVE, query, b"", clock=world.clock
    )
    with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        head = f"POST {RECEIVE}?{query} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in signed.items()) + "\r\n"
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(head.encode("latin-1"))
            waited = _wait_for(lambda: world.hub.notifier.targeted == 1)
        hung_up = _wait_for(lambda: world.hub.notifier.waiters == 0)

    assert waited  # the long-poll was waiting
    assert hung_up  # and stopped once the caller went away, long before its 60 s


def _polling_hub(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, fast_routes: bool, poll_interval_s: float
) -> tuple[HubWorld, FastAPI]:
    """A world and its app whose long-polls re-check the database every ``poll_interval_s``."""
    config = HubConfig(checkpoint_every=0, poll_interval_s=poll_interval_s)
    world = build_world(make_uow, tmp_path / "blobs", config=config)
    return world, create_hub_app(world.hub, background=False, fast_routes=fast_routes)


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("fast_routes", [True, False], ids=["fast-path", "fastapi-routes"])
def test_a_long_poll_answers_when_a_package_arrives(
    fast_routes: bool, make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    # The database is re-checked only every 120 s: an answer within the bound is a wake-up.
    world, app = _polling_hub(make_uow, tmp_path, fast_routes, poll_interval_s=120.0)
    found: list[httpx.Response] = []
    with serve(app) as url, httpx.Client(timeout=60) as http:
        r = Raw(world, url, http)
        waiting = threading.Thread(
            target=lambda: found.append(r.request(RECEIVER, "POST", RECEIVE, query="wait=50")[0])
        )
        started = time.monotonic()
        waiting.start()
        assert _wait_for(lambda: world.hub.notifier.targeted == 1)  # past its first claim
        sent, _ = r.request(SENDER, "POST", "/api/v1/packages", body=world.document(G22, [H41]))
        waiting.join(timeout=40)
        took = time.monotonic() - started

    assert not waiting.is_alive()
    assert took < 40  # woken: neither the 50 s wait nor the 120 s re-check ran out
    [answer] = found
    assert answer.status_code == 200
    assert [d["delivery_id"] for d in answer.json()["deliveries"]] == [
        sent.json()["deliveries"][0]["delivery_id"]
    ]


def test_content_answers_the_exact_bytes_an_etag_and_304(raw: Raw) -> None:
    data = raw.world.document(G22, [H41])
    raw.request(SENDER, "POST", "/api/v1/packages", body=data)
    with raw.hub_client(RECEIVER) as receiver:
        delivery_id = receiver.receive()[0].delivery_id
    path = f"/api/v1/deliveries/{delivery_id}/content"

    fetched, _ = raw.request(RECEIVER, "GET", path)
    etag = fetched.headers["etag"]
    cached, _ = raw.request(RECEIVER, "GET", path, headers={"If-None-Match": etag})
    stranger, _ = raw.request(SENDER, "GET", path)
    missing, _ = raw.request(RECEIVER, "GET", "/api/v1/deliveries/no-such-delivery/content")

    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["content-type"] == "application/xml"
    assert fetched.headers["content-length"] == str(len(data))
    assert etag == f'"{hashlib.sha256(data).hexdigest()}"'
    trace = json.loads(fetched.headers["x-lienthong-trace"])
    assert [t["organ_id"] for t in trace] == [G22, "lienthong-hub"]
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert stranger.status_code == 403  # not its delivery
    assert missing.status_code == 404


def test_ack_answers_once_and_refuses_bad_parameters_with_400(raw: Raw) -> None:
    raw.request(SENDER, "POST", "/api/v1/packages", body=raw.world.document(G22, [H41]))
    with raw.hub_client(RECEIVER) as receiver:
        delivery_id = receiver.receive()[0].delivery_id
    path = f"/api/v1/deliveries/{delivery_id}/ack"

    def ack(body: object, query: str = "", media: str = "application/json") -> httpx.Response:
        return raw.request(
            RECEIVER,
            "POST",
            path,
            body=json.dumps(body).encode(),
            query=query,
            headers={"Content-Type": media} if media else {},
        )[0]

    no_media_type = ack({"state": "done"}, media="")
    text_body = ack({"state": "done"}, media="text/plain")
    bad_state = ack({"state": "maybe"})
    extra_field = ack({"state": "done", "by": "me"})
    bad_visibility = ack({"state": "processing"}, query="visibility=0")
    huge_visibility = ack({"state": "processing"}, query="visibility=" + "9" * 5000)
    superscript_visibility = ack({"state": "processing"}, query="visibility=%C2%B2")
    leased = ack({"state": "processing"}, query="visibility=120")
    done = ack({"state": "done"})
    again = ack({"state": "done"})
    conflicting = ack({"state": "fail", "reason": "nhầm"})

    for refused in (
        no_media_type,
        text_body,
        bad_state,
        extra_field,
        bad_visibility,
        huge_visibility,
        superscript_visibility,
    ):
        assert _problem(refused) == (400, "request.invalid")
    assert leased.status_code == 200
    assert leased.json()["state"] == "leased"
    assert leased.json()["lease_until"] is not None
    assert (done.status_code, done.json()) == (
        200,
        {"delivery_id": delivery_id, "state": "done", "lease_until": None},
    )
    assert again.json() == done.json()
    assert _problem(conflicting) == (409, "delivery.already_acknowledged")


def test_the_fast_path_answers_without_fastapis_routes(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_world(make_uow, tmp_path / "blobs")
    app = create_hub_app(world.hub, background=False)

    def no_fastapi() -> None:
        raise RuntimeError("a FastAPI route was used")

    app.dependency_overrides[get_hub] = no_fastapi
    with serve(app) as url, httpx.Client(timeout=30) as http:
        r = Raw(world, url, http)
        sent, _ = r.request(SENDER, "POST", "/api/v1/packages", body=world.document(G22, [H41]))
        delivery_id = sent.json()["deliveries"][0]["delivery_id"]
        received, _ = r.request(RECEIVER, "POST", RECEIVE, query="max=1&wait=1")
        fetched, _ = r.request(RECEIVER, "GET", f"/api/v1/deliveries/{delivery_id}/content")
        acked, _ = r.request(
            RECEIVER,
            "POST",
            f"/api/v1/deliveries/{delivery_id}/ack",
            body=b'{"state":"done"}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        listed, _ = r.request(RECEIVER, "GET", "/api/v1/inbox")

    assert (sent.status_code, fetched.status_code, acked.status_code) == (202, 200, 200)
    assert received.json()["deliveries"][0]["delivery_id"] == delivery_id
    assert listed.status_code == 500  # the inbox is FastAPI's: the override shows


def test_content_above_the_in_memory_size_is_streamed_whole(
    raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "CONTENT_IN_MEMORY", 1024)  # every package streams
    data = raw.world.document(G22, [H41])
    raw.request(SENDER, "POST", "/api/v1/packages", body=data)
    with raw.hub_client(RECEIVER) as receiver:
        delivery_id = receiver.receive()[0].delivery_id

    fetched, _ = raw.request(RECEIVER, "GET", f"/api/v1/deliveries/{delivery_id}/content")

    assert len(data) > 1024
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["content-length"] == str(len(data))
    assert fetched.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'


def test_a_request_without_a_signature_is_401_whatever_its_parameters(raw: Raw) -> None:
    raw.request(SENDER, "POST", "/api/v1/packages", body=raw.world.document(G22, [H41]))
    with raw.hub_client(RECEIVER) as receiver:
        delivery_id = receiver.receive(visibility=1)[0].delivery_id
    bad = [
        ("POST", "/api/v1/inbox/receive?max=0", b""),
        ("POST", "/api/v1/inbox/receive?wait=abc", b""),
        ("POST", "/api/v1/inbox/receive?max=" + "9" * 5000, b""),
        ("GET", f"/api/v1/deliveries/{delivery_id}/content?x=1", b""),
        ("POST", f"/api/v1/deliveries/{delivery_id}/ack?visibility=0", b'{"state": "maybe"}'),
        ("POST", f"/api/v1/deliveries/{delivery_id}/ack", b"not json"),
        ("POST", f"/api/v1/deliveries/{delivery_id}/ack?visibility=" + "9" * 5000, b"{}"),
    ]

    answers = [
        _problem(raw.http.request(method, f"{raw.url}{target}", content=body))
        for method, target, body in bad
    ]

    assert answers == [(401, "auth.missing")] * len(bad)
