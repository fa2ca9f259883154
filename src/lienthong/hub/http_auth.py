"""Who is calling: FastAPI dependencies for systems (HMAC) and operators (bearer tokens).

Database work runs in the threadpool (never on the event loop). ``POST /packages``
(:func:`lienthong.hub.api.take_package`) checks the signature *before* reading the body
(the signature covers the declared body hash), then reads the body with the size limit
(:func:`read_limited`) and checks its hash: an unauthenticated caller cannot make the hub
read a large upload.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from lienthong.errors import LimitExceeded, PermissionDenied, StorageError
from lienthong.hub import auth
from lienthong.hub.nonce_claims import NonceClaim, StaleCredentials
from lienthong.hub.services import HubService
from lienthong.hub.systems import Admin, SignedRequest
from lienthong.hub.threads import in_thread

_T = TypeVar("_T")


def get_hub(request: Request) -> HubService:
    """The hub the app was built with."""
    hub = request.app.state.hub
    assert isinstance(hub, HubService)  # noqa: S101 - set by create_hub_app
    return hub


HubDep = Annotated[HubService, Depends(get_hub)]


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: a system, or an operator."""

    system_id: str | None = None
    admin: Admin | None = None

    @property
    def actor(self) -> str:
        if self.admin is not None:
            return self.admin.actor
        return f"system:{self.system_id}"


@dataclass(frozen=True, slots=True)
class SignedParts:
    """What a system's request signature covers, read from the ASGI scope (the body's
    hash aside): headers (lower-case names), method, raw path, raw query."""

    headers: dict[str, str]
    method: str
    path: str
    query: str

    @classmethod
    def of(cls, scope: Scope) -> SignedParts:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw = scope.get("raw_path")
        if isinstance(raw, bytes | bytearray) and raw:
            path = bytes(raw).decode("latin-1").partition("?")[0]
        else:
            path = scope["path"]
        return cls(headers, scope["method"], path, scope.get("query_string", b"").decode("latin-1"))

    @property
    def request(self) -> SignedRequest:
        return self.headers, self.method, self.path, self.query

    def verify(self, hub: HubService, body_sha256: str | None) -> auth.AuthenticatedSystem:
        """The calling system (blocking: the database), ``auth.*`` errors otherwise."""
        return hub.systems.authenticate_system(
            self.headers, self.method, self.path, self.query, body_sha256
        )

    def verify_deferred(
        self, hub: HubService, body_sha256: str | None
    ) -> tuple[auth.AuthenticatedSystem, NonceClaim | None]:
        """The calling system, its nonce left to the work's transaction when the cached
        credentials could tell (blocking: the database otherwise)."""
        return hub.systems.authenticate_deferred(self.request, body_sha256)


def note_system(scope: Scope, system_id: str) -> None:
    """Name the caller in the request's state (the request log shows it)."""
    scope.setdefault("state", {})["system_id"] = system_id


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> tuple[bytes, str]:
    """A request body of at most ``limit`` bytes (``package.limit.size`` beyond), and its
    SHA-256 (hex), hashed as it arrives."""
    parts: list[bytes] = []
    size = 0
    digest = hashlib.sha256()
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(
                f"package exceeds the limit of {limit} bytes",
                code="package.limit.size",
                limit=limit,
            )
        digest.update(chunk)
        parts.append(chunk)
    return b"".join(parts), digest.hexdigest()


def check_declared_length(headers: dict[str, str], limit: int) -> None:
    """Refuse a body whose ``Content-Length`` already exceeds ``limit``, before reading it."""
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise LimitExceeded(
            f"package of {length} bytes exceeds the limit of {limit} bytes",
            code="package.limit.size",
            limit=limit,
        )


async def _verify_system(
    hub: HubService, request: Request, body_sha256: str | None
) -> auth.AuthenticatedSystem:
    parts = SignedParts.of(request.scope)
    result = await run_in_threadpool(parts.verify, hub, body_sha256)
    note_system(request.scope, result.system_id)
    return result


def _is_bearer(request: Request) -> bool:
    value = request.headers.get("authorization", "")
    return value.strip().lower().startswith("bearer ")


async def system_caller(request: Request, hub: HubDep) -> str:
    """The calling system's id (HMAC-signed request, body included)."""
    body = await request.body()
    return (await _verify_system(hub, request, hashlib.sha256(body).hexdigest())).system_id


