"""The office's REST API: a FastAPI router over :class:`~lienthong.office.services.OfficeServices`.

Every route but ``POST /auth/login`` needs ``Authorization: Bearer <token>`` (a token from
the login); the token stands for one user in one agency with their current roles, and
every rule is the services' (this layer only translates HTTP to calls and back). Errors
answer a JSON problem ``{"code", "message", "details"}`` with the status of the error's
family (401 auth, 403 role, 404 not found or not visible, 409 workflow, 422 validation).

Routes live in :mod:`.api_people` (login, people, catalogue, registers),
:mod:`.api_outgoing` and :mod:`.api_incoming`; ``docs/office.md`` lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong.errors import AuthError, LienthongError, ValidationError
from lienthong.office.common import MAX_FILE_BYTES
from lienthong.office.model import Actor, TokenKind
from lienthong.office.services import OfficeServices

log = logging.getLogger("lienthong.office.api")

PREFIX = "/office/api/v1"
bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /auth/login")


def get_services(request: Request) -> OfficeServices:
    """The office services the app was built with (``app.state.office``)."""
    services = request.app.state.office
    assert isinstance(services, OfficeServices)  # noqa: S101 - set by mount_office
    return services


def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Actor:
    """The :class:`Actor` the request's Bearer token stands for."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("a Bearer token is required", code="auth.missing")
    # API tokens only: a web session's token belongs in its HttpOnly cookie; taken out of
    # it (stolen), it must not open the API too.
    return get_services(request).users.authenticate(credentials.credentials, kind=TokenKind.API)


#: The acting user of a route.
Me = Annotated[Actor, Depends(current_actor)]
#: The office services of a route.
Services = Annotated[OfficeServices, Depends(get_services)]


async def read_body(request: Request, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The raw request body, refused beyond ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ValidationError("the upload is too large", code="office.file_too_large")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ValidationError("the upload is too large", code="office.file_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking, database) service call off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)


def office_router() -> APIRouter:
    """Every route of the office API (see :func:`mount_office`)."""
    from lienthong.office import api_incoming, api_outgoing, api_people

    router = APIRouter()
    router.include_router(api_people.router)
    router.include_router(api_outgoing.router, prefix="/outgoing")
    router.include_router(api_incoming.router, prefix="/incoming")
    return router


def mount_office(app: FastAPI, services: OfficeServices, *, prefix: str = PREFIX) -> None:
    """Serve the office API of ``services`` in ``app`` under ``prefix``."""
    app.state.office = services
    app.include_router(office_router(), prefix=prefix)


def problem(
    code: str, message: str, status: int, details: dict[str, Any] | None = None
) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="lienthong-office"'} if status == 401 else None
    return JSONResponse(
        {"code": code, "message": message, "details": _jsonable(details or {})},
        status,
        headers=headers,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def install_problems(app: FastAPI) -> None:
    """Answer every error as a JSON problem."""

    async def lienthong_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LienthongError)  # noqa: S101 - registered for this type
        if exc.http_status >= 500:
            log.warning("office request failed: %s", exc.code)
        answer = problem(exc.code, exc.message, exc.http_status, exc.details)
        if "retry_after" in exc.details:
            answer.headers["Retry-After"] = str(exc.details["retry_after"])
        return answer

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"loc": [], "message": "invalid request"}
        message = f"invalid request: {'/'.join(first['loc'])}: {first['message']}"
        return problem("request.invalid", message, 422, {"problems": problems})

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        return problem(f"http.{exc.status_code}", str(exc.detail), exc.status_code)

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
        return problem("internal", "the office could not complete the request", 500)

    app.add_exception_handler(LienthongError, lienthong_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
