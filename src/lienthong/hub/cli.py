"""``lienthong hub``: run the hub, and administer it (agencies, systems, tokens, audit).

The administration commands call the hub's services directly on the configured database
(the same rules as the admin API). The client commands (``send``, ``inbox``, ``fetch``,
``ack``, ``track``) talk to a hub over HTTP and join this group from their own module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from lienthong.hub import affinity
from lienthong.hub.cli_client import register_client_commands

if TYPE_CHECKING:
    from lienthong.bootstrap import Container
    from lienthong.directory.model import Agency

app = typer.Typer(
    help="The exchange hub (trục liên thông): serve and administer.", no_args_is_help=True
)
agency_app = typer.Typer(help="Agencies of the hub's directory.", no_args_is_help=True)
system_app = typer.Typer(help="Document systems that call the hub.", no_args_is_help=True)
token_app = typer.Typer(help="Operators' admin tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(system_app, name="system")
app.add_typer(token_app, name="admin-token")
app.add_typer(audit_app, name="audit")
register_client_commands(app)

console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True)


@contextmanager
def _container(ctx: typer.Context) -> Iterator[Container]:
    from lienthong.bootstrap import build_container
    from lienthong.settings import load_settings

    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    with build_container(load_settings(obj.get("config"))) as container:
        yield container


# -- serve ---------------------------------------------------------------------------------


#: glibc malloc arenas per hub process (``MALLOC_ARENA_MAX``), unless set already.
MALLOC_ARENAS = 2


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    cpu_affinity: Annotated[
        bool,
        typer.Option(
            help="With several workers, keep each on a CPU of its own (those left over, "
            "if more workers than CPUs, run anywhere)."
        ),
    ] = True,
) -> None:
    """Run the hub's HTTP API (uvicorn).

    Several workers, or several hosts on one PostgreSQL database, share the work.
    """
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    if obj.get("config"):
        os.environ["LIENTHONG_CONFIG"] = str(obj["config"])
    # The workers read where to take their CPUs from the environment (hub.affinity).
    os.environ.pop(affinity.LOCKS_ENV, None)
    if cpu_affinity and workers > 1:
        os.environ[affinity.LOCKS_ENV] = str(affinity.lock_dir_for(port))
    console.print(f"lienthong hub on http://{host}:{port} ({workers} worker(s))")
    # Run as a bare uvicorn process rather than this one, which imported every command
    # (~70 MB): same process id and signals; each worker imports the hub alone. glibc
    # gives each of the threadpool's threads its own malloc arena unless told otherwise;
    # two arenas keep a worker's memory flat under load (an operator's value is kept).
    os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
    sys.stdout.flush()
    os.execv(  # noqa: S606 - our own interpreter, fixed arguments
        sys.executable,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "lienthong.hub.app:app_from_environment",
            "--factory",
            f"--host={host}",
            f"--port={port}",
            f"--workers={workers}",
            "--log-level=warning",
            "--no-access-log",
        ],
    )


# -- agencies ------------------------------------------------------------------------------


def _print_agency(agency: Agency) -> None:
    ids = " / ".join(x for x in (agency.qcvn_id, agency.qd20_id) if x)
    state = escape(f"[{agency.state.value}]")
    console.print(f"{escape(ids)}  {escape(agency.name)}  {state}  v{agency.version}")


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    *,
    name: Annotated[str, typer.Option(help="The agency's name.")],
    qcvn: Annotated[str | None, typer.Option(help="QCVN 102 id (000.00.00.G22).")] = None,
    qd20: Annotated[str | None, typer.Option(help="Decision 20 id (H37.DN.001).")] = None,
    parent: Annotated[str | None, typer.Option(help="Any id of the parent.")] = None,
    short_name: Annotated[str | None, typer.Option(help="Short name.")] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Non-standard id (repeatable).")] = None,
) -> None:
    """Add an agency to the directory."""
    from lienthong.directory.model import AgencyDraft

    draft = AgencyDraft(
        name=name,
        qcvn_id=qcvn,
        qd20_id=qd20,
        parent=parent,
        short_name=short_name,
        aliases=tuple(alias or ()),
    )
    with _container(ctx) as container:
        _print_agency(container.directory.register(draft))


@agency_app.command("update")
def agency_update(
    ctx: typer.Context,
    *,
    agency: Annotated[str, typer.Argument(help="Any id of the agency.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    short_name: Annotated[str | None, typer.Option(help="New short name.")] = None,
    parent: Annotated[str | None, typer.Option(help="Any id of the new parent.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
    telephone: Annotated[str | None, typer.Option(help="Contact telephone.")] = None,
    address: Annotated[str | None, typer.Option(help="Postal address.")] = None,
) -> None:
    """Change an agency's fields (only those given)."""
    from lienthong.directory.model import AgencyPatch

    given = {
        "name": name,
        "short_name": short_name,
        "parent": parent,
        "email": email,
        "telephone": telephone,
        "address": address,
    }
    patch = AgencyPatch(**{k: v for k, v in given.items() if v is not None})
    with _container(ctx) as container:
        _print_agency(container.directory.update(agency, patch))


@agency_app.command("lock")
def agency_lock(ctx: typer.Context, agency: Annotated[str, typer.Argument()]) -> None:
    """Lock an agency: packages to or from it are refused."""
    with _container(ctx) as container:
        _print_agency(container.directory.lock(agency))


@agency_app.command("unlock")
def agency_unlock(ctx: typer.Context, agency: Annotated[str, typer.Argument()]) -> None:
    """Make a locked agency active again."""
    with _container(ctx) as container:
        _print_agency(container.directory.unlock(agency))


