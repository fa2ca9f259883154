"""The systems' API (``/api/v1``): send, receive, fetch, acknowledge, track, directory.

Translation only: authenticate (:mod:`.http_auth`), call a service in the threadpool,
turn the result into a :mod:`.schemas` body. The long-poll of ``inbox/receive`` waits on
the event loop (an asyncio event woken by :class:`.notify.Notifier`) between claims.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Annotated, BinaryIO, NamedTuple

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from lienthong.hub import schemas as s
from lienthong.hub import views
from lienthong.hub.auth import AuthenticatedSystem
from lienthong.hub.http_auth import (
    AnyCaller,
    ClaimedWork,
    HubDep,
    SignedParts,
    SystemCallDep,
    SystemId,
    check_declared_length,
    note_system,
    read_limited,
    run_claimed,
)
from lienthong.hub.metrics import HubMetrics
from lienthong.hub.model import MAX_CLAIM, MAX_VISIBILITY_S, MAX_WAIT_S, AckState, PackageKind
from lienthong.hub.nonce_claims import NonceClaim
from lienthong.hub.records import Claimed, Content, Delivery, IntakeResult
from lienthong.hub.services import HubService
from lienthong.hub.threads import in_thread

router = APIRouter(prefix="/api/v1")

#: The largest directory version (a signed 64-bit integer in the database).
MAX_VERSION = 2**63 - 1

KindParam = Annotated[s.PackageKind | None, Query(description="document or status")]


def _kind(value: str | None) -> PackageKind | None:
    if value is None:
        return None
    return PackageKind.DOCUMENT if value == "document" else PackageKind.STATUS


@router.post(
    "/packages",
    status_code=202,
    response_model=s.SendResult,
    summary="Send a document or status package (raw edXML body)",
)
async def send_package(request: Request, hub: HubDep) -> s.SendResult:
    return await take_package(hub, request.app.state.metrics, request.scope, request.stream())


async def take_package(
    hub: HubService, metrics: HubMetrics, scope: Scope, chunks: AsyncIterator[bytes]
) -> s.SendResult:
    """``POST /packages`` (here and in :mod:`.fastpath`): the caller authenticated before
    the body (``chunks``) is read within the size limit, its hash checked against the
    signed one, then intake. With the system's credentials cached, the signature is
    checked here on the event loop and the nonce recorded in intake's own transaction
    (:mod:`.nonce_claims`); otherwise in the threadpool, from the database."""
    parts = SignedParts.of(scope)
    cached = hub.systems.authenticate_cached(parts.request, None)
    found: tuple[AuthenticatedSystem, NonceClaim | None]
    if cached is None:
        found = await in_thread(parts.verify_deferred, hub, None)
    else:
        found = cached
    verified, claim = found
    note_system(scope, verified.system_id)
    limit = hub.limits.max_package_bytes
    try:
        check_declared_length(parts.headers, limit)
        body, body_sha256 = await read_limited(chunks, limit)
        verified.check_body(body_sha256)
    except Exception:
        if claim is not None:  # the nonce is kept (or the request checked afresh) all the same
            await run_in_threadpool(hub.systems.settle, claim, partial(parts.verify, hub, None))
        raise
    started = time.perf_counter()

    def intake(system_id: str, claim: NonceClaim | None) -> IntakeResult:
        return hub.intake.send(system_id, body, sha256=body_sha256, claim=claim)

    result = await in_thread(
        partial(
            run_claimed,
            hub,
            parts,
            body_sha256=body_sha256,
            system_id=verified.system_id,
            claim=claim,
            work=intake,
        )
    )
    metrics.intake(
        views.kind(result.kind), len(body), time.perf_counter() - started, result.duplicate
    )
    return views.send_result(result)


@router.post("/inbox/receive", response_model=s.ReceiveResult, summary="Claim deliveries")
async def receive(
    *,
    request: Request,
    hub: HubDep,
    caller: SystemCallDep,
    agency: str | None = None,
    kind: KindParam = None,
    max: Annotated[int, Query(ge=1, le=MAX_CLAIM)] = 10,
    wait: Annotated[int, Query(ge=0, le=MAX_WAIT_S)] = 0,
    visibility: Annotated[int, Query(ge=1, le=MAX_VISIBILITY_S)] = 60,
) -> s.ReceiveResult:
    items = await receive_deliveries(
        hub,
        caller.run,
        request.is_disconnected,
        ReceiveParams(agency, _kind(kind), max, wait, visibility),
    )
    return s.ReceiveResult(deliveries=[views.delivery(d) for d in items])


class ReceiveParams(NamedTuple):
    """The parameters of ``inbox/receive``."""

    agency: str | None
    kind: PackageKind | None
    max_items: int
    wait: int
    visibility: int


#: What the first claim of a receive gives: the caller, the inboxes, the deliveries.
_Received = tuple[str, list[int], Claimed]


async def receive_deliveries(
    hub: HubService,
    run: Callable[[ClaimedWork[_Received]], Awaitable[_Received]],
    disconnected: Callable[[], Awaitable[bool]],
    params: ReceiveParams,
) -> list[Delivery]:
    """``inbox/receive`` (here and in :mod:`.fastpath`). The first claim runs with the
    request's check and records its nonce (``run``: one threadpool trip, one
    transaction). With ``wait``, claim again whenever woken, until something comes, the
    time is up or the caller hangs up (``disconnected``). The wake-up is registered
    before the first claim (for any inbox until the caller's are known), so a delivery
    taken in meanwhile is not missed.

    Between wake-ups the database is re-checked every ``poll_interval_s``, unless this
    process hears every node's new deliveries (:attr:`.Notifier.hears_all`) and the wait
    is longer than that: then an empty claim also says when a lease of these inboxes
    runs out next, and the long-poll sleeps until then (``idle_recheck_s`` at most). An
    idle long-poll then costs one claim, not one a second: none is made at the deadline,
    since nothing came that a claim could find. After such a sleep the caller is asked
    whether it is still there before anything is claimed for it."""
    config = hub.config
    long = params.wait > config.poll_interval_s and hub.notifier.hears_all
    options = partial(
        hub.delivery.receive,
        agency=params.agency,
        kind=params.kind,
        max_items=params.max_items,
        visibility_s=params.visibility,
        next_due=long,
    )

    def first(system_id: str, claim: NonceClaim | None) -> _Received:
        found = options(system_id, claim=claim)
        return system_id, found.agencies, found

    if params.wait <= 0:
        return (await run(first))[2]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + params.wait
    with hub.notifier.waiting(None) as waiter:
        system_id, targets, items = await run(first)
        if items:
            return items
        hub.notifier.narrow(waiter, targets)
        again = partial(options, system_id, agencies=targets)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0 or await disconnected():
                return []
            if long and hub.notifier.hears_all:
                woken = await waiter.wait(min(remaining, _idle_sleep(hub, items.next_due)))
                if (not woken and loop.time() >= deadline) or await disconnected():
                    return []  # (at the deadline, nothing came that a claim could find)
            else:
                await waiter.wait(min(remaining, config.poll_interval_s))
            items = await in_thread(again)
            if items:
                return items


def _idle_sleep(hub: HubService, next_due: datetime | None) -> float:
    """How long a long-poll that hears every node may sleep: until the next lease of its
    inboxes runs out (a little after, so that the claim finds it due), at most
    ``idle_recheck_s``."""
    longest = hub.config.idle_recheck_s
    if next_due is None:
        return longest
    return min(longest, max(0.0, (next_due - hub.clock.now()).total_seconds()) + 0.01)


@router.get("/inbox", response_model=s.InboxPage, summary="Pending deliveries (read-only)")
async def inbox(
    *,
    hub: HubDep,
    system_id: SystemId,
    agency: str | None = None,
    kind: KindParam = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> s.InboxPage:
    page = await run_in_threadpool(
        partial(
            hub.delivery.inbox,
            system_id,
            agency=agency,
            kind=_kind(kind),
            since=since,
            cursor=cursor,
            limit=limit,
        )
    )
    return s.InboxPage(items=[views.delivery(d) for d in page.items], next_cursor=page.next_cursor)


@router.get(
    "/deliveries/{delivery_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
    summary="The exact package bytes of a delivery",
)
async def content(
    request: Request, hub: HubDep, caller: SystemCallDep, delivery_id: str
) -> Response:
    etag_wanted = request.headers.get("if-none-match", "").strip()
    found, body, stream = await caller.run(
        lambda system_id, claim: read_content(hub, system_id, delivery_id, etag_wanted, claim)
    )
    headers = content_headers(found)
    if etag_wanted == headers["ETag"]:
        del headers["Content-Length"]
        return Response(status_code=304, headers=headers)
    if body is not None:
        return Response(body, media_type="application/xml", headers=headers)
    assert stream is not None  # noqa: S101 - _content gives one or the other

    def chunks() -> Iterator[bytes]:
        with stream:
            while chunk := stream.read(1024 * 1024):
                yield chunk

    return StreamingResponse(chunks(), media_type="application/xml", headers=headers)


#: Packages up to this size are answered from memory (one read, no streaming machinery).
CONTENT_IN_MEMORY = 8 * 1024 * 1024


def content_headers(found: Content) -> dict[str, str]:
    """``ETag``, ``X-Lienthong-Trace`` and ``Content-Length`` of a delivery's content."""
    return {
        "ETag": f'"{found.sha256}"',
        "X-Lienthong-Trace": json.dumps(views.trace(found.trace), ensure_ascii=True),
        "Content-Length": str(found.size),
    }


def read_content(
    hub: HubService,
    system_id: str,
    delivery_id: str,
    etag_wanted: str,
    claim: NonceClaim | None = None,
) -> tuple[Content, bytes | None, BinaryIO | None]:
    """The delivery's facts and, unless the caller has them (ETag), its bytes: small
    packages read whole, large ones as an open stream. One trip to the threadpool."""
    found = hub.delivery.content(system_id, delivery_id, claim=claim)
    if etag_wanted == f'"{found.sha256}"':
        return found, None, None
    stream = hub.delivery.open(found)
    if found.size > CONTENT_IN_MEMORY:
        return found, None, stream
    with stream:
        return found, stream.read(), None


@router.post(
    "/deliveries/{delivery_id}/ack", response_model=s.AckResult, summary="Acknowledge a delivery"
)
async def ack(
    hub: HubDep,
    caller: SystemCallDep,
    delivery_id: str,
    body: s.AckRequest,
    visibility: Annotated[int, Query(ge=1, le=MAX_VISIBILITY_S)] = 60,
) -> s.AckResult:
    result = await caller.run(
        lambda system_id, claim: hub.delivery.ack(
            system_id,
            delivery_id,
            AckState(body.state),
            reason=body.reason,
            visibility_s=visibility,
            claim=claim,
        )
    )
    return views.ack(result)


@router.get(
    "/packages/{package_id}/tracking", response_model=s.TrackingReport, summary="Sender's view"
)
async def package_tracking(hub: HubDep, system_id: SystemId, package_id: str) -> s.TrackingReport:
    report = await run_in_threadpool(hub.tracking.package, system_id, package_id)
    return views.tracking(report)


@router.get("/documents/tracking", response_model=s.DocumentTracking, summary="By DocumentId")
async def document_tracking(
    hub: HubDep, system_id: SystemId, document_id: Annotated[str, Query(max_length=255)]
) -> s.DocumentTracking:
    reports = await run_in_threadpool(hub.tracking.document, system_id, document_id)
    return s.DocumentTracking(
        document_id=document_id, packages=[views.tracking(r) for r in reports]
    )


@router.get("/documents/links", response_model=s.DocumentLinks, summary="Linked documents")
async def document_links(
    hub: HubDep, system_id: SystemId, document_id: Annotated[str, Query(max_length=255)]
) -> s.DocumentLinks:
    found = await run_in_threadpool(hub.tracking.links, system_id, document_id)
    return views.links(document_id, found)


@router.get("/directory", response_model=s.DirectoryPage, summary="Directory change feed")
async def directory(
    hub: HubDep,
    _caller: AnyCaller,
    since: Annotated[int, Query(ge=0, le=MAX_VERSION)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> s.DirectoryPage:
    feed = await run_in_threadpool(hub.directory_feed, since, limit)
    return s.DirectoryPage(
        version=feed.version,
        agencies=[views.agency(a, feed.parents) for a in feed.agencies],
        has_more=feed.has_more,
    )
