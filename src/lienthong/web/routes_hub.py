"""The hub operators' pages: agencies and systems, queues per agency, problems, and the
audit log's verification. Operators log in with an admin token (``lienthong hub
admin-token create``), kept in the ``lt_hub`` cookie; every call goes to
:class:`~lienthong.hub.services.HubService`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lienthong.errors import AuthError, LienthongError
from lienthong.hub.services import HubService
from lienthong.hub.systems import Admin
from lienthong.web.context import WebContext
from lienthong.web.pages import Ctx, Form, FormState, explain, render, text, translator, web
from lienthong.web.security import HUB_COOKIE, LoginRequired, path_with_query, safe_next

router = APIRouter(prefix="/hub")
#: A pending delivery older than this is shown as a problem.
STUCK_AFTER = timedelta(hours=1)


def _hub(ctx: WebContext) -> HubService:
    if ctx.hub is None:  # pragma: no cover - the router is mounted only with a hub
        raise LoginRequired("/", hub=True)
    return ctx.hub


def hub_operator(request: Request) -> Admin:
    """The operator the ``lt_hub`` cookie's admin token names, else the hub login page."""
    token = request.cookies.get(HUB_COOKIE)
    if not token:
        raise LoginRequired(path_with_query(request), hub=True)
    try:
        admin = _hub(web(request)).systems.authenticate_admin(f"Bearer {token}")
    except LienthongError:
        raise LoginRequired(path_with_query(request), hub=True) from None
    request.state.hub_operator = admin
    return admin


Operator = Depends(hub_operator)


def _render(request: Request, template: str, **context: Any) -> Response:
    return render(
        request, template, hub_operator=getattr(request.state, "hub_operator", None), **context
    )


@router.get("/login")
def login_form(request: Request) -> Response:
    """The operators' login page (an admin token)."""
    t = translator(request)
    return _render(
        request,
        "hub_login.html",
        title=t("hub.login.title"),
        form=FormState(),
        next=safe_next(request.query_params.get("next"), "/hub"),
    )


@router.post("/login")
def login(request: Request, ctx: WebContext = Ctx, form: FormData = Form) -> Response:
    """Check the admin token and keep it in an HttpOnly cookie."""
    t = translator(request)
    token = text(form, "token")
    next_path = safe_next(text(form, "next"), "/hub")
    state = FormState()
    if not token:
        state.add("token", t("error.required.token"))
    else:
        try:
            _hub(ctx).systems.authenticate_admin(f"Bearer {token}")
        except (AuthError, LienthongError):
            state.add("token", t("error.hub.token"))
    if not state.ok:
        return _render(
            request,
            "hub_login.html",
            status=401,
            title=t("hub.login.title"),
            form=state,
            next=next_path,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        HUB_COOKIE,
        token,
        max_age=12 * 3600,
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(form: FormData = Form) -> Response:
    """Forget the admin token."""
    response = RedirectResponse("/hub/login", status_code=303)
    response.delete_cookie(HUB_COOKIE, path="/")
    return response


@router.get("")
def overview(request: Request, ctx: WebContext = Ctx, admin: Admin = Operator) -> Response:
    """Agencies of the directory and the systems connected to the hub."""
    t = translator(request)
    hub = _hub(ctx)
    return _render(
        request,
        "hub_overview.html",
        title=t("hub.title"),
        agencies=ctx.directory.list(limit=2000),
        systems=hub.systems.all(),
    )


@router.post("/{what}/{ident}/{action}")
def change(
    request: Request,
    what: str,
    ident: str,
    action: str,
    *,
    ctx: WebContext = Ctx,
    admin: Admin = Operator,
    form: FormData = Form,
) -> Response:
    """Lock or unlock a system or an agency."""
    hub = _hub(ctx)
    calls: dict[tuple[str, str], Callable[[], object]] = {
        ("systems", "lock"): lambda: hub.systems.lock(ident, actor=admin.actor),
        ("systems", "unlock"): lambda: hub.systems.unlock(ident, actor=admin.actor),
        ("agencies", "lock"): lambda: ctx.directory.lock(ident, actor=admin.actor),
        ("agencies", "unlock"): lambda: ctx.directory.unlock(ident, actor=admin.actor),
    }
    call = calls.get((what, action))
    if call is None:
        return RedirectResponse("/hub", status_code=303)
    try:
        call()
    except LienthongError as exc:
        t = translator(request)
        _field, message = explain(exc, t)
        return _render(
            request,
            "error.html",
            status=min(max(exc.http_status, 400), 499),
            title=t("error.title"),
            message=message,
            code=exc.code,
        )
    return RedirectResponse("/hub?done=hub_changed", status_code=303)


@router.get("/queues")
def queues(request: Request, ctx: WebContext = Ctx, admin: Admin = Operator) -> Response:
    """Deliveries waiting, leased and failed, per recipient agency."""
    t = translator(request)
    rows = _hub(ctx).queues()
    return _render(
        request, "hub_queues.html", title=t("hub.nav.queues"), rows=rows, now=ctx.clock.now()
    )


@router.get("/errors")
def errors(request: Request, ctx: WebContext = Ctx, admin: Admin = Operator) -> Response:
    """What needs an operator: failed or stuck deliveries, locked systems and agencies."""
    t = translator(request)
    hub = _hub(ctx)
    now: datetime = ctx.clock.now()
    rows = hub.queues()
    failed = [q for q in rows if q.failed]
    stuck = [
        q
        for q in rows
        if q.pending and q.oldest_pending_at and now - q.oldest_pending_at > STUCK_AFTER
    ]
    locked_systems = [s for s in hub.systems.all() if s.state.value != "active"]
    locked_agencies = [a for a in ctx.directory.list(limit=2000) if not a.is_active]
    return _render(
        request,
        "hub_errors.html",
        title=t("hub.nav.errors"),
        failed=failed,
        stuck=stuck,
        locked_systems=locked_systems,
        locked_agencies=locked_agencies,
        now=now,
    )


@router.get("/audit")
def audit(request: Request, ctx: WebContext = Ctx, admin: Admin = Operator) -> Response:
    """The audit log's verification (run on request: it reads the whole chain)."""
    t = translator(request)
    report = None
    if request.query_params.get("verify") == "1":
        report = _hub(ctx).audit.verify()
    return _render(request, "hub_audit.html", title=t("hub.nav.audit"), report=report)


@router.post("/audit/checkpoint")
async def checkpoint(
    request: Request, *, ctx: WebContext = Ctx, admin: Admin = Operator, form: FormData = Form
) -> Response:
    """Sign a checkpoint of the audit log now."""
    try:
        await run_in_threadpool(_hub(ctx).audit.checkpoint)
    except LienthongError as exc:
        t = translator(request)
        _field, message = explain(exc, t)
        return _render(
            request,
            "hub_audit.html",
            status=409,
            title=t("hub.nav.audit"),
            report=None,
            problem=message,
        )
    return RedirectResponse("/hub/audit?done=hub_changed", status_code=303)
