"""``lienthong edxml``: inspect, validate, build and answer edXML packages.

Bad input (an unreadable package, a wrong spec, an unknown status code) raises a
:class:`~lienthong.errors.LienthongError`, which the root turns into a message and exit
status 2. ``validate`` reports invalid packages itself and exits with status 1.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from lienthong.clock import VN_TZ, SystemClock
from lienthong.errors import PackageError

if TYPE_CHECKING:
    from lienthong.edxml.model import DocumentPackage, StatusPackage

app = typer.Typer(help="Read, check and build edXML packages.", no_args_is_help=True)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

#: Show a progress bar when validating at least this many files on a terminal.
PROGRESS_FROM = 5

ExistingFile = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="An edXML package."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OutputOption = Annotated[
    Path, typer.Option("-o", "--output", help="Where to write the package ('-' for stdout).")
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Use this time (ISO 8601; naive means Vietnam time) instead of the clock.",
    ),
]


def _now(at: str | None) -> datetime:
    """The current time as the wire carries it: naive Vietnam time, whole seconds."""
    from lienthong.edxml.compose import SpecError

    if at is None:
        moment = SystemClock().now()
    else:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise SpecError(f"--at: {at!r} is not an ISO 8601 time", code="cli.at") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)


def _today() -> date:
    return SystemClock().now().astimezone(VN_TZ).date()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _read(path: Path) -> DocumentPackage | StatusPackage:
    from lienthong.edxml.reader import read_package

    try:
        return read_package(path)
    except OSError as exc:
        raise PackageError(f"{path}: {exc.strerror or exc}", code="package.io") from None


def _write(pkg: DocumentPackage | StatusPackage, output: Path) -> None:
    """Write atomically: a temporary file in the same directory, renamed when complete."""
    from lienthong.edxml.writer import write_package

    if str(output) == "-":
        write_package(pkg, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            write_package(pkg, fh)
        tmp.replace(output)
    except OSError as exc:
        raise PackageError(f"cannot write {output}: {exc.strerror or exc}", code="cli.io") from None
    finally:
        tmp.unlink(missing_ok=True)


@app.command()
def inspect(file: ExistingFile, as_json: JsonFlag = False) -> None:
    """Show a readable summary of a package (document or status)."""
    from lienthong.edxml.cli_render import render_summary
    from lienthong.edxml.summary import summarize

    data = summarize(_read(file))
    if as_json:
        _print_json({"file": str(file), **data})
    else:
        render_summary(console, data, str(file))


def _validate_one(path: Path, today: date) -> dict[str, Any]:
    from lienthong.edxml.validate import validate_package

    try:
        pkg = _read(path)
    except PackageError as exc:
        return {"file": str(path), "readable": False, "ok": False, "error": exc.to_dict()}
    report = validate_package(pkg, today=today)
    return {"file": str(path), "readable": True, **report.to_dict(), "report": report}


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="edXML packages."),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Read and check packages; exit status 1 when any is invalid or unreadable."""
    from rich.progress import Progress

    from lienthong.edxml.cli_render import render_problems

    today = _today()
    results: list[dict[str, Any]] = []
    show_progress = len(files) >= PROGRESS_FROM and err_console.is_terminal
    with Progress(console=err_console, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("Validating", total=len(files))
        for path in files:
            results.append(_validate_one(path, today))
            progress.advance(task)
    failed = sum(1 for r in results if not r["ok"])
    if as_json:
        _print_json([{k: v for k, v in r.items() if k != "report"} for r in results])
    else:
        for result in results:
            name = escape(result["file"])
            if not result["readable"]:
                error = result["error"]
                label = escape(f"[{error['code']}] {error['message']}")
                console.print(f"[red]✗ unreadable[/] {name}: {label}")
                continue
            verdict = "[green]✓ valid[/]" if result["ok"] else "[red]✗ invalid[/]"
            console.print(
                f"{verdict} {name} ({result['kind']}): "
                f"{result['errors']} error(s), {result['warnings']} warning(s)"
            )
            render_problems(console, result["report"].problems)
        if len(results) > 1:
            console.print(f"{len(results) - failed} of {len(results)} package(s) valid")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def build(
    spec: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The package spec (JSON)."),
    ],
    output: OutputOption,
    attach: Annotated[
        list[Path] | None,
        typer.Option(
            "--attach",
            "-a",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A file to attach (repeat the option for several).",
        ),
    ] = None,
    zip_files: Annotated[
        bool, typer.Option("--zip", help="Zip each attachment, as the government SDK does.")
    ] = False,
    at: AtOption = None,
) -> None:
    """Build a document package from SPEC.json and attachments (format: docs/edoc-spec.md)."""
    from lienthong.edxml.attachments import attachment_from_path, with_content_ids
    from lienthong.edxml.cli_render import render_problems
    from lienthong.edxml.compose import document_from_spec, load_spec, refuse_invalid

    parsed = load_spec(spec.read_bytes(), source=str(spec))
    now = _now(at)
    attachments = with_content_ids(
        [attachment_from_path(path, zipped=zip_files) for path in attach or []]
    )
    pkg = document_from_spec(parsed, now=now, attachments=attachments)
    report = refuse_invalid(pkg, today=now.date())
    _write(pkg, output)
    notes = [p for p in report.warnings if p.code != "signature.missing"]
    err_console.print(
        f"[green]wrote[/] {escape(str(output))}: {escape(str(pkg.header.code))} to {len(pkg.header.to)} recipient(s), "
        f"{len(attachments)} attachment(s), unsigned"
    )
    render_problems(err_console, notes)


@app.command()
def status(
    *,
    from_organ: Annotated[
        str, typer.Option("--from", help="The reporting agency's id (QCVN 102 or QĐ 20 form).")
    ],
    document_id: Annotated[
        str,
        typer.Option("--document-id", help="The DocumentId of the document reported on."),
    ],
    code: Annotated[str, typer.Option("--code", help="Status code: 01-06, 13, 15 or 16.")],
    output: OutputOption,
    description: Annotated[
        str, typer.Option("--description", help="Description (the reason, for 02 and 13).")
    ] = "",
    from_name: Annotated[str, typer.Option("--from-name", help="The agency's name.")] = "",
    staff: Annotated[str, typer.Option("--staff", help="Who acted (StaffInfo/Staff).")] = "",
    department: Annotated[str, typer.Option("--department", help="Their department.")] = "",
    email: Annotated[str, typer.Option("--email", help="Their e-mail.")] = "",
    mobile: Annotated[str, typer.Option("--mobile", help="Their mobile number.")] = "",
    at: AtOption = None,
) -> None:
    """Build a status package about a document (ResponseFor comes from its DocumentId)."""
    from lienthong.edxml.compose import refuse_invalid, status_package
    from lienthong.edxml.model import StaffInfo

    staff_info = None
    if staff or department or email or mobile:
        staff_info = StaffInfo(department=department, staff=staff, mobile=mobile, email=email)
    now = _now(at)
    pkg = status_package(
        from_organ_id=from_organ,
        document_id=document_id,
        code=code,
        now=now,
        description=description,
        from_name=from_name,
        staff_info=staff_info,
    )
    refuse_invalid(pkg, today=now.date())
    _write(pkg, output)
    err_console.print(
        f"[green]wrote[/] {escape(str(output))}: status {pkg.status_code.value} "
        f"({pkg.status_code.meaning}) on {pkg.response_for.document_id}"
    )
