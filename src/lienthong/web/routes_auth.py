"""Logging in and out, and the language switch."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lienthong.db.retry import retrying
from lienthong.errors import AuthError, LienthongError
from lienthong.office.model import TokenKind
from lienthong.web.context import WebContext
from lienthong.web.pages import Ctx, Form, FormState, explain, render, text, translator
from lienthong.web.security import SESSION_COOKIE, safe_next

router = APIRouter()
log = logging.getLogger("lienthong.web")

_LOGIN_FIELDS = {
    "auth.login": "password",
    "auth.agency_required": "agency",
    "office.agency_unknown": "agency",
    "directory.unknown": "agency",
}


def _login_page(
    request: Request, ctx: WebContext, state: FormState, next_path: str, status: int = 200
) -> Response:
    agencies = ctx.office.users.agencies()
    return render(
        request,
        "login.html",
        status=status,
        form=state,
        agencies=agencies,
        next=next_path,
        title=translator(request)("login.title"),
    )


@router.get("/login")
def login_form(request: Request, ctx: WebContext = Ctx) -> Response:
    """The login page."""
    next_path = safe_next(request.query_params.get("next"))
    return _login_page(request, ctx, FormState(), next_path)


@router.post("/login")
async def login(request: Request, ctx: WebContext = Ctx, form: FormData = Form) -> Response:
    """Check the password and open a session (cookie), then go where the user was going."""
    t = translator(request)
    state = FormState(values={"username": text(form, "username"), "agency": text(form, "agency")})
    next_path = safe_next(text(form, "next"))
    if not state.values["username"]:
        state.add("username", t("error.required.username"))
    password = form.get("password")
    if not isinstance(password, str) or not password:
        state.add("password", t("error.required.password"))
    if not state.ok:
        return _login_page(request, ctx, state, next_path, status=422)
    assert isinstance(password, str)  # noqa: S101 - checked just above
    agency = state.values["agency"] or None
    try:
        result = await run_in_threadpool(
            retrying,
            lambda: ctx.office.users.login(
                state.values["username"],
                password,
                agency=int(agency) if agency and agency.isdigit() else agency,
                kind=TokenKind.SESSION,
                name="web",
                client=request.client.host if request.client else None,
            ),
        )
    except (AuthError, LienthongError) as exc:
        field, message = explain(exc, t, _LOGIN_FIELDS)
        if field is None and isinstance(exc, AuthError):
            field = "password"
        if field is None:
            log.warning("login failed: %s", exc.code)
        state.add(field, message)
        status = 429 if exc.code == "auth.throttled" else 401
        return _login_page(request, ctx, state, next_path, status=status)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=int((result.expires_at - ctx.clock.now()).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=ctx.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, ctx: WebContext = Ctx, form: FormData = Form) -> Response:
    """End the session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ctx.office.users.logout(token)
    response = RedirectResponse("/login?done=logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str) -> Response:
    """Switch the language (the cookie is set by the app's middleware from ``?lang=``)."""
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if lang in ("vi", "en"):
        from lienthong.web.i18n import LANG_COOKIE

        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/", httponly=True
        )
    return response