@agency_app.command("list")
def agency_list(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Part of the name (diacritics ignored).")] = None,
) -> None:
    """List the agencies of the directory."""
    table = Table("QCVN 102", "QĐ 20", "Name", "State", "Version")
    with _container(ctx) as container:
        for agency in container.directory.list(name_contains=name):
            table.add_row(
                agency.qcvn_id or "",
                agency.qd20_id or "",
                escape(agency.name),
                agency.state.value,
                str(agency.version),
            )
    console.print(table)


# -- systems -------------------------------------------------------------------------------


@system_app.command("add")
def system_add(
    ctx: typer.Context,
    system_id: Annotated[str, typer.Argument(help="The system's id.")],
    name: Annotated[str, typer.Option(help="The system's name.")],
    agency: Annotated[list[str], typer.Option(help="An agency it hosts (repeatable).")],
) -> None:
    """Register a system; its secret is printed once (keep it)."""
    with _container(ctx) as container:
        issued = container.hub.systems.register(system_id, name, agency)
    console.print(f"System:  {escape(issued.system_id)}")
    console.print(f"Secret:  {issued.secret}")
    console.print("The secret is shown this once; the hub keeps it encrypted.")


@system_app.command("rotate")
def system_rotate(
    ctx: typer.Context,
    system_id: Annotated[str, typer.Argument()],
    grace: Annotated[int, typer.Option(help="Seconds the old secret stays valid.")] = 86_400,
) -> None:
    """Issue a new secret; the previous one stays valid for the grace period."""
    with _container(ctx) as container:
        rotated = container.hub.systems.rotate(system_id, grace_s=grace)
    console.print(f"Secret:  {rotated.secret}")
    console.print(f"The previous secret is valid until {rotated.previous_valid_until.isoformat()}.")


@system_app.command("agencies")
def system_agencies(
    ctx: typer.Context,
    system_id: Annotated[str, typer.Argument()],
    agencies: Annotated[list[str], typer.Argument(help="Every agency it hosts.")],
) -> None:
    """Replace the agencies a system hosts."""
    with _container(ctx) as container:
        system = container.hub.systems.set_agencies(system_id, agencies)
    console.print(f"{escape(system.system_id)} hosts {', '.join(system.agencies)}")


@system_app.command("webhook")
def system_webhook(
    ctx: typer.Context,
    system_id: Annotated[str, typer.Argument()],
    url: Annotated[str | None, typer.Argument(help="http(s) URL; omit to remove.")] = None,
) -> None:
    """Set (or remove) the URL the hub POSTs new deliveries to."""
    with _container(ctx) as container:
        system = container.hub.systems.set_webhook(system_id, url)
    console.print(f"{escape(system.system_id)} webhook: {escape(system.webhook_url or '(none)')}")


@system_app.command("lock")
def system_lock(
    ctx: typer.Context,
    system_id: Annotated[str, typer.Argument()],
    unlock: Annotated[bool, typer.Option("--unlock", help="Unlock instead.")] = False,
) -> None:
    """Lock a system (its requests are refused), or unlock it."""
    with _container(ctx) as container:
        systems = container.hub.systems
        system = systems.unlock(system_id) if unlock else systems.lock(system_id)
    console.print(f"{escape(system.system_id)} is {system.state.value}")


@system_app.command("list")
def system_list(ctx: typer.Context) -> None:
    """List the systems."""
    table = Table("System", "Name", "State", "Agencies", "Webhook")
    with _container(ctx) as container:
        for system in container.hub.systems.all():
            table.add_row(
                escape(system.system_id),
                escape(system.name),
                system.state.value,
                ", ".join(system.agencies),
                escape(system.webhook_url or ""),
            )
    console.print(table)


# -- tokens and audit ----------------------------------------------------------------------


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what the token is for.")] = "operator",
) -> None:
    """Create an operator token for the admin API (printed once; stored hashed)."""
    with _container(ctx) as container:
        token = container.hub.systems.create_admin_token(name)
    console.print(f"Token:  {token}")
    console.print("Use it as `Authorization: Bearer <token>`; it is shown this once.")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check the audit log; exit status 1 if an entry was altered, removed or reordered."""
    with _container(ctx) as container, _verify_progress() as advance:
        report = container.hub.audit.verify(progress=advance)
    console.print(
        f"Entries: {report.entries}  head: {report.head_seq}  "
        f"checkpoints: {report.checkpoints_valid}/{report.checkpoints} valid"
    )
    if report.ok:
        console.print("[green]The audit log is intact.[/]")
        return
    for problem in sorted(report.problems, key=lambda p: p.seq):
        console.print(f"[red]{problem.kind}[/] entry {problem.seq}: {escape(problem.message)}")
    raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    ctx: typer.Context,
    missing: Annotated[
        bool,
        typer.Option(
            "--missing",
            help="Sign every checkpoint the log lacks (each N entries), after checking that "
            "nothing else is wrong with it.",
        ),
    ] = False,
) -> None:
    """Sign the audit chain's current head with the hub's key."""
    with _container(ctx) as container:
        if missing:
            with _verify_progress() as advance:
                signed = container.hub.audit.checkpoint_missing(progress=advance)
            console.print(
                f"Signed {len(signed)} missing checkpoint(s)"
                + (f": entries {', '.join(map(str, signed))}" if signed else ".")
            )
            return
        info = container.hub.audit.checkpoint()
    state = "signed" if info.created else "already signed"
    console.print(f"Checkpoint at entry {info.seq} ({state}): {info.hash}")


@contextmanager
def _verify_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar (standard error) for a check of the audit log; yields its callback."""
    with Progress(
        TextColumn("Checking the audit log"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("verify", total=None)

        def advance(done: int, expected: int) -> None:
            progress.update(task, completed=done, total=max(expected, done))

        yield advance
