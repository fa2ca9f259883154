"""``lienthong office``: administer the agency office and work its registers from a shell.

The commands call the same services as the API, on the configured database. The person
at the command line is the install's operator: they add office agencies, units and users
and read non-confidential registers. Workflow steps are taken as a named user
(``--as USERNAME``), whose roles are checked as everywhere else. Document commands are in
:mod:`.cli_docs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from lienthong.bootstrap import Container
    from lienthong.office.model import Actor, OfficeAgency

app = typer.Typer(
    help="The agency office: people, registers, workflows, catalogue.", no_args_is_help=True
)
agency_app = typer.Typer(help="Agencies hosted by this office.", no_args_is_help=True)
unit_app = typer.Typer(help="Units (phòng ban) of an agency.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(unit_app, name="unit")
app.add_typer(user_app, name="user")

console = Console(soft_wrap=True, highlight=False)

AgencyOpt = Annotated[str, typer.Option("--agency", "-a", help="Any identifier of the agency.")]
AsOpt = Annotated[str | None, typer.Option("--as", help="Act as this user (their roles apply).")]
PASSWORD_ENV = "LIENTHONG_OFFICE_PASSWORD"  # noqa: S105 - a variable's name


@contextmanager
def container(ctx: typer.Context) -> Iterator[Container]:
    """The container of the configured settings, closed afterwards."""
    from lienthong.bootstrap import build_container
    from lienthong.settings import load_settings

    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    with build_container(load_settings(obj.get("config"))) as built:
        yield built


def office_agency(built: Container, identifier: str) -> OfficeAgency:
    """A hosted agency by any identifier."""
    return built.office.users.agency(identifier)


def actor_for(built: Container, agency: str, as_user: str | None) -> Actor:
    """The user named by ``--as`` in the agency, else the operator scoped to the agency."""
    from lienthong.office.model import Actor

    hosted = office_agency(built, agency)
    if as_user:
        return built.office.users.actor_for(as_user, hosted.agency_id)
    return Actor.operator(hosted.agency_id)


# -- agencies ------------------------------------------------------------------------------


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    *,
    identifier: Annotated[str, typer.Argument(help="QCVN 102 or QĐ 20 id in the directory.")],
    abbreviation: Annotated[str, typer.Option(help="Abbreviation used in notations (UBND).")],
    catalogue: Annotated[bool, typer.Option(help="Seed the default catalogue.")] = True,
) -> None:
    """Host a directory agency in the office (with the default catalogue)."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        hosted = built.office.users.add_agency(
            Actor.operator(), identifier, abbreviation, seed_catalogue=catalogue
        )
    console.print(
        f"[green]Office agency[/] {escape(hosted.code)} {escape(hosted.name)} "
        f"(abbreviation {escape(hosted.abbreviation)})"
    )


@agency_app.command("list")
def agency_list(ctx: typer.Context) -> None:
    """The agencies hosted here."""
    with container(ctx) as built:
        agencies = built.office.users.agencies()
    table = Table("id", "code", "abbreviation", "name")
    for a in agencies:
        table.add_row(str(a.agency_id), a.code, escape(a.abbreviation), escape(a.name))
    console.print(table)


# -- units ---------------------------------------------------------------------------------


@unit_app.command("add")
def unit_add(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    name: Annotated[str, typer.Option(help="Full name of the unit.")],
    abbreviation: Annotated[str, typer.Option(help="Abbreviation used in notations.")],
) -> None:
    """Add a unit to an agency."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        hosted = office_agency(built, agency)
        unit = built.office.users.add_unit(Actor.operator(), hosted.agency_id, name, abbreviation)
    console.print(f"[green]Unit[/] {escape(unit.abbreviation)} {escape(unit.name)}")


@unit_app.command("list")
def unit_list(ctx: typer.Context, agency: AgencyOpt) -> None:
    """The units of an agency."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        hosted = office_agency(built, agency)
        units = built.office.users.units(Actor.operator(), hosted.agency_id)
    for unit in units:
        console.print(f"{escape(unit.abbreviation)}\t{escape(unit.name)}")


# -- users ---------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    full_name: Annotated[str, typer.Option(help="Full name, as on documents.")],
    role: Annotated[list[str], typer.Option(help="clerk, leader, specialist, admin (repeat).")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar=PASSWORD_ENV),
    ],
    unit: Annotated[str | None, typer.Option(help="Unit abbreviation.")] = None,
    title: Annotated[str | None, typer.Option(help="Position (Chủ tịch, Văn thư…).")] = None,
    email: Annotated[str | None, typer.Option(help="Official mailbox.")] = None,
    signing_key: Annotated[
        str | None, typer.Option(help="Name of the person's key in the pki directory.")
    ] = None,
) -> None:
    """Add a user with roles in an agency (the password is prompted for)."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        hosted = office_agency(built, agency)
        member = built.office.users.add_user(
            Actor.operator(),
            hosted.agency_id,
            username=username,
            full_name=full_name,
            password=password,
            roles=role,
            unit=unit,
            title=title,
            email=email,
            signing_key=signing_key,
        )
    roles = ", ".join(sorted(member.membership.roles))
    console.print(f"[green]User[/] {escape(member.user.username)} ({escape(roles)})")


@user_app.command("list")
def user_list(ctx: typer.Context, agency: AgencyOpt) -> None:
    """The users of an agency with their roles and units."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        hosted = office_agency(built, agency)
        members = built.office.users.members(Actor.operator(), hosted.agency_id)
    table = Table("username", "full name", "roles", "unit", "state")
    for m in members:
        table.add_row(
            m.user.username,
            escape(m.user.full_name),
            ", ".join(sorted(m.membership.roles)),
            escape(m.unit.abbreviation) if m.unit else "",
            m.user.state.value,
        )
    console.print(table)


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    *,
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar=PASSWORD_ENV),
    ],
) -> None:
    """Set a user's password (ends their sessions and tokens)."""
    from lienthong.office.model import Actor

    with container(ctx) as built:
        built.office.users.change_password(Actor.operator(), username, password)
    console.print(f"[green]Password set[/] for {escape(username)}; their sessions are ended.")


def _register() -> None:
    from lienthong.office import cli_docs, cli_sync

    cli_docs.register(app)
    cli_sync.register(app)


_register()
