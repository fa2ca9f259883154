"""``lienthong hub send|inbox|fetch|ack|track``: a system's side of the hub, over HTTP.

Every command goes through :class:`~lienthong.hub.client.HubClient` (signed requests,
retries). The hub's URL and the system's credentials come from ``--url``/``--system``/
``--secret``, else the settings ``hub_url``/``hub_system``/``hub_secret``
(``LIENTHONG_HUB_URL``, ``LIENTHONG_HUB_SYSTEM``, ``LIENTHONG_HUB_SECRET``). The secret is
never printed. A refusal or an unreachable hub prints the hub's code and message on stderr
and exits with status 2.
"""

from __future__ import annotations

import enum
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.clock import VN_TZ
from lienthong.errors import ConfigError, HubError

if TYPE_CHECKING:
    from lienthong.hub import schemas as s
    from lienthong.hub.client import HubClient

console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)

#: Sending stops at the first error of these families (every next file would fail alike).
_FATAL_PREFIXES = ("auth.", "hub.", "storage.", "forbidden.sender_locked")

UrlOpt = Annotated[
    str | None, typer.Option("--url", help="The hub's base URL (else LIENTHONG_HUB_URL).")
]
SystemOpt = Annotated[
    str | None,
    typer.Option("--system", help="The calling system's id (else LIENTHONG_HUB_SYSTEM)."),
]
SecretOpt = Annotated[
    str | None,
    typer.Option(
        "--secret",
        help="The system's secret (prefer LIENTHONG_HUB_SECRET: a command line is visible).",
        show_default=False,
    ),
]


class Kind(enum.StrEnum):
    """Which packages a listing shows."""

    DOCUMENT = "document"
    STATUS = "status"


class Ack(enum.StrEnum):
    """What a receiver reports about a delivery."""

    DONE = "done"
    FAIL = "fail"
    PROCESSING = "processing"


# -- plumbing ------------------------------------------------------------------------------


def _fail(error: HubError) -> NoReturn:
    where = f"HTTP {error.http_status}"
    if error.axis_code is not None:
        where += f", axis code {error.axis_code}"
    err_console.print(
        f"[bold red]error[/] {escape(f'[{error.code}]')} {escape(error.message)} ({where})"
    )
    for key, value in error.details.items():
        err_console.print(f"  {escape(str(key))}: {escape(_short(value))}")
    raise typer.Exit(code=2)


