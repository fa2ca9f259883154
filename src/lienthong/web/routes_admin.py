"""Administration of an agency: its people (users, roles, units, passwords) and its
catalogue of document kinds. Who may do what is decided by
:class:`~lienthong.office.users.UserService` and
:class:`~lienthong.office.catalogue.CatalogueService`; a refusal shows as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lienthong.db.retry import retrying
from lienthong.edxml.doctypes import ADMINISTRATIVE_TYPES
from lienthong.errors import LienthongError
from lienthong.office.catalogue_rules import INTERNAL, CatalogueEntry
from lienthong.office.model import Actor, RequiredForm, Role, UserState
from lienthong.web.context import WebContext
from lienthong.web.pages import (
    Ctx,
    Form,
    FormState,
    Me,
    explain,
    render,
    text,
    texts,
    translator,
)

router = APIRouter(prefix="/admin")

_FIELDS = {
    "office.invalid_username": "username",
    "office.user_exists": "username",
    "conflict": "username",
    "office.weak_password": "password",
    "office.invalid_name": "full_name",
    "office.role_missing": "roles",
    "office.role_unknown": "roles",
    "office.unit_unknown": "unit",
    "office.invalid_abbreviation": "abbreviation",
}
_ASSIGNABLE = (Role.CLERK, Role.LEADER, Role.SPECIALIST, Role.ADMIN)


def _page(
    request: Request,
    ctx: WebContext,
    me: Actor,
    forms: dict[str, FormState] | None = None,
    *,
    status: int = 200,
) -> Response:
    t = translator(request)
    assert me.agency_id is not None  # noqa: S101 - people act inside an agency
    users = ctx.office.users
    members = users.members(me, me.agency_id)
    units = users.units(me, me.agency_id)
    return render(
        request,
        "admin.html",
        status=status,
        title=t("admin.title"),
        forms=forms or {},
        members=members,
        units=units,
        unit_options=[(u.abbreviation, u.name) for u in units],
        role_options=[(r.value, t(f"role.{r.value}")) for r in _ASSIGNABLE],
        catalogue=ctx.office.catalogue.entries(me),
        doctypes=[(d.key, d.name) for d in ADMINISTRATIVE_TYPES],
        required_forms=[(f.value, t(f"required.{f.value}")) for f in RequiredForm],
        is_admin=me.has(Role.ADMIN),
        edits_catalogue=me.has(Role.ADMIN, Role.CLERK),
    )


@router.get("")
def admin(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """Users, units and the catalogue of the agency."""
    return _page(request, ctx, me)


def _run(
    request: Request,
    ctx: WebContext,
    me: Actor,
    form: FormData,
    *,
    name: str,
    call: Callable[[], Any],
    done: str,
    anchor: str,
) -> Response:
    t = translator(request)
    state = FormState(values={k: text(form, k) for k in form if k != "csrf_token"})
    state.values["roles"] = texts(form, "roles")
    try:
        retrying(call)
    except LienthongError as exc:
        if exc.http_status == 404 and exc.code != "office.unit_unknown":
            raise
        field, message = explain(exc, t, _FIELDS)
        state.add(field, message)
        return _page(request, ctx, me, {name: state}, status=min(max(exc.http_status, 400), 499))
    return RedirectResponse(f"/admin?done={done}#{anchor}", status_code=303)


@router.post("/users")
async def add_user(
    request: Request, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Add a user with roles (and a unit)."""
    t = translator(request)
    state = FormState(values={k: text(form, k) for k in form if k != "csrf_token"})
    state.values["roles"] = texts(form, "roles")
    for field_name in ("username", "full_name", "password"):
        if not state.values.get(field_name):
            state.add(field_name, t(f"error.required.{field_name}"))
    if not state.values["roles"]:
        state.add("roles", t("error.required.roles"))
    if not state.ok:
        return await run_in_threadpool(_page, request, ctx, me, {"add_user": state}, status=422)
    v = state.values
    assert me.agency_id is not None  # noqa: S101

    def call() -> Any:
        return ctx.office.users.add_user(
            me,
            me.agency_id or 0,
            username=v["username"],
            full_name=v["full_name"],
            password=v["password"],
            roles=v["roles"],
            unit=v.get("unit") or None,
            title=v.get("title") or None,
            email=v.get("email") or None,
        )

    return await run_in_threadpool(
        _run, request, ctx, me, form, name="add_user", call=call, done="user_added", anchor="users"
    )


