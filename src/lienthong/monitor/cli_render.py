"""How ``lienthong report`` shows and writes a report: a Rich table (verdicts and gaps in
colour), JSON, or a file (XLSX, PDF, SVG)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from lienthong.monitor.exports import ExportFormat, export
from lienthong.monitor.printable import Cell, Pct, Points, Sheet, Verdict, cell_text

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, highlight=False)

FORMATS = ("table", "json", "xlsx", "pdf", "svg")


def _styled(cell: Cell) -> Text:
    text = cell_text(cell)
    if isinstance(cell, Verdict) and cell.met is not None:
        return Text(text, style="green" if cell.met else "bold red")
    if isinstance(cell, Points) and cell.value is not None:
        return Text(text, style="green" if cell.value >= 0 else "red")
    if isinstance(cell, Pct) and cell.value is None:
        return Text(text, style="dim")
    return Text(text)


def _numeric(sheet: Sheet, column: int) -> bool:
    values = [row[column] for row in (*sheet.rows, *sheet.footer) if row[column] is not None]
    return bool(values) and all(isinstance(v, int | Pct | Points) for v in values)


def rich_table(sheet: Sheet) -> Table:
    """The sheet as a Rich table, its title block as the caption above."""
    table = Table(
        title=f"{sheet.title}\n{sheet.organisation}",
        caption="\n".join(sheet.subtitle),
        show_lines=False,
    )
    for index, column in enumerate(sheet.columns):
        table.add_column(escape(column), justify="right" if _numeric(sheet, index) else "left")
    for row in sheet.rows:
        table.add_row(*(_styled(c) for c in row))
    for row in sheet.footer:
        table.add_row(*(_styled(c) for c in row), style="bold")
    return table


def emit(
    fmt: str,
    sheets: Sequence[Sheet],
    *,
    data: Callable[[], dict[str, Any]],
    svg: Callable[[], str] | None,
    output: Path | None,
    default_name: str,
) -> None:
    """Print or write a report in ``fmt``."""
    if fmt == "table":
        for sheet in sheets:
            console.print(rich_table(sheet))
        return
    if fmt == "json":
        text = json.dumps(data(), ensure_ascii=False, indent=2)
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
            err.print(f"[green]Written[/] {escape(str(output))}")
        return
    if fmt == "svg":
        if svg is None:
            raise typer.BadParameter("this report has no chart", param_hint="--format")
        content = svg().encode("utf-8")
    else:
        content = export(sheets, ExportFormat(fmt))
    path = output or Path(f"{default_name}.{fmt}")
    path.write_bytes(content)
    err.print(f"[green]Written[/] {escape(str(path))} ({len(content)} bytes)")
