"""``lienthong report``: compliance measures and report forms from a shell.

Agency reports (``measures``, ``status``, ``registers``, ``evaluation``) read one hosted
agency's figures as the operator (or ``--as USERNAME``); ``send`` sends the agency's
statistics report to the monitor agency through the hub; ``national`` is the hub side:
it collects the reports received and prints the national table. Each report prints as a
Rich table, or ``--format json|xlsx|pdf|svg`` (``-o FILE``; default a file named after
the report in the current directory).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from lienthong.monitor.cli_render import FORMATS, console, emit, err

if TYPE_CHECKING:
    from lienthong.bootstrap import Container
    from lienthong.monitor.periods import Period
    from lienthong.office.model import Actor

app = typer.Typer(help="Compliance measures and reports (văn bản điện tử).", no_args_is_help=True)

AgencyOpt = Annotated[str, typer.Option("--agency", "-a", help="Any identifier of the agency.")]
PeriodOpt = Annotated[str, typer.Option("--period", "-p", help="2026-11, 2026-Q3 or 2026.")]
UnitOpt = Annotated[str | None, typer.Option("--unit", "-u", help="Abbreviation of one unit.")]
AsOpt = Annotated[str | None, typer.Option("--as", help="Act as this user (their roles apply).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json, xlsx, pdf or svg.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")]


def _period(text: str) -> Period:
    from lienthong.monitor.periods import Period

    return Period.parse(text)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"one of {', '.join(FORMATS)}", param_hint="--format")
    return fmt


def _actor(built: Container, agency: str, as_user: str | None) -> Actor:
    from lienthong.office.cli import actor_for

    return actor_for(built, agency, as_user)


def _open(ctx: typer.Context) -> AbstractContextManager[Container]:
    from lienthong.office.cli import container

    return container(ctx)


@app.command("measures")
def measures(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    period: PeriodOpt,
    unit: UnitOpt = None,
    as_user: AsOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """Each measure beside its target, with the gap."""
    from lienthong.monitor.charts import render_measures_svg
    from lienthong.monitor.printable import measures_sheet
    from lienthong.monitor.views import measures_json

    chosen = _period(period)
    with _open(ctx) as built, err.status("Đang tính các chỉ tiêu…"):
        table = built.monitor.agency.measures(_actor(built, agency, as_user), chosen, unit=unit)
    emit(
        _check_format(fmt),
        [measures_sheet(table)],
        data=lambda: measures_json(table),
        svg=lambda: render_measures_svg(table),
        output=output,
        default_name=f"chi-tieu-{table.scope.agency_code}-{chosen.key}",
    )


@app.command("status")
def status(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    period: PeriodOpt,
    by: Annotated[str, typer.Option("--by", help="agency, unit or handler.")] = "unit",
    unit: UnitOpt = None,
    as_user: AsOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """The processing-status form of incoming documents."""
    from lienthong.monitor.printable import status_sheet
    from lienthong.monitor.reports import GroupBy
    from lienthong.monitor.views import status_json

    try:
        group_by = GroupBy(by)
    except ValueError:
        raise typer.BadParameter("agency, unit or handler", param_hint="--by") from None
    chosen = _period(period)
    with _open(ctx) as built, err.status("Đang lập báo cáo…"):
        report = built.monitor.agency.status(
            _actor(built, agency, as_user), chosen, group_by=group_by, unit=unit
        )
    emit(
        _check_format(fmt),
        [status_sheet(report)],
        data=lambda: status_json(report),
        svg=None,
        output=output,
        default_name=f"tinh-hinh-xu-ly-{report.scope.agency_code}-{chosen.key}",
    )


@app.command("registers")
def registers(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    period: PeriodOpt,
    unit: UnitOpt = None,
    as_user: AsOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """How many documents the registers hold per type and form."""
    from lienthong.monitor.printable import registers_sheet
    from lienthong.monitor.views import registers_json

    chosen = _period(period)
    with _open(ctx) as built, err.status("Đang tổng hợp sổ…"):
        summary = built.monitor.agency.registers(_actor(built, agency, as_user), chosen, unit=unit)
    emit(
        _check_format(fmt),
        [registers_sheet(summary)],
        data=lambda: registers_json(summary),
        svg=None,
        output=output,
        default_name=f"tong-hop-so-{summary.scope.agency_code}-{chosen.key}",
    )


@app.command("evaluation")
def evaluation(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    period: PeriodOpt,
    as_user: AsOpt = None,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """The evaluation table: units ranked by their use of electronic documents."""
    from lienthong.monitor.charts import render_evaluation_svg
    from lienthong.monitor.printable import evaluation_sheet
    from lienthong.monitor.views import evaluation_json

    chosen = _period(period)
    with _open(ctx) as built, err.status("Đang đánh giá các đơn vị…"):
        ev = built.monitor.agency.evaluation(_actor(built, agency, as_user), chosen)
    emit(
        _check_format(fmt),
        [evaluation_sheet(ev)],
        data=lambda: evaluation_json(ev),
        svg=lambda: render_evaluation_svg(ev),
        output=output,
        default_name=f"danh-gia-{ev.scope.agency_code}-{chosen.key}",
    )


@app.command("send")
def send(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    period: PeriodOpt,
    as_user: AsOpt = None,
) -> None:
    """Send the agency's statistics report to the monitor agency through the hub
    (``LIENTHONG_HUB_URL``, ``LIENTHONG_HUB_SYSTEM``, ``LIENTHONG_HUB_SECRET``)."""
    from lienthong.monitor.exports import ExportFormat, export
    from lienthong.monitor.printable import measures_sheet
    from lienthong.monitor.wiring import report_channel

    chosen = _period(period)
    with _open(ctx) as built, err.status("Đang gửi báo cáo…"):
        channel = report_channel(built.settings, built.clock)
        sent = built.monitor.agency.send_report(
            _actor(built, agency, as_user),
            chosen,
            channel,
            pdf=lambda table: export(measures_sheet(table), ExportFormat.PDF),
        )
    note = " (already sent: the hub's first answer)" if sent.duplicate else ""
    console.print(
        f"[green]Sent[/] report no. {sent.number} {escape(sent.document_id)} for "
        f"{chosen.key}: hub package {escape(sent.package_id)}{note}"
    )


@app.command("national")
def national(
    ctx: typer.Context,
    *,
    period: PeriodOpt,
    collect: Annotated[bool, typer.Option(help="Read newly received reports first.")] = True,
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
) -> None:
    """(Hub) The national table: received reports added up, with the hub's figures."""
    from lienthong.monitor.charts import render_national_svg
    from lienthong.monitor.printable import national_sheets
    from lienthong.monitor.views import national_json

    chosen = _period(period)
    with (
        _open(ctx) as built,
        Progress(
            TextColumn("Đọc báo cáo đã nhận"), BarColumn(), MofNCompleteColumn(),
            console=err, transient=True,
        ) as progress,
    ):  # fmt: skip
        task = progress.add_task("collect", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        table = built.monitor.national.national(
            chosen, collect=collect, progress=advance if collect else None
        )
    emit(
        _check_format(fmt),
        list(national_sheets(table)),
        data=lambda: national_json(table),
        svg=lambda: render_national_svg(table),
        output=output,
        default_name=f"toan-quoc-{chosen.key}",
    )


@app.command("dossier")
def dossier(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    document: Annotated[int, typer.Option("--document", "-d", help="Outgoing document id.")],
    as_user: Annotated[str, typer.Option("--as", help="A clerk or leader of the agency.")],
    value: Annotated[str, typer.Argument(help="yes, no, or auto (by the document type).")],
) -> None:
    """Say whether an outgoing document is a dossier submitted for decision (hồ sơ trình)."""
    choices = {"yes": True, "no": False, "auto": None}
    if value not in choices:
        raise typer.BadParameter("yes, no or auto", param_hint="VALUE")
    with _open(ctx) as built:
        built.monitor.agency.mark_dossier(
            _actor(built, agency, as_user), document, dossier=choices[value]
        )
    console.print(f"[green]Document {document}[/]: dossier = {value}")
