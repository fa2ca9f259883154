"""Office API routes: login, the current user, units, users, the catalogue, registers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from lienthong.downloads import file_response
from lienthong.office.access import agency_of
from lienthong.office.api import Me, Services, bearer_scheme
from lienthong.office.api_schemas import (
    ActorOut,
    CatalogueIn,
    CataloguePatch,
    LoginRequest,
    LoginResponse,
    MemberOut,
    PasswordChange,
    RegisterOut,
    RolesIn,
    UnitIn,
    UserIn,
)
from lienthong.office.catalogue_rules import CatalogueEntry
from lienthong.office.exports import ExportFormat, export_register, file_name
from lienthong.office.model import Actor, TokenKind, Unit, UserState
from lienthong.office.registers import RegisterKind


def _agency(actor: Actor) -> int:
    return agency_of(actor)


router = APIRouter()


@router.post("/auth/login", tags=["auth"])
def login(request: Request, office: Services, body: LoginRequest) -> LoginResponse:
    """Check a password; answer an API token (Bearer) for one agency. Too many failures
    for the username or from the address: ``429 auth.throttled`` with ``Retry-After``."""
    result = office.users.login(
        body.username,
        body.password,
        agency=body.agency,
        kind=TokenKind.API,
        name=body.name,
        client=request.client.host if request.client else None,
    )
    return LoginResponse(
        token=result.token, expires_at=result.expires_at, actor=ActorOut.of(result.actor)
    )


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(
    me: Me,
    office: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Response:
    """Revoke the token used for this request."""
    assert credentials is not None  # noqa: S101 - `me` needed one
    office.users.logout(credentials.credentials)
    return Response(status_code=204)


@router.get("/me", tags=["auth"])
def whoami(me: Me) -> ActorOut:
    return ActorOut.of(me)


@router.post("/me/password", tags=["auth"], status_code=204)
def my_password(me: Me, office: Services, body: PasswordChange) -> Response:
    """Change one's own password (every session and token ends)."""
    office.users.change_password(me, me.username, body.new_password, old_password=body.old_password)
    return Response(status_code=204)


@router.get("/units", tags=["people"])
def units(me: Me, office: Services) -> list[Unit]:
    return list(office.users.units(me, _agency(me)))


@router.post("/units", tags=["people"], status_code=201)
def add_unit(me: Me, office: Services, body: UnitIn) -> Unit:
    return office.users.add_unit(me, _agency(me), body.name, body.abbreviation)


@router.get("/users", tags=["people"])
def members(me: Me, office: Services) -> list[MemberOut]:
    return [MemberOut.of(m) for m in office.users.members(me, _agency(me))]


@router.post("/users", tags=["people"], status_code=201)
def add_user(me: Me, office: Services, body: UserIn) -> MemberOut:
    member = office.users.add_user(
        me,
        _agency(me),
        username=body.username,
        full_name=body.full_name,
        password=body.password,
        roles=body.roles,
        unit=body.unit,
        title=body.title,
        email=body.email,
        signing_key=body.signing_key,
    )
    return MemberOut.of(member)


@router.put("/users/{username}/roles", tags=["people"])
def set_roles(me: Me, office: Services, username: str, body: RolesIn) -> MemberOut:
    return MemberOut.of(office.users.set_roles(me, _agency(me), username, body.roles, body.unit))


@router.post("/users/{username}/password", tags=["people"], status_code=204)
def reset_password(me: Me, office: Services, username: str, body: PasswordChange) -> Response:
    office.users.change_password(me, username, body.new_password, old_password=body.old_password)
    return Response(status_code=204)


@router.post("/users/{username}/disable", tags=["people"], status_code=204)
def disable(me: Me, office: Services, username: str) -> Response:
    office.users.set_state(me, username, UserState.DISABLED)
    return Response(status_code=204)


@router.post("/users/{username}/enable", tags=["people"], status_code=204)
def enable(me: Me, office: Services, username: str) -> Response:
    office.users.set_state(me, username, UserState.ACTIVE)
    return Response(status_code=204)


@router.get("/catalogue", tags=["catalogue"])
def catalogue(me: Me, office: Services, active_only: bool = False) -> list[CatalogueEntry]:
    return list(office.catalogue.entries(me, active_only=active_only))


@router.post("/catalogue", tags=["catalogue"], status_code=201)
def add_entry(me: Me, office: Services, body: CatalogueIn) -> CatalogueEntry:
    entry = CatalogueEntry(body.name, body.required_form, body.scope, body.doctype_key)
    return office.catalogue.add(me, entry)


@router.patch("/catalogue/{entry_id}", tags=["catalogue"])
def patch_entry(me: Me, office: Services, entry_id: int, body: CataloguePatch) -> CatalogueEntry:
    return office.catalogue.update(me, entry_id, **body.model_dump(exclude_none=True))


@router.get("/registers/{kind}", tags=["registers"])
def register(
    me: Me,
    office: Services,
    *,
    kind: RegisterKind,
    year: Annotated[int, Query(ge=1900, le=2999)],
    secret: bool = False,
    text: str | None = None,
) -> RegisterOut:
    """The outgoing (``out``) or incoming (``in``) register of a year."""
    found = office.registers.register(me, kind, year, secret=secret, text=text)
    return RegisterOut(
        agency=found.agency.name,
        title=found.title,
        year=found.year,
        secret=found.secret,
        columns=list(found.columns),
        rows=[list(r) for r in found.rows],
    )


@router.get("/registers/{kind}/export", tags=["registers"])
def export(
    me: Me,
    office: Services,
    *,
    kind: RegisterKind,
    year: Annotated[int, Query(ge=1900, le=2999)],
    format: ExportFormat = ExportFormat.XLSX,
    secret: bool = False,
) -> Response:
    """The register as XLSX or as a printable PDF book."""
    found = office.registers.register(me, kind, year, secret=secret)
    return file_response(
        export_register(found, format), format.media_type, file_name(found, format)
    )
