"""HubClient and HubAdminClient against a fake hub (the hub is outside the client).

The fake is an ``httpx.MockTransport`` handler that checks every request's signature
with ``verify_request`` (so a request the client signs wrongly fails here as it would on
the real hub) and answers with the bodies and problems of ``docs/hub-api.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from lienthong.clock import FixedClock
from lienthong.errors import AuthError, HubError
from lienthong.hub import schemas as s
from lienthong.hub.auth import bearer_token, verify_request
from lienthong.hub.client import HubAdminClient, HubClient

BASE = "http://hub.test"
T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
SECRET = "s3cr3t-of-sys-a"
ADMIN_TOKEN = "lta_operator-token"
PACKAGE = b"<edXMLEnvelope>...</edXMLEnvelope>"
SEND_OK = {
    "package_id": "01HXPKG",
    "kind": "document",
    "document_id": "000.00.00.G22,2024/05/01,7",
    "sha256": hashlib.sha256(PACKAGE).hexdigest(),
    "duplicate": False,
    "deliveries": [{"delivery_id": "01HXD1", "recipient": "000.00.09.H37"}],
}
DELIVERY = {
    "delivery_id": "01HXD1",
    "package_id": "01HXPKG",
    "kind": "document",
    "sender": "000.00.00.G22",
    "recipient": "000.00.09.H37",
    "document_id": "000.00.00.G22,2024/05/01,7",
    "sha256": hashlib.sha256(PACKAGE).hexdigest(),
    "size": len(PACKAGE),
    "state": "leased",
    "received_at": "2024-05-01T03:00:00+00:00",
    "lease_until": "2024-05-01T03:01:00+00:00",
    "attempts": 1,
}

Answer = httpx.Response | Exception


def problem(status: int, code: str, message: str, **details: Any) -> httpx.Response:
    body = {
        "code": code,
        "axis_code": s.axis_code_for(code),
        "message": message,
        "details": details,
    }
    return httpx.Response(status, json=body)


class FakeHub:
    """Verifies signatures, records requests, answers from a script then from routes."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.secrets: dict[str, Sequence[bytes]] = {"sys-a": [SECRET.encode()]}
        self.nonces: set[tuple[str, str]] = set()
        self.requests: list[httpx.Request] = []
        self.script: list[Answer] = []
        self.routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}

    def route(
        self, method: str, path: str, answer: Callable[[httpx.Request], httpx.Response]
    ) -> None:
        self.routes[(method, path)] = answer

    def _nonce_seen(self, system_id: str, nonce: str, timestamp: int) -> bool:
        seen = (system_id, nonce) in self.nonces
        self.nonces.add((system_id, nonce))
        return seen

    def _authenticate(self, request: httpx.Request) -> None:
        if request.url.path.startswith("/api/v1/admin/"):
            if bearer_token(request.headers.get("Authorization")) != ADMIN_TOKEN:
                raise AuthError("unknown admin token", code="auth.signature")
            return
        verify_request(
            request.headers,
            request.method,
            request.url.path,
            request.url.query.decode("ascii"),
            hashlib.sha256(request.content).hexdigest(),
            lookup_secrets=lambda system_id: self.secrets.get(system_id, ()),
            nonce_seen=self._nonce_seen,
            clock=self.clock,
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            self._authenticate(request)
        except AuthError as exc:
            return problem(401, exc.code, exc.message)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return problem(404, "not_found.route", f"no route {request.url.path}")
        return handler(request)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def hub(clock: FixedClock) -> FakeHub:
    fake = FakeHub(clock)
    fake.route("POST", "/api/v1/packages", lambda r: httpx.Response(202, json=SEND_OK))
    return fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(hub: FakeHub, clock: FixedClock, sleeps: list[float]) -> HubClient:
    return HubClient(
        BASE,
        "sys-a",
        SECRET,
        transport=httpx.MockTransport(hub),
        clock=clock,
        retries=3,
        sleep=sleeps.append,
        jitter=lambda: 1.0,
    )


def storage_unavailable(retry_after: str | None = "2") -> httpx.Response:
    response = problem(503, "storage.unavailable", "the blob store is not answering")
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


# -- sending and retries -------------------------------------------------------------------


def test_send_is_signed_and_parsed(client: HubClient, hub: FakeHub) -> None:
    result = client.send(PACKAGE)

    assert result == s.SendResult.model_validate(SEND_OK)
    assert result.deliveries[0].recipient == "000.00.09.H37"
    (request,) = hub.requests
    assert request.content == PACKAGE
    assert request.headers["Content-Type"] == "application/xml"
    assert request.headers["X-Lienthong-System"] == "sys-a"


def test_503_is_retried_honouring_retry_after_then_succeeds(
    client: HubClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [storage_unavailable("2"), storage_unavailable("7")]

    result = client.send(PACKAGE)

    assert result.package_id == "01HXPKG"
    assert sleeps == [2.0, 7.0]
    assert len(hub.requests) == 3
    # Each attempt was signed afresh: the hub accepted three different nonces.
    assert len(hub.nonces) == 3


def test_503_without_retry_after_backs_off_exponentially(
    client: HubClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [storage_unavailable(None)] * 3

    client.send(PACKAGE)

    assert sleeps == [0.5, 1.0, 2.0]


def test_retry_after_as_an_http_date(client: HubClient, hub: FakeHub, sleeps: list[float]) -> None:
    hub.script = [storage_unavailable("Wed, 01 May 2024 03:00:05 GMT")]

    client.send(PACKAGE)

    assert sleeps == [5.0]


def test_503_beyond_the_retries_raises_the_hubs_problem(
    client: HubClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [storage_unavailable("1")] * 10

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    assert excinfo.value.code == "storage.unavailable"
    assert excinfo.value.axis_code == 20
    assert excinfo.value.http_status == 503
    assert len(hub.requests) == 4
    assert sleeps == [1.0, 1.0, 1.0]


def test_422_is_not_retried_and_carries_code_and_axis_code(
    client: HubClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [
        problem(
            422,
            "recipient.unknown",
            "recipient 000.00.09.H99 is not in the directory",
            recipient="000.00.09.H99",
        )
    ]

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    error = excinfo.value
    assert (error.code, error.axis_code, error.http_status) == ("recipient.unknown", 18, 422)
    assert error.message == "recipient 000.00.09.H99 is not in the directory"
    assert error.details == {"recipient": "000.00.09.H99"}
    assert len(hub.requests) == 1
    assert sleeps == []


def test_connection_errors_are_retried(
    client: HubClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [httpx.ConnectError("refused"), httpx.ReadError("reset")]

    assert client.send(PACKAGE).package_id == "01HXPKG"
    assert sleeps == [0.5, 1.0]


def test_unreachable_hub_is_hub_unavailable(client: HubClient, hub: FakeHub) -> None:
    hub.script = [httpx.ConnectError("refused")] * 10

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    assert excinfo.value.code == "hub.unavailable"
    assert excinfo.value.details["attempts"] == 4


def test_a_wrong_secret_is_refused_by_the_hub_without_retry(
    hub: FakeHub, clock: FixedClock, sleeps: list[float]
) -> None:
    client = HubClient(
        BASE,
        "sys-a",
        "not-the-secret",
        transport=httpx.MockTransport(hub),
        clock=clock,
        sleep=sleeps.append,
    )

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    assert (excinfo.value.code, excinfo.value.axis_code, excinfo.value.http_status) == (
        "auth.signature",
        15,
        401,
    )
    assert sleeps == []


def test_an_error_without_problem_body(client: HubClient, hub: FakeHub) -> None:
    hub.script = [httpx.Response(400, text="<html>bad request</html>")]

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    assert (excinfo.value.code, excinfo.value.http_status) == ("hub.http_error", 400)


def test_a_2xx_answer_that_does_not_fit_is_a_bad_response(client: HubClient, hub: FakeHub) -> None:
    hub.script = [httpx.Response(202, json={"package_id": "x"})]

    with pytest.raises(HubError) as excinfo:
        client.send(PACKAGE)

    assert excinfo.value.code == "hub.bad_response"


# -- receiving -----------------------------------------------------------------------------


def test_receive_long_poll_uses_a_read_timeout_longer_than_the_wait(
    client: HubClient, hub: FakeHub
) -> None:
    hub.route(
        "POST",
        "/api/v1/inbox/receive",
        lambda r: httpx.Response(200, json={"deliveries": [DELIVERY]}),
    )

    items = client.receive(agency="000.00.09.H37", kind="document", max=5, wait=20, visibility=120)
    client.receive()

    assert [item.delivery_id for item in items] == ["01HXD1"]
    assert items[0].lease_until == datetime(2024, 5, 1, 3, 1, tzinfo=UTC)
    long_poll, short = hub.requests
    assert long_poll.extensions["timeout"]["read"] == 30.0 + 20
    assert long_poll.extensions["timeout"]["connect"] == 30.0
    assert short.extensions["timeout"]["read"] == 30.0
    assert dict(long_poll.url.params) == {
        "agency": "000.00.09.H37",
        "kind": "document",
        "max": "5",
        "wait": "20",
        "visibility": "120",
    }


def test_inbox_pages(client: HubClient, hub: FakeHub) -> None:
    hub.route(
        "GET",
        "/api/v1/inbox",
        lambda r: httpx.Response(200, json={"items": [DELIVERY], "next_cursor": "c2"}),
    )

    page = client.inbox(agency="000.00.09.H37", cursor="c1")

    assert page.next_cursor == "c2"
    assert page.items[0].state == "leased"
    assert dict(hub.requests[0].url.params) == {
        "agency": "000.00.09.H37",
        "cursor": "c1",
        "limit": "100",
    }


def content_answer(body: bytes, etag: str | None, trace: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/xml"}
    if etag is not None:
        headers["ETag"] = etag
    if trace is not None:
        headers["X-Lienthong-Trace"] = trace
    return httpx.Response(200, content=body, headers=headers)


def test_fetch_checks_the_bytes_against_the_etag(client: HubClient, hub: FakeHub) -> None:
    digest = hashlib.sha256(PACKAGE).hexdigest()
    trace = json.dumps([{"organ_id": "000.00.00.G22", "timestamp": "2024-05-01T10:00:00+07:00"}])
    hub.script = [content_answer(PACKAGE, f'"{digest}"', trace)]

    fetched = client.fetch("01HXD1")

    assert fetched.content == PACKAGE
    assert fetched.sha256 == digest
    assert fetched.trace == (
        s.TraceEntry(organ_id="000.00.00.G22", timestamp=datetime(2024, 5, 1, 3, 0, tzinfo=UTC)),
    )
    assert hub.requests[0].url.path == "/api/v1/deliveries/01HXD1/content"


def test_fetch_detects_bytes_that_do_not_match_the_etag(client: HubClient, hub: FakeHub) -> None:
    digest = hashlib.sha256(PACKAGE).hexdigest()
    hub.script = [content_answer(PACKAGE[:-1] + b"X", digest)]

    with pytest.raises(HubError) as excinfo:
        client.fetch("01HXD1")

    assert excinfo.value.code == "hub.integrity"
    assert digest in excinfo.value.message


def test_fetch_without_etag_or_with_a_bad_trace(client: HubClient, hub: FakeHub) -> None:
    digest = hashlib.sha256(PACKAGE).hexdigest()
    hub.script = [content_answer(PACKAGE, None), content_answer(PACKAGE, digest, "not json")]

    for _ in range(2):
        with pytest.raises(HubError) as excinfo:
            client.fetch("01HXD1")
        assert excinfo.value.code == "hub.bad_response"


def test_ids_in_paths_are_percent_encoded_and_still_verify(client: HubClient, hub: FakeHub) -> None:
    hub.script = [problem(404, "not_found.delivery", "no such delivery")]

    with pytest.raises(HubError) as excinfo:
        client.fetch("a b/ô")

    assert excinfo.value.code == "not_found.delivery"
    assert hub.requests[0].url.raw_path == b"/api/v1/deliveries/a%20b%2F%C3%B4/content"


def test_ack_posts_the_state_and_reason(client: HubClient, hub: FakeHub) -> None:
    hub.route(
        "POST",
        "/api/v1/deliveries/01HXD1/ack",
        lambda r: httpx.Response(200, json={"delivery_id": "01HXD1", "state": "failed"}),
    )

    result = client.ack("01HXD1", "fail", reason="chữ ký không hợp lệ")

    assert result.state == "failed"
    assert json.loads(hub.requests[0].content) == {"state": "fail", "reason": "chữ ký không hợp lệ"}


def test_ack_conflict_is_not_retried(client: HubClient, hub: FakeHub) -> None:
    hub.script = [problem(409, "delivery.already_acknowledged", "already done")]

    with pytest.raises(HubError) as excinfo:
        client.ack("01HXD1", "done")

    assert (excinfo.value.code, excinfo.value.http_status, excinfo.value.axis_code) == (
        "delivery.already_acknowledged",
        409,
        None,
    )
    assert len(hub.requests) == 1


# -- tracking and directory ----------------------------------------------------------------


def test_tracking_by_document_sends_the_id_as_query(client: HubClient, hub: FakeHub) -> None:
    report = {
        "package_id": "01HXPKG",
        "document_id": "000.00.00.G22,2024/05/01,7",
        "kind": "document",
        "sender": "000.00.00.G22",
        "received_at": "2024-05-01T03:00:00Z",
        "recipients": [
            {
                "recipient": "000.00.09.H37",
                "delivery_id": "01HXD1",
                "state": "done",
                "latest_status": {
                    "code": "03",
                    "timestamp": "2024-05-01T04:00:00Z",
                    "description": "Đã tiếp nhận",
                    "reporter": "000.00.09.H37",
                    "package_id": "01HXST",
                },
            }
        ],
    }
    hub.route(
        "GET",
        "/api/v1/documents/tracking",
        lambda r: httpx.Response(
            200, json={"document_id": report["document_id"], "packages": [report]}
        ),
    )

    tracking = client.tracking_by_document("000.00.00.G22,2024/05/01,7")

    latest = tracking.packages[0].recipients[0].latest_status
    assert latest is not None
    assert latest.code == "03"
    assert hub.requests[0].url.params["document_id"] == "000.00.00.G22,2024/05/01,7"


def test_directory_changes_follow_the_pages(client: HubClient, hub: FakeHub) -> None:
    def agency(code: str, version: int) -> dict[str, Any]:
        return {"qcvn_id": code, "name": f"Cơ quan {code}", "state": "active", "version": version}

    pages = {
        "0": {"version": 9, "agencies": [agency("000.00.00.G01", 3)], "has_more": True},
        "3": {"version": 9, "agencies": [agency("000.00.00.G02", 9)], "has_more": False},
    }
    hub.route(
        "GET", "/api/v1/directory", lambda r: httpx.Response(200, json=pages[r.url.params["since"]])
    )

    changes = client.directory_changes(0)

    assert changes.version == 9
    assert [a.qcvn_id for a in changes.agencies] == ["000.00.00.G01", "000.00.00.G02"]


# -- admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin(hub: FakeHub, sleeps: list[float]) -> HubAdminClient:
    return HubAdminClient(
        BASE, ADMIN_TOKEN, transport=httpx.MockTransport(hub), retries=3, sleep=sleeps.append
    )


def test_registered_system_can_then_call_the_hub(
    admin: HubAdminClient, hub: FakeHub, clock: FixedClock
) -> None:
    def register(request: httpx.Request) -> httpx.Response:
        body = s.SystemCreate.model_validate_json(request.content)
        hub.secrets[body.system_id] = [b"issued-secret"]
        return httpx.Response(201, json={"system_id": body.system_id, "secret": "issued-secret"})

    hub.route("POST", "/api/v1/admin/systems", register)

    issued = admin.register_system("sys-b", "Hệ thống QLVB tỉnh", ["000.00.09.H37"])

    assert issued == s.SystemSecret(system_id="sys-b", secret="issued-secret")
    assert hub.requests[0].headers["Authorization"] == f"Bearer {ADMIN_TOKEN}"
    client = HubClient(
        BASE, issued.system_id, issued.secret, transport=httpx.MockTransport(hub), clock=clock
    )
    assert client.send(PACKAGE).package_id == "01HXPKG"


def test_secret_issuing_calls_are_not_retried_after_an_ambiguous_failure(
    admin: HubAdminClient, hub: FakeHub, sleeps: list[float]
) -> None:
    hub.script = [httpx.ReadTimeout("no answer")]

    with pytest.raises(HubError) as excinfo:
        admin.rotate_secret("sys-a")

    assert excinfo.value.code == "hub.unavailable"
    assert len(hub.requests) == 1
    assert sleeps == []


def test_secret_issuing_calls_are_retried_when_nothing_was_sent(
    admin: HubAdminClient, hub: FakeHub
) -> None:
    hub.script = [httpx.ConnectError("refused")]
    hub.route(
        "POST",
        "/api/v1/admin/systems/sys-a/rotate",
        lambda r: httpx.Response(
            200,
            json={
                "system_id": "sys-a",
                "secret": "new",
                "previous_valid_until": "2024-05-02T03:00:00Z",
            },
        ),
    )

    rotated = admin.rotate_secret("sys-a", grace_seconds=3600)

    assert rotated.previous_valid_until == datetime(2024, 5, 2, 3, 0, tzinfo=UTC)
    assert json.loads(hub.requests[-1].content) == {"grace_seconds": 3600}


def test_update_agency_sends_only_the_fields_set(admin: HubAdminClient, hub: FakeHub) -> None:
    hub.route(
        "PATCH",
        "/api/v1/admin/agencies/000.00.09.H37",
        lambda r: httpx.Response(
            200,
            json={"qcvn_id": "000.00.09.H37", "name": "Sở Nội vụ", "state": "active", "version": 4},
        ),
    )

    updated = admin.update_agency("000.00.09.H37", s.AgencyUpdate(name="Sở Nội vụ", fax=None))

    assert updated.version == 4
    assert json.loads(hub.requests[0].content) == {"name": "Sở Nội vụ", "fax": None}


def test_set_webhook_and_admin_errors(admin: HubAdminClient, hub: FakeHub) -> None:
    hub.route(
        "PUT",
        "/api/v1/admin/systems/sys-a/webhook",
        lambda r: httpx.Response(
            200,
            json={
                "system_id": "sys-a",
                "name": "A",
                "agencies": ["000.00.09.H37"],
                "state": "active",
                "webhook_url": json.loads(r.content)["url"],
            },
        ),
    )

    info = admin.set_webhook("sys-a", "https://office.example.vn/hook")

    assert info.webhook_url == "https://office.example.vn/hook"
    wrong = HubAdminClient(BASE, "lta_wrong", transport=httpx.MockTransport(hub))
    with pytest.raises(HubError) as excinfo:
        wrong.queues()
    assert (excinfo.value.code, excinfo.value.http_status) == ("auth.signature", 401)
