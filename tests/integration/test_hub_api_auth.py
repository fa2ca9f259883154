"""The auth matrix: every route × {no credential, wrong system, right system, admin}.

The table below must name every route of the app (checked against the app's own route
table), so a new endpoint cannot be added without saying who may call it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.routing import Route

from hubkit import G22, H41, MASTER_KEY, T0, HubWorld, admin_token, build_world, serve
from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.directory.services import DirectoryService
from lienthong.hub.app import create_hub_app
from lienthong.hub.auth import encode_query, sign_headers
from lienthong.hub.secrets import SecretBox
from lienthong.hub.services import HubService
from lienthong.storage import FileBlobStore

NONE, WRONG, RIGHT, ADMIN = "none", "wrong system", "right system", "admin"


@dataclass(frozen=True)
class Case:
    """Who may call a route, and how to call it successfully."""

    access: str  # system | any | admin | public
    right: str = "sys-vpcp"  # the system that owns the resource (system routes)
    ok: int = 200
    wrong: int = 403  # what another system gets on a system route
    query: dict[str, str] = field(default_factory=dict)
    body: Callable[[HubWorld], bytes] | None = None
    content_type: str = "application/json"


def _json(value: Any) -> Callable[[HubWorld], bytes]:
    return lambda _world: json.dumps(value).encode()


def _pem(world: HubWorld) -> bytes:
    pem = world.pki.system.certificate.public_bytes(Encoding.PEM).decode()
    return json.dumps({"pem": pem}).encode()


V1 = "/api/v1"
ADMIN_V1 = "/api/v1/admin"
TABLE: dict[tuple[str, str], Case] = {
    ("POST", f"{V1}/packages"): Case(
        "system",
        ok=202,
        body=lambda w: w.document(G22, [H41], number=900),
        content_type="application/xml",
    ),
    ("POST", f"{V1}/inbox/receive"): Case("system", right="sys-nghean", query={"agency": H41}),
    ("GET", f"{V1}/inbox"): Case("system", right="sys-nghean", query={"agency": H41}),
    ("GET", f"{V1}/deliveries/{{delivery_id}}/content"): Case("system", right="sys-nghean"),
    ("POST", f"{V1}/deliveries/{{delivery_id}}/ack"): Case(
        "system", right="sys-nghean", body=_json({"state": "processing"})
    ),
    ("GET", f"{V1}/packages/{{package_id}}/tracking"): Case("system"),
    ("GET", f"{V1}/documents/tracking"): Case("system", wrong=404, query={"document_id": "DOC"}),
    ("GET", f"{V1}/documents/links"): Case("system", wrong=404, query={"document_id": "DOC"}),
    ("GET", f"{V1}/directory"): Case("any"),
    ("POST", f"{ADMIN_V1}/agencies"): Case(
        "admin", ok=201, body=_json({"name": "Sở Y tế", "qcvn_id": "000.02.00.H41"})
    ),
    ("PATCH", f"{ADMIN_V1}/agencies/{{agency_id}}"): Case(
        "admin", body=_json({"short_name": "NA"})
    ),
    ("POST", f"{ADMIN_V1}/agencies/{{agency_id}}/lock"): Case("admin"),
    ("POST", f"{ADMIN_V1}/agencies/{{agency_id}}/unlock"): Case("admin"),
    ("POST", f"{ADMIN_V1}/agencies/{{agency_id}}/certificates"): Case("admin", ok=201, body=_pem),
    ("GET", f"{ADMIN_V1}/agencies/{{agency_id}}/certificates"): Case("admin"),
    ("POST", f"{ADMIN_V1}/systems"): Case(
        "admin", ok=201, body=_json({"system_id": "sys-new", "name": "Mới", "agencies": [H41]})
    ),
    ("GET", f"{ADMIN_V1}/systems"): Case("admin"),
    ("GET", f"{ADMIN_V1}/systems/{{system_id}}"): Case("admin"),
    ("POST", f"{ADMIN_V1}/systems/{{system_id}}/rotate"): Case("admin"),
    ("PUT", f"{ADMIN_V1}/systems/{{system_id}}/agencies"): Case(
        "admin", body=_json({"agencies": [H41]})
    ),
    ("PUT", f"{ADMIN_V1}/systems/{{system_id}}/webhook"): Case("admin", body=_json({"url": None})),
    ("POST", f"{ADMIN_V1}/systems/{{system_id}}/lock"): Case("admin"),
    ("POST", f"{ADMIN_V1}/systems/{{system_id}}/unlock"): Case("admin"),
    ("GET", f"{ADMIN_V1}/audit/verify"): Case("admin"),
    ("POST", f"{ADMIN_V1}/audit/checkpoint"): Case("admin"),
    ("GET", f"{ADMIN_V1}/queues"): Case("admin"),
    ("GET", "/metrics"): Case("admin"),
    ("GET", "/healthz"): Case("public"),
    ("GET", "/openapi.json"): Case("public"),
    ("GET", "/docs"): Case("public"),
    ("GET", "/docs/oauth2-redirect"): Case("public"),
    ("GET", "/redoc"): Case("public"),
}


def _route_table() -> set[tuple[str, str]]:
    """Every (method, path) the app answers, from the app itself."""
    hub = HubService(
        lambda: None,  # type: ignore[arg-type,return-value]  # never called: no request is made
        blobs=FileBlobStore(Path("/nonexistent")),
        clock=FixedClock(T0),
        directory=DirectoryService(lambda: None),  # type: ignore[arg-type,return-value]
        trust=lambda: None,  # type: ignore[arg-type,return-value]
        identity=lambda: None,
        box=lambda: SecretBox(MASTER_KEY),
    )
    app = create_hub_app(hub, background=False)
    found: set[tuple[str, str]] = set()
    # Routes of included routers appear in the OpenAPI document (FastAPI keeps them in
    # private wrappers); routes added to the app itself are in app.routes.
    for path, operations in app.openapi()["paths"].items():
        found.update((method.upper(), path) for method in operations)
    for route in app.routes:
        if isinstance(route, Route):
            found.update((m, route.path) for m in route.methods or () if m != "HEAD")
    return found


def test_the_table_names_every_route() -> None:
    assert _route_table() == set(TABLE)


def _expected(case: Case, who: str) -> int:
    if case.access == "public":
        return case.ok
    if who == NONE:
        return 401
    if case.access == "admin":
        return {WRONG: 403, RIGHT: 403, ADMIN: case.ok}[who]
    if case.access == "any":
        return case.ok
    return {WRONG: case.wrong, RIGHT: case.ok, ADMIN: 401}[who]


@pytest.mark.parametrize(("method", "path"), sorted(TABLE), ids=str)
def test_each_route_answers_each_caller_as_documented(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, method: str, path: str
) -> None:
    case = TABLE[(method, path)]
    world = build_world(make_uow, tmp_path / "blobs")
    token = admin_token(world)
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    ids = {
        "delivery_id": sent.deliveries[0].delivery_id,
        "package_id": sent.package_id,
        "agency_id": "000.00.00.H14",
        "system_id": "sys-other",
    }
    query = {k: (sent.document_id if v == "DOC" else v) for k, v in case.query.items()}
    target = path.format(**ids)
    answers: dict[str, int] = {}
    with serve(create_hub_app(world.hub, background=False)) as url:
        for who in (NONE, WRONG, RIGHT, ADMIN):
            body = case.body(world) if case.body is not None else b""
            headers = {"Content-Type": case.content_type} if body else {}
            system = {WRONG: "sys-other", RIGHT: case.right}.get(who)
            if who == ADMIN:
                headers["Authorization"] = f"Bearer {token}"
            elif system is not None:
                secret = world.secrets[system].encode()
                headers.update(
                    sign_headers(system, secret, method, target, query, body, clock=world.clock)
                )
            response = httpx.request(
                method, f"{url}{target}", params=encode_query(query), content=body, headers=headers
            )
            answers[who] = response.status_code
            if response.status_code >= 400 and case.access != "public":
                problem = response.json()
                assert set(problem) == {"code", "axis_code", "message", "details"}
    expected = {who: _expected(case, who) for who in (NONE, WRONG, RIGHT, ADMIN)}
    assert answers == expected