def _short(value: Any, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _client(
    ctx: typer.Context, url: str | None, system: str | None, secret: str | None
) -> Iterator[HubClient]:
    """A HubClient from the options, else the settings; HubErrors become exit status 2."""
    from lienthong.hub.client import HubClient
    from lienthong.settings import load_settings

    if not (url and system and secret):
        obj = ctx.obj if isinstance(ctx.obj, dict) else {}
        settings = load_settings(obj.get("config"))
        url = url or settings.hub_url
        system = system or settings.hub_system
        if not secret and settings.hub_secret is not None:
            secret = settings.hub_secret.get_secret_value()
    missing = [
        name
        for name, value in (
            ("--url / LIENTHONG_HUB_URL", url),
            ("--system / LIENTHONG_HUB_SYSTEM", system),
            ("--secret / LIENTHONG_HUB_SECRET", secret),
        )
        if not value
    ]
    if missing or not (url and system and secret):
        raise ConfigError("the hub client needs " + ", ".join(missing), code="config.hub_client")
    try:
        with HubClient(url, system, secret) as client:
            yield client
    except HubError as exc:
        _fail(exc)


def _when(value: datetime | None) -> str:
    """A time as people in Vietnam read it (the hub's times carry their offset)."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


# -- send ----------------------------------------------------------------------------------


def send(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="Signed edXML packages to send."
        ),
    ],
    url: UrlOpt = None,
    system: SystemOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Send signed document or status packages (the exact bytes of each file)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    refused: list[tuple[Path, HubError]] = []
    sent = duplicates = 0
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=len(files) < 2 or not err_console.is_terminal,
    )
    with _client(ctx, url, system, secret) as client, progress:
        task = progress.add_task("Sending", total=len(files))
        for path in files:
            try:
                result = client.send(path.read_bytes())
            except HubError as exc:
                if exc.code.startswith(_FATAL_PREFIXES):
                    raise
                refused.append((path, exc))
                progress.console.print(
                    f"[red]refused[/] {escape(str(path))}: {escape(f'[{exc.code}]')} "
                    f"{escape(exc.message)}"
                )
            else:
                sent += 1
                duplicates += result.duplicate
                _print_sent(path, result)
            progress.advance(task)
    console.print(
        f"Sent {sent} package(s) ({duplicates} already known to the hub), {len(refused)} refused."
    )
    if refused:
        raise typer.Exit(code=2)


def _print_sent(path: Path, result: s.SendResult) -> None:
    recipients = ", ".join(f"{d.recipient} ({d.delivery_id})" for d in result.deliveries)
    note = " [yellow](duplicate: the first send's result)[/]" if result.duplicate else ""
    console.print(
        f"{escape(str(path))}: {result.kind} {escape(result.document_id)} → package "
        f"{result.package_id}{note}\n  to {escape(recipients)}"
    )


# -- inbox ---------------------------------------------------------------------------------


def inbox(
    ctx: typer.Context,
    *,
    agency: Annotated[str | None, typer.Option(help="Only this hosted agency's inbox.")] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only documents or statuses.")] = None,
    wait: Annotated[
        int, typer.Option(min=0, max=60, help="Wait up to N seconds for something to arrive.")
    ] = 0,
    claim: Annotated[
        bool,
        typer.Option(
            "--claim", help="Claim what is listed (lease it to this system), as a worker does."
        ),
    ] = False,
    max_items: Annotated[
        int, typer.Option("--max", min=1, max=100, help="With --claim: how many.")
    ] = 10,
    visibility: Annotated[
        int, typer.Option(min=1, help="With --claim: seconds the lease lasts.")
    ] = 300,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Without --claim: how many.")] = 100,
    url: UrlOpt = None,
    system: SystemOpt = None,
    secret: SecretOpt = None,
) -> None:
    """List the deliveries waiting for the system's agencies.

    Without --claim it only looks, and --wait asks again every second.

    With --claim it leases them for --visibility seconds, and --wait is a long poll.
    """
    chosen: s.PackageKind | None = kind.value if kind is not None else None
    with _client(ctx, url, system, secret) as client:
        if claim:
            items = client.receive(
                agency=agency, kind=chosen, max=max_items, wait=wait, visibility=visibility
            )
        else:
            deadline = time.monotonic() + wait
            while True:
                items = client.inbox(agency=agency, kind=chosen, limit=limit).items
                if items or time.monotonic() >= deadline:
                    break
                time.sleep(min(1.0, max(deadline - time.monotonic(), 0.0)))
    if not items:
        console.print("No deliveries.")
        return
    table = Table("Delivery", "Kind", "From", "To", "Document", "Status", "Bytes", "Arrived")
    if claim:
        table.add_column("Leased until")
    for item in items:
        row = [
            item.delivery_id,
            item.kind,
            item.sender,
            item.recipient,
            escape(item.document_id),
            item.status_code or "",
            str(item.size),
            _when(item.received_at),
        ]
        table.add_row(*row, *([_when(item.lease_until)] if claim else []))
    console.print(table)
    console.print(f"{len(items)} deliver{'y' if len(items) == 1 else 'ies'}.")


# -- fetch and ack -------------------------------------------------------------------------


def fetch(
    ctx: typer.Context,
    *,
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the package ('-': stdout).")
    ],
    url: UrlOpt = None,
    system: SystemOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Download a delivery's exact package bytes (checked against the hub's SHA-256)."""
    with _client(ctx, url, system, secret) as client:
        fetched = client.fetch(delivery_id)
    if str(output) == "-":
        sys.stdout.buffer.write(fetched.content)
        sys.stdout.buffer.flush()
        return
    _write_atomically(output, fetched.content)
    trace = " → ".join(f"{t.organ_id} {_when(t.timestamp)}" for t in fetched.trace)
    console.print(f"Saved {len(fetched.content)} bytes to {escape(str(output))}")
    console.print(f"SHA-256: {fetched.sha256}")
    if trace:
        console.print(f"Trace:   {escape(trace)}")


def _write_atomically(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ack(
    ctx: typer.Context,
    *,
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id.")],
    state: Annotated[Ack, typer.Argument(help="done, fail (final) or processing.")],
    reason: Annotated[str, typer.Option(help="Why (for fail).")] = "",
    url: UrlOpt = None,
    system: SystemOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Acknowledge a delivery: done or fail (final), processing (extends the lease)."""
    with _client(ctx, url, system, secret) as client:
        result = client.ack(delivery_id, state.value, reason=reason)
    lease = f" (leased until {_when(result.lease_until)})" if result.lease_until else ""
    console.print(f"Delivery {result.delivery_id}: {result.state}{lease}")


# -- track ---------------------------------------------------------------------------------


def track(
    ctx: typer.Context,
    *,
    package_id: Annotated[str | None, typer.Argument(help="A package this system sent.")] = None,
    document_id: Annotated[
        str | None, typer.Option(help="Every package sent under this DocumentId.")
    ] = None,
    url: UrlOpt = None,
    system: SystemOpt = None,
    secret: SecretOpt = None,
) -> None:
    """Show, per recipient, the transport state and the latest business status."""
    if (package_id is None) == (document_id is None):
        raise typer.BadParameter("give a PACKAGE_ID or --document-id (one of them)")
    links: s.DocumentLinks | None = None
    with _client(ctx, url, system, secret) as client:
        if package_id is not None:
            reports = [client.tracking(package_id)]
        elif document_id is not None:
            reports = client.tracking_by_document(document_id).packages
            links = client.links(document_id)
    for report in reports:
        _print_tracking(report)
    if links is not None and links.links:
        table = Table("Relation", "Document", "Package", "Linked", title="Linked documents")
        for link in links.links:
            table.add_row(
                link.relation, escape(link.document_id), link.package_id, _when(link.linked_at)
            )
        console.print(table)


def _print_tracking(report: s.TrackingReport) -> None:
    console.print(
        f"Package {report.package_id} ({report.kind}) from {report.sender}, "
        f"document {escape(report.document_id)}, taken in {_when(report.received_at)}"
    )
    table = Table(
        "Recipient", "Transport", "Claimed", "Acknowledged", "Status", "Status time", "Description"
    )
    for r in report.recipients:
        latest = r.latest_status
        table.add_row(
            r.recipient,
            r.state,
            _when(r.claimed_at),
            _when(r.acknowledged_at),
            latest.code if latest else "",
            _when(latest.timestamp) if latest else "",
            escape(latest.description) if latest else "",
        )
    console.print(table)


def register_client_commands(app: typer.Typer) -> None:
    """Add ``send``, ``inbox``, ``fetch``, ``ack`` and ``track`` to the ``hub`` group."""
    app.command("send")(send)
    app.command("inbox")(inbox)
    app.command("fetch")(fetch)
    app.command("ack")(ack)
    app.command("track")(track)
