"""Rich rendering for ``lienthong edxml``: package summaries and validation results."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.edxml.issues import Problem

__all__ = ["human_size", "render_problems", "render_summary"]


def human_size(size: int) -> str:
    """``1536`` → ``1.5 KiB`` (bytes below 1 KiB stay exact)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def _org(data: dict[str, Any]) -> str:
    name = data["organ_name"] or data["organization_in_charge"]
    text = f"[bold]{escape(data['organ_id'])}[/]"
    if name:
        text += f" {escape(name)}"
    if data["id_form"] == "nonstandard":
        text += " [yellow](non-standard id)[/]"
    elif data["id_form"] == "invalid":
        text += " [red](invalid id)[/]"
    return text


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _warnings(console: Console, warnings: list[dict[str, Any]]) -> None:
    if not warnings:
        return
    console.print(f"[yellow]Reader warnings ({len(warnings)})[/]")
    for warning in warnings:
        line = warning["line"]
        where = f" (line {line})" if line and f"line {line}" not in warning["message"] else ""
        label = escape(f"[{warning['code']}]")
        console.print(f"  [yellow]![/] {label} {escape(warning['message'])}{where}")


def _signature_text(sig: dict[str, Any]) -> str:
    if not sig["present"]:
        return "[yellow]absent[/]"
    method = sig["signature_method"].rsplit("#", 1)[-1] or "?"
    return f"present ({escape(method)}, {sig['certificates']} certificate(s); not verified here)"


def render_summary(console: Console, data: dict[str, Any], source: str) -> None:
    """Print a package summary made by :func:`lienthong.edxml.summary.summarize`."""
    if data["kind"] == "status":
        _render_status(console, data, source)
    else:
        _render_document(console, data, source)
    _warnings(console, data["warnings"])


def _render_document(console: Console, data: dict[str, Any], source: str) -> None:
    console.print(f"[bold]edXML document package[/] {escape(source)}")
    grid = _grid()
    grid.add_row("Sender", _org(data["from"]))
    recipients = "\n".join(f"{i}. {_org(o)}" for i, o in enumerate(data["to"], start=1))
    grid.add_row("Recipients", recipients or "[red]none[/]")
    grid.add_row("Code", escape(data["code"]))
    place = f" ({escape(data['place'])})" if data["place"] else ""
    grid.add_row("Date", f"{data['promulgation_date'] or '[red]missing[/]'}{place}")
    doctype = data["document_type"]
    grid.add_row(
        "Type",
        f"{escape(doctype['type_name'])} (Type {doctype['type']} / TypeDetail "
        f"{doctype['type_detail']})",
    )
    grid.add_row("Subject", escape(data["subject"]))
    signer = data["signer"]
    grid.add_row(
        "Signer",
        escape(
            " — ".join(
                v for v in (signer["competence"], signer["position"], signer["full_name"]) if v
            )
        ),
    )
    priority = data["priority"]
    grid.add_row("Priority", f"{priority['value']} {escape(priority['label'])}")
    if data["due_date"]:
        grid.add_row("Due date", data["due_date"])
    business = data["business"]
    text = f"{business['type']} {business['label']}"
    if business["reason"]:
        text += f": {escape(business['reason'])}"
    grid.add_row("Business", text)
    grid.add_row("DocumentId", escape(data["document_id"]) or "[yellow]none[/]")
    for answered in data["response_for"]:
        grid.add_row("Answers", escape(answered))
    grid.add_row("Signature", _signature_text(data["signature"]))
    console.print(grid)
    attachments = data["attachments"]
    if not attachments:
        console.print("[yellow]No attachments[/]")
        return
    table = Table(title=f"Attachments ({len(attachments)})", title_justify="left")
    table.add_column("ContentId")
    table.add_column("Name", overflow="fold")
    table.add_column("Type")
    table.add_column("Size", justify="right")
    for item in attachments:
        kind = escape(item["content_type"]) + (" (zipped)" if item["zipped"] else "")
        table.add_row(
            escape(item["content_id"]), escape(item["name"]), kind, human_size(item["size"])
        )
    console.print(table)


def _render_status(console: Console, data: dict[str, Any], source: str) -> None:
    console.print(f"[bold]edXML status package[/] {escape(source)}")
    grid = _grid()
    grid.add_row("Reporter", _org(data["from"]))
    answered = data["response_for"]
    grid.add_row(
        "Document",
        f"{escape(answered['document_id'])}\n{escape(answered['code'])} of "
        f"{escape(answered['organ_id'])}, {answered['promulgation_date']}",
    )
    status = data["status"]
    grid.add_row(
        "Status",
        f"[bold]{status['code']}[/] {escape(status['meaning'])} ({escape(status['meaning_vi'])})",
    )
    grid.add_row("Description", escape(data["description"]))
    grid.add_row("Time", data["timestamp"] or "[red]missing[/]")
    staff = data["staff"]
    if staff:
        parts = (staff["staff"], staff["department"], staff["email"], staff["mobile"])
        grid.add_row("Staff", escape(", ".join(p for p in parts if p)))
    grid.add_row("Signature", _signature_text(data["signature"]))
    console.print(grid)


def render_problems(console: Console, problems: list[Problem]) -> None:
    """One line per problem: severity mark, path, code, message."""
    for problem in problems:
        mark = "[red]✗ error  [/]" if problem.severity == "error" else "[yellow]! warning[/]"
        where = f"{escape(problem.path)}: " if problem.path else ""
        label = escape(f"[{problem.code}]")
        console.print(f"  {mark} {where}{label} {escape(problem.message)}")