@router.post("/users/{username}/{action}")
def user_action(
    request: Request,
    username: str,
    action: str,
    *,
    ctx: WebContext = Ctx,
    me: Actor = Me,
    form: FormData = Form,
) -> Response:
    """Change a user's roles, reset their password, disable or enable them."""
    users = ctx.office.users
    agency = me.agency_id or 0
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "roles": (
            lambda: users.set_roles(
                me, agency, username, texts(form, "roles"), text(form, "unit") or None
            ),
            "roles_set",
        ),
        "password": (
            lambda: users.change_password(me, username, text(form, "password")),
            "password_reset",
        ),
        "disable": (lambda: users.set_state(me, username, UserState.DISABLED), "user_state"),
        "enable": (lambda: users.set_state(me, username, UserState.ACTIVE), "user_state"),
    }
    if action not in calls:
        return RedirectResponse("/admin", status_code=303)
    call, done = calls[action]
    return _run(
        request, ctx, me, form, name=f"{action}:{username}", call=call, done=done, anchor="users"
    )


@router.post("/units")
def add_unit(
    request: Request, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Add a unit (phòng ban)."""
    t = translator(request)
    name, abbreviation = text(form, "name"), text(form, "abbreviation")
    if not name or not abbreviation:
        state = FormState(values={"name": name, "abbreviation": abbreviation})
        if not name:
            state.add("name", t("error.required.unit_name"))
        if not abbreviation:
            state.add("abbreviation", t("error.required.abbreviation"))
        return _page(request, ctx, me, {"add_unit": state}, status=422)
    call = lambda: ctx.office.users.add_unit(me, me.agency_id or 0, name, abbreviation)  # noqa: E731
    return _run(
        request, ctx, me, form, name="add_unit", call=call, done="unit_added", anchor="units"
    )


@router.post("/catalogue")
def add_entry(
    request: Request, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Add a kind of document to the catalogue."""
    t = translator(request)
    name = text(form, "name")
    required = text(form, "required_form")
    if not name:
        state = FormState(
            values={k: text(form, k) for k in ("name", "doctype_key", "required_form")}
        )
        state.add("name", t("error.required.entry_name"))
        return _page(request, ctx, me, {"add_entry": state}, status=422)
    entry = CatalogueEntry(
        name=name,
        required_form=RequiredForm(required)
        if required in set(RequiredForm)
        else RequiredForm.ELECTRONIC,
        scope=INTERNAL,
        doctype_key=text(form, "doctype_key") or None,
    )
    call = lambda: ctx.office.catalogue.add(me, entry)  # noqa: E731
    return _run(
        request, ctx, me, form, name="add_entry", call=call, done="entry_added", anchor="catalogue"
    )


@router.post("/catalogue/{entry_id}")
def change_entry(
    request: Request, entry_id: int, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Deactivate or reactivate an entry, or change the form it requires."""
    required = text(form, "required_form")
    active = text(form, "active")
    call = lambda: ctx.office.catalogue.update(  # noqa: E731
        me,
        entry_id,
        required_form=RequiredForm(required) if required in set(RequiredForm) else None,
        active={"1": True, "0": False}.get(active),
    )
    return _run(
        request,
        ctx,
        me,
        form,
        name=f"entry:{entry_id}",
        call=call,
        done="entry_changed",
        anchor="catalogue",
    )
