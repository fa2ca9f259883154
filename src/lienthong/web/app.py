"""The web interface's ASGI applications.

- :func:`create_ui_app` — the server-rendered pages over a :class:`~.context.WebContext`
  (routes in ``routes_*.py``, templates in ``templates/``, one CSS file in ``static/``).
- :func:`create_web_app` — what ``lienthong serve`` and the demo run: the UI, the office's
  REST API (``/office/api/…``) and the hub (``/api/…``, ``/healthz``, ``/metrics``,
  ``/docs``) in one process, each app receiving its paths unchanged (:mod:`.compose`).

Every page but the login pages and static files needs a session; every POST needs its
CSRF token (``docs/web.md``, "Security").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from lienthong import __version__
from lienthong.errors import AuthError, LienthongError
from lienthong.office.model import TokenKind
from lienthong.uploads import CredentialedBodies
from lienthong.web.compose import PathDispatch
from lienthong.web.context import DispatchNow, WebContext, context_from_container
from lienthong.web.i18n import LANG_COOKIE, LANGUAGES
from lienthong.web.pages import STATIC, csrf_guard, explain, make_environment, render, translator
from lienthong.web.preview import Previewer
from lienthong.web.security import (
    PRE_COOKIE,
    SESSION_COOKIE,
    CsrfRejected,
    LoginRequired,
    login_url,
    new_pre_token,
    path_with_query,
)
from lienthong.web.signatures import SignatureReports

if TYPE_CHECKING:
    from lienthong.bootstrap import Container

log = logging.getLogger("lienthong.web")

#: Prefixes the hub app answers in the combined app.
HUB_PREFIXES = ("/api", "/healthz", "/metrics", "/docs", "/openapi.json")
#: Prefixes of the office's REST API.
OFFICE_PREFIXES = ("/office/api", "/office/healthz")

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def _routers(*, with_hub: bool) -> list[APIRouter]:
    from lienthong.web import (
        routes_admin,
        routes_auth,
        routes_compose,
        routes_home,
        routes_hub,
        routes_incoming,
        routes_outgoing,
        routes_registers,
    )

    modules = [
        routes_auth,
        routes_home,
        routes_incoming,
        routes_compose,
        routes_outgoing,
        routes_registers,
        routes_admin,
    ]
    if with_hub:
        modules.append(routes_hub)
    return [m.router for m in modules]


def page_routes(*, with_hub: bool = True) -> list[tuple[str, frozenset[str]]]:
    """Every page route as ``(path, methods)``, in the order they are matched."""
    return [
        (route.path, frozenset(route.methods or ()))
        for router in _routers(with_hub=with_hub)
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def create_ui_app(ctx: WebContext) -> FastAPI:
    """The pages of the office (and, with ``ctx.hub``, of the hub's operators)."""
    app = FastAPI(
        title="lienthong web",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = ctx
    app.state.templates = make_environment()
    app.state.previewer = Previewer(ctx.cache_dir)
    app.state.signatures = SignatureReports(ctx.trust, ctx.clock)
    guarded = [Depends(csrf_guard)]
    for router in _routers(with_hub=ctx.hub is not None):
        app.include_router(router, dependencies=guarded)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_errors(app)
    app.middleware("http")(_cookies_and_headers(ctx))
    app.add_middleware(CredentialedBodies, authenticated=partial(_has_session, ctx))
    return app


def _has_session(ctx: WebContext, scope: Scope) -> bool:
    """Whether the request carries a live session cookie (for :mod:`lienthong.uploads`)."""
    token = Request(scope).cookies.get(SESSION_COOKIE)
    if not token:
        return False
    try:
        ctx.office.users.authenticate(token, kind=TokenKind.SESSION)
    except LienthongError:
        return False
    return True


def _cookies_and_headers(
    ctx: WebContext,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        new_pre = None
        if not request.cookies.get(PRE_COOKIE):
            new_pre = new_pre_token()
            request.state.new_pre = new_pre
        response = await call_next(request)
        if new_pre is not None:
            response.set_cookie(
                PRE_COOKIE,
                new_pre,
                httponly=True,
                samesite="lax",
                secure=ctx.secure_cookies,
                path="/",
            )
        lang = request.query_params.get("lang")
        if lang in LANGUAGES and lang != request.cookies.get(LANG_COOKIE):
            response.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/", httponly=True
            )
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


def _install_errors(app: FastAPI) -> None:
    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for this type
        response = RedirectResponse(login_url(exc.next_path, hub=exc.hub), status_code=303)
        if not exc.hub and request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        t = translator(request)
        return render(
            request,
            "error.html",
            status=403,
            title=t("error.csrf.title"),
            message=t("error.csrf"),
        )

    async def service_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LienthongError)  # noqa: S101
        if isinstance(exc, AuthError):
            return await login_required(request, LoginRequired(path_with_query(request)))
        t = translator(request)
        _field, message = explain(exc, t)
        status = exc.http_status if 400 <= exc.http_status < 600 else 400
        if status >= 500:
            log.warning("web request failed: %s", exc.code)
        return render(
            request,
            "error.html",
            status=status,
            title=t(f"error.title.{status}")
            if t.has(f"error.title.{status}")
            else t("error.title"),
            message=message,
            code=exc.code,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101
        t = translator(request)
        status = exc.status_code
        key = f"error.title.{status}"
        return render(
            request,
            "error.html",
            status=status,
            title=t(key) if t.has(key) else t("error.title"),
            message=t("error.http", status=status),
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected web error: %s", type(exc).__name__, exc_info=exc)
        t = translator(request)
        return render(
            request, "error.html", status=500, title=t("error.title"), message=t("error.internal")
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(LienthongError, service_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def create_web_app(
    container: Container,
    *,
    hub: bool = True,
    office_api: bool = True,
    background: bool = True,
    dispatch_now: DispatchNow | None = None,
    ctx: WebContext | None = None,
) -> PathDispatch:
    """The UI with the office API and (``hub=True``) the hub, in one ASGI app."""
    context = ctx or context_from_container(container, with_hub=hub, dispatch_now=dispatch_now)
    ui = create_ui_app(context)
    routes: list[tuple[str, Any]] = []
    if office_api:
        from lienthong.office.app import create_office_app

        office = create_office_app(container)
        routes += [(prefix, office) for prefix in OFFICE_PREFIXES]
    if hub:
        from lienthong.hub.app import create_hub_app

        hub_app = create_hub_app(container, background=background)
        routes += [(prefix, hub_app) for prefix in HUB_PREFIXES]
    return PathDispatch(ui, routes)
