"""``lienthong office register|outgoing|incoming|paper-register``: the documents' commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lienthong.office.cli import AgencyOpt, AsOpt, actor_for, console, container

if TYPE_CHECKING:
    from lienthong.office.documents import IncomingDocument

register_app = typer.Typer(help="The outgoing and incoming registers.", no_args_is_help=True)
outgoing_app = typer.Typer(help="Outgoing documents.", no_args_is_help=True)
incoming_app = typer.Typer(help="Incoming documents.", no_args_is_help=True)

KindOpt = Annotated[str, typer.Option("--kind", help="out (văn bản đi) or in (văn bản đến).")]
YearOpt = Annotated[int, typer.Option("--year", help="The register's year.")]
SecretOpt = Annotated[bool, typer.Option("--secret", help="The register of secret documents.")]


def register(app: typer.Typer) -> None:
    """Join these commands to the ``office`` group."""
    app.add_typer(register_app, name="register")
    app.add_typer(outgoing_app, name="outgoing")
    app.add_typer(incoming_app, name="incoming")
    app.command("paper-register")(paper_register)


def _kind(value: str) -> str:
    if value not in ("in", "out"):
        raise typer.BadParameter("--kind is 'in' or 'out'")
    return value


# -- registers -----------------------------------------------------------------------------


@register_app.command("show")
def register_show(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    year: YearOpt,
    kind: KindOpt,
    secret: SecretOpt = False,
    as_user: AsOpt = None,
) -> None:
    """Print a register as a table."""
    from lienthong.office.registers import RegisterKind

    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        found = built.office.registers.register(
            actor, RegisterKind(_kind(kind)), year, secret=secret
        )
    table = Table(*found.columns, title=f"{found.title} — {found.year}", show_lines=True)
    for row in found.rows:
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    console.print(f"{len(found.rows)} documents")


@register_app.command("export")
def register_export(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    year: YearOpt,
    kind: KindOpt,
    fmt: Annotated[str, typer.Option("--format", help="xlsx or pdf.")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: its name).")
    ] = None,
    secret: SecretOpt = False,
    as_user: AsOpt = None,
) -> None:
    """Write a register as an XLSX workbook or a printable PDF book."""
    from lienthong.office.exports import ExportFormat, export_register, file_name
    from lienthong.office.registers import RegisterKind

    try:
        export_format = ExportFormat(fmt)
    except ValueError:
        raise typer.BadParameter("--format is 'xlsx' or 'pdf'") from None
    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        found = built.office.registers.register(
            actor, RegisterKind(_kind(kind)), year, secret=secret
        )
    path = output or Path(file_name(found, export_format))
    path.write_bytes(export_register(found, export_format))
    console.print(f"[green]Wrote[/] {escape(str(path))}: {len(found.rows)} documents")


# -- outgoing ------------------------------------------------------------------------------


@outgoing_app.command("list")
def outgoing_list(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    as_user: AsOpt = None,
) -> None:
    """Outgoing documents, newest first."""
    from lienthong.office.repository_outgoing import OutgoingFilter
    from lienthong.office.workflow import OutgoingState

    states = (OutgoingState(state),) if state else ()
    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        docs = built.office.outgoing.search(actor, OutgoingFilter(states=states))
    table = Table("id", "state", "code", "subject", "urgency")
    for d in docs:
        table.add_row(str(d.id), d.state.value, d.code or "", escape(d.subject), d.urgency.label_vi)
    console.print(table)


# -- incoming ------------------------------------------------------------------------------


@incoming_app.command("list")
def incoming_list(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    overdue: Annotated[bool, typer.Option(help="Only overdue documents.")] = False,
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    as_user: AsOpt = None,
) -> None:
    """Incoming documents, newest first (overdue ones flagged)."""
    from lienthong.office.repository_incoming import IncomingFilter
    from lienthong.office.workflow import IncomingState

    states = (IncomingState(state),) if state else ()
    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        docs = built.office.incoming.search(
            actor, IncomingFilter(states=states, overdue_only=overdue)
        )
    table = Table("id", "state", "no.", "from", "code", "subject", "deadline", "overdue")
    for d in docs:
        table.add_row(
            str(d.id),
            d.state.value,
            f"{d.number:02d}" if d.number else "",
            escape(d.sender_name),
            escape(d.code or ""),
            escape(d.subject),
            d.deadline.isoformat() if d.deadline else "",
            "QUÁ HẠN" if d.overdue else "",
        )
    console.print(table)


def _show(doc: IncomingDocument) -> None:
    number = f" số đến {doc.number:02d}" if doc.number else ""
    console.print(f"[green]{doc.id}[/] {doc.state.value}{number}: {escape(doc.subject)}")


@incoming_app.command("accept")
def incoming_accept(
    ctx: typer.Context,
    *,
    doc_id: Annotated[int, typer.Argument(help="The incoming document.")],
    agency: AgencyOpt,
    as_user: Annotated[str, typer.Option("--as", help="The clerk who registers it.")],
    note: Annotated[str | None, typer.Option(help="A note for the trail.")] = None,
) -> None:
    """Register an incoming document with the next incoming number (status 03)."""
    with container(ctx) as built:
        _show(built.office.incoming.accept(actor_for(built, agency, as_user), doc_id, note))


@incoming_app.command("reject")
def incoming_reject(
    ctx: typer.Context,
    *,
    doc_id: Annotated[int, typer.Argument(help="The incoming document.")],
    agency: AgencyOpt,
    as_user: Annotated[str, typer.Option("--as", help="The clerk who returns it.")],
    reason: Annotated[str, typer.Option(help="Why it is returned (required).")],
) -> None:
    """Return an incoming document to its sender with a reason (status 02)."""
    with container(ctx) as built:
        _show(built.office.incoming.reject(actor_for(built, agency, as_user), doc_id, reason))


@incoming_app.command("assign")
def incoming_assign(
    ctx: typer.Context,
    *,
    doc_id: Annotated[int, typer.Argument(help="The incoming document.")],
    agency: AgencyOpt,
    as_user: Annotated[str, typer.Option("--as", help="The leader who assigns it.")],
    lead: Annotated[str, typer.Option(help="Username of the lead handler.")],
    co: Annotated[list[str] | None, typer.Option(help="Co-handlers (repeat).")] = None,
    deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    direction: Annotated[str | None, typer.Option(help="The leader's direction.")] = None,
) -> None:
    """Name the handlers, the deadline and the direction (status 04)."""
    from lienthong.office.incoming import Assignment

    due = date.fromisoformat(deadline) if deadline else None
    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        assignment = Assignment(lead, tuple(co or ()), due, direction)
        _show(built.office.incoming.assign(actor, doc_id, assignment))


def paper_register(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    as_user: Annotated[str, typer.Option("--as", help="The clerk who registers it.")],
    sender: Annotated[str, typer.Option(help="The issuing agency, as written.")],
    subject: Annotated[str, typer.Option(help="Trích yếu.")],
    scan: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="The scan (PDF).")],
    code: Annotated[str | None, typer.Option(help="Số, ký hiệu (e.g. 12/QĐ-UBND).")] = None,
    document_date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD.")] = None,
    doctype: Annotated[str | None, typer.Option(help="Document type (Công văn…).")] = None,
    urgency: Annotated[str, typer.Option(help="normal, khan, thuong_khan, hoa_toc.")] = "normal",
    confidentiality: Annotated[str, typer.Option(help="none, mat, toi_mat, tuyet_mat.")] = "none",
) -> None:
    """Register a paper arrival with its scan: it gets the next incoming number."""
    from lienthong.office.intake import PaperArrival
    from lienthong.office.model import Confidentiality, Urgency

    arrival = PaperArrival(
        sender_name=sender,
        subject=subject,
        code=code,
        document_date=date.fromisoformat(document_date) if document_date else None,
        doctype=doctype,
        urgency=Urgency(urgency),
        confidentiality=Confidentiality(confidentiality),
    )
    with container(ctx) as built:
        actor = actor_for(built, agency, as_user)
        _show(built.office.intake.register_paper(actor, arrival, scan.read_bytes()))