class SystemCall:
    """A system's signed request whose check runs together with the endpoint's work: one
    trip to the threadpool instead of two (see :func:`system_call`)."""

    __slots__ = ("_body_sha256", "_hub", "_request")

    def __init__(self, hub: HubService, request: Request, body_sha256: str) -> None:
        self._hub = hub
        self._request = request
        self._body_sha256 = body_sha256

    async def run(self, work: Callable[[str, NonceClaim | None], _T]) -> _T:
        """Authenticate the caller (``auth.*`` errors first), then ``work(system_id,
        claim)``, which records the nonce ``claim`` in its transaction."""
        return await run_signed(self._hub, self._request.scope, self._body_sha256, work)


#: A system's work: given the caller and the nonce claim its transaction records.
ClaimedWork = Callable[[str, NonceClaim | None], _T]


async def run_signed(hub: HubService, scope: Scope, body_sha256: str, work: ClaimedWork[_T]) -> _T:
    """Authenticate a system's request and do ``work(system_id, claim)`` in one
    threadpool trip (see :func:`run_claimed`)."""
    parts = SignedParts.of(scope)

    def both() -> _T:
        verified, claim = parts.verify_deferred(hub, body_sha256)
        note_system(scope, verified.system_id)
        return run_claimed(
            hub,
            parts,
            body_sha256=body_sha256,
            system_id=verified.system_id,
            claim=claim,
            work=work,
        )

    return await in_thread(both)


def run_claimed(
    hub: HubService,
    parts: SignedParts,
    *,
    body_sha256: str,
    system_id: str,
    claim: NonceClaim | None,
    work: ClaimedWork[_T],
) -> _T:
    """``work(system_id, claim)`` for a request authenticated with ``claim`` (blocking).

    The work's unit of work records the nonce first (:mod:`.nonce_claims`). If the
    credentials changed since they were cached, the request is authenticated afresh from
    the database (nonce recorded) and the work done again without a claim. A claim the
    work did not make durable is settled after it, whether it failed or not; a replay
    then answers ``auth.replay`` rather than the work's own error."""
    if claim is None:
        return work(system_id, None)

    def reauthenticate() -> auth.AuthenticatedSystem:
        return parts.verify(hub, body_sha256)

    try:
        result = work(system_id, claim)
    except StaleCredentials:
        hub.systems.forget(system_id)
        return work(reauthenticate().system_id, None)
    except StorageError as exc:
        if exc.code != "storage.unavailable":
            hub.systems.settle(claim, reauthenticate)
        # The database failed mid-work (perhaps after the commit landed): 503, retried by
        # the client with a new nonce; settling now could call the request a replay.
        raise
    except Exception:
        hub.systems.settle(claim, reauthenticate)
        raise
    hub.systems.settle(claim, reauthenticate)
    return result


async def system_call(request: Request, hub: HubDep) -> SystemCall:
    """For the busiest routes: the body read and hashed; the HMAC check deferred to
    :meth:`SystemCall.run`, which runs it with the endpoint's work. Nothing of the
    request is acted on before it passes. A request without a well-formed signature is
    refused here, before its parameters are looked at (401, not 400); a signed one with
    bad parameters is ``400 request.invalid`` before its signature is checked."""
    auth.check_headers(request.headers)
    body = await request.body()
    return SystemCall(hub, request, hashlib.sha256(body).hexdigest())


async def admin_caller(request: Request, hub: HubDep) -> Admin:
    """The calling operator; a system's signed request is authenticated, then refused."""
    if not _is_bearer(request) and request.headers.get(auth.HEADER_SYSTEM):
        await system_caller(request, hub)
        raise PermissionDenied("this endpoint is for operators", code="forbidden.admin")
    admin = await run_in_threadpool(
        hub.systems.authenticate_admin, request.headers.get("authorization")
    )
    request.state.admin = admin.actor
    return admin


async def any_caller(request: Request, hub: HubDep) -> Caller:
    """A system or an operator (read-only endpoints both may use)."""
    if _is_bearer(request):
        return Caller(admin=await admin_caller(request, hub))
    return Caller(system_id=await system_caller(request, hub))


SystemId = Annotated[str, Depends(system_caller)]
SystemCallDep = Annotated[SystemCall, Depends(system_call)]
AdminDep = Annotated[Admin, Depends(admin_caller)]
AnyCaller = Annotated[Caller, Depends(any_caller)]
