"""The HTTP edge of errors: every failure answers a JSON problem body.

``{"code", "axis_code", "message", "details"}`` with the HTTP status of the error's family
(``docs/hub-api.md``, "Errors"): ``request.*`` 400, ``auth.*`` 401, ``forbidden.*`` 403,
``not_found.*`` 404, conflicts 409, ``package.limit.*`` 413, package, validation, signature
and routing refusals 422, ``storage.unavailable`` 503 with ``Retry-After``. The axis codes
come from :func:`lienthong.hub.schemas.axis_code_for`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong.errors import LienthongError, LimitExceeded, StorageError
from lienthong.hub.schemas import axis_code_for

log = logging.getLogger("lienthong.hub.api")

#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 5
_HTTP_CODES = {
    400: "request.invalid",
    401: "auth.missing",
    403: "forbidden",
    404: "not_found.route",
    405: "request.method",
    406: "request.not_acceptable",
    413: "package.limit.size",
    415: "request.media_type",
}


def status_for(error: LienthongError) -> int:
    """The HTTP status of an error: its family's, with the per-code exceptions above."""
    if isinstance(error, LimitExceeded) or error.code.startswith("package.limit"):
        return 413
    if error.code.startswith("request."):
        return 400
    return error.http_status


def problem_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "axis_code": axis_code_for(code),
        "message": message,
        "details": details or {},
    }


def problem_response(error: LienthongError) -> JSONResponse:
    """The answer for a :class:`LienthongError` (secrets never travel in errors)."""
    status = status_for(error)
    headers: dict[str, str] = {}
    if status == 503 or (isinstance(error, StorageError) and error.code == "storage.unavailable"):
        status = 503
        headers["Retry-After"] = str(error.details.get("retry_after", RETRY_AFTER_S))
    details = {k: v for k, v in error.details.items() if k != "retry_after"}
    if status == 401:
        headers["WWW-Authenticate"] = 'LIENTHONG-HMAC-SHA256, Bearer realm="lienthong-hub"'
    return JSONResponse(
        problem_body(error.code, error.message, _jsonable(details)), status, headers=headers
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def error_response(exc: LienthongError, count: Callable[[str], None] | None = None) -> JSONResponse:
    """A refusal or failure of ours, counted (``count(code)``, metrics) and logged if 5xx."""
    if count is not None:
        count(exc.code)
    if status_for(exc) >= 500:
        log.warning("request failed: %s", exc.code)
    return problem_response(exc)


def unexpected_response(exc: Exception, count: Callable[[str], None] | None = None) -> JSONResponse:
    """A bug: logged with its traceback, answered 500 without details."""
    if count is not None:
        count("internal")
    log.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
    body = problem_body("internal", "the hub could not complete the request")
    body["axis_code"] = 20
    return JSONResponse(body, 500)


def install(app: FastAPI, on_error: Callable[[str], None] | None = None) -> None:
    """Register the handlers; ``on_error(code)`` is told each error answered (metrics)."""

    def count(code: str) -> None:
        if on_error is not None:
            on_error(code)

    async def lienthong_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LienthongError)  # noqa: S101 - registered for this type
        return error_response(exc, count)

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        count("request.invalid")
        first = problems[0] if problems else {"loc": [], "message": "invalid request"}
        message = f"invalid request: {'/'.join(first['loc'])}: {first['message']}"
        return JSONResponse(problem_body("request.invalid", message, {"problems": problems}), 400)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
        count(code)
        return JSONResponse(
            problem_body(code, str(exc.detail)), exc.status_code, headers=exc.headers
        )

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return unexpected_response(exc, count)

    app.add_exception_handler(LienthongError, lienthong_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
