"""Rendering pages: the Jinja2 environment, the request's context, and form errors.

Every route renders through :func:`render`, which adds what the base layout needs: the
translator ``_`` and the language, the acting person, the CSRF token, the current path.
Templates are autoescaped. Service errors become words for people in :func:`explain`:
the message of the error's code in the catalogue (``error.<code>``), and the form field it
belongs to, so the page can show it next to that field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile

from lienthong.clock import VN_TZ
from lienthong.errors import LienthongError
from lienthong.office.model import Actor
from lienthong.web.context import WebContext
from lienthong.web.i18n import LANG_COOKIE, Translator, pick_language
from lienthong.web.security import (
    CSRF_FIELD,
    LoginRequired,
    check_csrf,
    cookies_of,
    csrf_token,
    path_with_query,
)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def vn_day(value: date | datetime | None) -> str:
    """``dd/mm/yyyy`` (the Vietnam calendar day of an instant)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def vn_time(value: datetime | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam time."""
    if value is None:
        return ""
    local = value.astimezone(VN_TZ)
    return f"{vn_day(local)} {local:%H:%M}"


def doctype_name(key: str | None) -> str:
    """The name of a document type by its key (the key itself if unknown)."""
    from lienthong.edxml.doctypes import lookup_doctype

    found = lookup_doctype(key) if key else None
    return found.name if found else (key or "")


def make_environment() -> Environment:
    """The Jinja2 environment of the UI (autoescape on for every template)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vnday"] = vn_day
    env.filters["vntime"] = vn_time
    env.filters["doctype"] = doctype_name
    return env


def web(request: Request) -> WebContext:
    """The web context of the app serving the request."""
    ctx = request.app.state.web
    assert isinstance(ctx, WebContext)  # noqa: S101 - set by create_ui_app
    return ctx


def translator(request: Request) -> Translator:
    """The request's language: ``?lang=``, else the ``lt_lang`` cookie, else Vietnamese."""
    return Translator(
        pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    )


def current_actor(request: Request) -> Actor:
    """The logged-in person (their session cookie), else a redirect to the login page."""
    from lienthong.errors import AuthError
    from lienthong.office.model import TokenKind
    from lienthong.web.security import SESSION_COOKIE

    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(path_with_query(request))
    try:
        actor = web(request).office.users.authenticate(token, kind=TokenKind.SESSION)
    except AuthError:
        raise LoginRequired(path_with_query(request)) from None
    request.state.actor = actor
    return actor


async def form_data(request: Request) -> AsyncIterator[FormData]:
    """The submitted form, once its CSRF token was checked (uploads closed afterwards)."""
    form = await request.form()
    try:
        check_csrf(web(request).csrf_key, cookies_of(request), form)
        yield form
    finally:
        await form.close()


async def csrf_guard(request: Request) -> AsyncIterator[None]:
    """Router dependency: every POST carries this browser's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        yield
        return
    form = await request.form()
    try:
        check_csrf(web(request).csrf_key, cookies_of(request), form)
        yield
    finally:
        await form.close()


#: Dependencies of the routes.
Ctx = Depends(web)
Me = Depends(current_actor)
Form = Depends(form_data)


def text(form: FormData, name: str) -> str:
    """A text field of a form ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, multiple selects)."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


async def upload(form: FormData, name: str, *, max_bytes: int) -> tuple[str, bytes] | None:
    """``(file name, bytes)`` of an uploaded file, or ``None`` when none was chosen."""
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    data = await value.read(max_bytes + 1)
    return value.filename, data


@dataclass
class FormState:
    """A form being shown again: what was typed, and the errors by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: An error that belongs to no single field.
    general: str | None = None

    def add(self, name: str | None, message: str) -> None:
        if name is None:
            self.general = message
        else:
            self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors and self.general is None


def explain(
    exc: LienthongError, t: Translator, fields: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """The form field an error belongs to (``None``: the whole form) and its words.

    ``fields`` maps the service's field names (``details["field"]`` or the error code) to
    the form's; an unknown code keeps the service's own (English) message after a
    general Vietnamese sentence.
    """
    mapping = fields or {}
    name = exc.details.get("field")
    target = mapping.get(str(name)) if name is not None else None
    if target is None:
        target = mapping.get(exc.code)
    specific = f"error.{exc.code}.{name}"
    key = specific if name is not None and t.has(specific) else f"error.{exc.code}"
    message = t(key) if t.has(key) else t("error.generic", detail=exc.message)
    return target, message


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the layout's context."""
    env: Environment = request.app.state.templates
    t = translator(request)
    ctx = web(request)
    actor = getattr(request.state, "actor", None)
    base: dict[str, Any] = {
        "request": request,
        "_": t,
        "lang": t.lang,
        "actor": actor,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(ctx.csrf_key, cookies_of(request)),
        "path": request.url.path,
        "here": path_with_query(request),
        "agency": _agency_of(request, actor),
        "hub_enabled": ctx.hub is not None,
        "flash": _flash(request, t),
    }
    html = env.get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status)


def _agency_of(request: Request, actor: Actor | None) -> Any:
    if actor is None or actor.agency_id is None:
        return None
    try:
        return web(request).office.users.agency(actor.agency_id)
    except LienthongError:
        return None


def _flash(request: Request, t: Translator) -> str | None:
    """A success message named by ``?done=<id>`` (only ids of the catalogue's flash.*)."""
    done = request.query_params.get("done")
    if done and t.has(f"flash.{done}"):
        return t(f"flash.{done}")
    return None
