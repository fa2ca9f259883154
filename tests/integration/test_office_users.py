"""Office people and access on SQLite and PostgreSQL: tenants, units, users, login, tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import AuthError, Conflict, NotFound, PermissionDenied, ValidationError
from lienthong.office.catalogue_rules import DEFAULT_CATALOGUE
from lienthong.office.model import Actor, Role, TokenKind, UserState
from lienthong.storage import FileBlobStore
from officekit import A_CODE, PASSWORD, OfficeWorld, build_world, make_pki


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock) -> OfficeWorld:
    return build_world(make_uow, FileBlobStore(tmp_path / "blobs"), make_pki(tmp_path), clock)


def test_agencies_are_hosted_with_the_default_catalogue(world: OfficeWorld) -> None:
    users = world.services.users
    assert [a.code for a in users.agencies()] == [A_CODE, "000.00.00.H08"]
    assert world.a.abbreviation == "UBND"
    assert world.a.name == "Ủy ban nhân dân tỉnh Nghệ An"
    entries = world.services.catalogue.entries(world.actor("a.clerk"))
    assert [e.name for e in entries] == [e.name for e in DEFAULT_CATALOGUE]
    assert [e.position for e in entries] == list(range(1, len(DEFAULT_CATALOGUE) + 1))
    with pytest.raises(Conflict) as exc:
        users.add_agency(Actor.operator(), A_CODE, "UBND")
    assert exc.value.code == "office.agency_exists"


def test_only_the_operator_adds_agencies(world: OfficeWorld) -> None:
    with pytest.raises(AuthError) as exc:
        world.services.users.add_agency(world.actor("a.admin"), "000.00.00.G22", "VPCP")
    assert exc.value.code == "office.operator_only"


def test_members_have_roles_and_units(world: OfficeWorld) -> None:
    members = world.services.users.members(world.actor("a.specialist"), world.a.agency_id)
    by_name = {m.user.username: m for m in members}
    assert len(by_name) == 6
    clerk = by_name["a.vanthu"]
    assert clerk.membership.roles == frozenset({Role.CLERK})
    assert clerk.unit is not None
    assert clerk.unit.abbreviation == "VP"
    assert by_name["a.lanhdao"].user.signing_key == "a.signer"
    assert by_name["a.lanhdao"].user.title == "Chủ tịch"


def test_an_admin_manages_their_own_agency_only(world: OfficeWorld) -> None:
    users = world.services.users
    admin_a = world.actor("a.admin")
    unit = users.add_unit(admin_a, world.a.agency_id, "Phòng Nội vụ", "NV")
    assert unit.abbreviation == "NV"
    member = users.add_user(
        admin_a,
        world.a.agency_id,
        username="A.NguoiMoi",
        full_name="Người  Mới",
        password=PASSWORD,
        roles=["specialist"],
        unit="NV",
    )
    assert member.user.username == "a.nguoimoi"
    assert member.user.full_name == "Người Mới"
    with pytest.raises(NotFound):
        users.add_unit(admin_a, world.b.agency_id, "Phòng X", "X")
    with pytest.raises(PermissionDenied) as exc:
        users.add_unit(world.actor("a.leader"), world.a.agency_id, "Phòng Y", "Y")
    assert exc.value.code == "office.forbidden_role"
    with pytest.raises(Conflict):
        users.add_unit(admin_a, world.a.agency_id, "Nội vụ lần hai", "NV")


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ([], "office.role_missing"),
        (["boss"], "office.role_unknown"),
        (["system"], "office.role_reserved"),
    ],
)
def test_roles_are_checked(world: OfficeWorld, roles: list[str], code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        world.services.users.add_user(
            Actor.operator(),
            world.a.agency_id,
            username="x.y",
            full_name="X Y",
            password=PASSWORD,
            roles=roles,
        )
    assert exc.value.code == code


def test_login_gives_a_token_that_authenticates(world: OfficeWorld) -> None:
    users = world.services.users
    result = users.login("a.vanthu", PASSWORD)
    assert result.kind is TokenKind.API
    assert len(result.token) >= 40
    actor = users.authenticate(result.token)
    assert actor.username == "a.vanthu"
    assert actor.agency_id == world.a.agency_id
    assert actor.roles == frozenset({Role.CLERK})
    assert users.logout(result.token)
    with pytest.raises(AuthError) as exc:
        users.authenticate(result.token)
    assert exc.value.code == "auth.token"


@pytest.mark.parametrize(
    ("username", "password"), [("a.vanthu", "sai-mat-khau"), ("khong.co", PASSWORD)]
)
def test_login_failures_look_the_same(world: OfficeWorld, username: str, password: str) -> None:
    with pytest.raises(AuthError) as exc:
        world.services.users.login(username, password)
    assert exc.value.code == "auth.login"
    assert exc.value.message == "wrong username or password"


def test_sessions_expire(world: OfficeWorld, clock: FixedClock) -> None:
    users = world.services.users
    session = users.login("a.lanhdao", PASSWORD, kind=TokenKind.SESSION)
    assert users.authenticate(session.token, kind=TokenKind.SESSION).username == "a.lanhdao"
    with pytest.raises(AuthError):
        users.authenticate(session.token, kind=TokenKind.API)
    clock.advance(timedelta(hours=12, seconds=1))
    with pytest.raises(AuthError):
        users.authenticate(session.token)


def test_a_password_change_ends_sessions(world: OfficeWorld) -> None:
    users = world.services.users
    me = world.actor("a.specialist")
    token = users.login("a.chuyenvien", PASSWORD).token
    with pytest.raises(AuthError):
        users.change_password(me, "a.chuyenvien", "mat-khau-moi-2", old_password="sai")
    users.change_password(me, "a.chuyenvien", "mat-khau-moi-2", old_password=PASSWORD)
    with pytest.raises(AuthError):
        users.authenticate(token)
    assert users.login("a.chuyenvien", "mat-khau-moi-2").actor.username == "a.chuyenvien"
    # another agency's admin cannot reset it; this agency's can
    with pytest.raises(NotFound):
        users.change_password(world.actor("b.admin"), "a.chuyenvien", "khac-hoan-toan")
    users.change_password(world.actor("a.admin"), "a.chuyenvien", "dat-lai-boi-admin")
    assert users.login("a.chuyenvien", "dat-lai-boi-admin").actor.agency_id == world.a.agency_id


def test_a_disabled_user_cannot_log_in(world: OfficeWorld) -> None:
    users = world.services.users
    token = users.login("a.chuyenvien2", PASSWORD).token
    users.set_state(world.actor("a.admin"), "a.chuyenvien2", UserState.DISABLED)
    with pytest.raises(AuthError):
        users.authenticate(token)
    with pytest.raises(AuthError):
        users.login("a.chuyenvien2", PASSWORD)


def test_a_user_of_two_agencies_names_the_agency(world: OfficeWorld) -> None:
    users = world.services.users
    users.set_roles(Actor.operator(), world.b.agency_id, "a.lanhdao", ["specialist"])
    with pytest.raises(AuthError) as exc:
        users.login("a.lanhdao", PASSWORD)
    assert exc.value.code == "auth.agency_required"
    in_b = users.login("a.lanhdao", PASSWORD, agency="000.00.00.H08").actor
    assert in_b.agency_id == world.b.agency_id
    assert in_b.roles == frozenset({Role.SPECIALIST})
    in_a = users.login("a.lanhdao", PASSWORD, agency=world.a.agency_id).actor
    assert in_a.roles == frozenset({Role.LEADER})


def test_weak_passwords_and_bad_usernames_are_refused(world: OfficeWorld) -> None:
    users = world.services.users
    with pytest.raises(ValidationError) as exc:
        users.add_user(
            Actor.operator(),
            world.a.agency_id,
            username="a.b",
            full_name="A B",
            password="ngan",
            roles=["clerk"],
        )
    assert exc.value.code == "office.weak_password"
    with pytest.raises(ValidationError) as exc:
        users.add_user(
            Actor.operator(),
            world.a.agency_id,
            username="có dấu",
            full_name="A B",
            password=PASSWORD,
            roles=["clerk"],
        )
    assert exc.value.code == "office.invalid_username"


def test_an_admin_cannot_take_over_another_agency_s_accounts(world: OfficeWorld) -> None:
    users = world.services.users
    admin_a = world.actor("a.admin")

    with pytest.raises(NotFound) as brought_in:
        users.set_roles(admin_a, world.a.agency_id, "b.lanhdao", ["specialist"])
    with pytest.raises(NotFound) as reset:
        users.change_password(admin_a, "b.lanhdao", "chiem-quyen-tai-khoan")
    with pytest.raises(NotFound) as disabled:
        users.set_state(admin_a, "b.vanthu", UserState.DISABLED)
    # A user the operator made a member of both agencies is not A's alone either.
    users.set_roles(Actor.operator(), world.a.agency_id, "b.chuyenvien", ["specialist"])
    with pytest.raises(NotFound) as shared:
        users.change_password(admin_a, "b.chuyenvien", "chiem-quyen-tai-khoan")

    assert {e.value.code for e in (brought_in, reset, disabled, shared)} == {"office.user_unknown"}
    assert users.login("b.lanhdao", PASSWORD).token
    assert users.login("b.vanthu", PASSWORD).token
    assert users.login("b.chuyenvien", PASSWORD, agency=world.b.agency_id).token
