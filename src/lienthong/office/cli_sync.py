"""``lienthong office sync|dispatch|inbound|serve``: the office's exchange with its hub.

- ``sync`` runs both loops of :mod:`.hubsync_run` — receiving (long poll, store,
  acknowledge, status 01) and sending (ready documents, recall/update/replacement
  requests, the status outbox) — until interrupted; ``--once`` does one round of each and
  prints what happened. It first brings the directory up to date from the hub.
- ``dispatch`` runs the sending loop alone (``--once``: one round).
- ``inbound`` lists what the worker made of each delivery (stored, applied, ignored,
  failed with its reason).
- ``serve`` runs the office API with both loops beside it (when a hub is configured).

The hub is named by the settings ``hub_url``, ``hub_system`` and ``hub_secret``
(LIENTHONG_HUB_URL, LIENTHONG_HUB_SYSTEM, LIENTHONG_HUB_SECRET); signing keys come from
the pki directory with LIENTHONG_PKI_PASSPHRASE.
"""

from __future__ import annotations

import json
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lienthong.office.cli import AgencyOpt, actor_for, console, container

if TYPE_CHECKING:
    from lienthong.office.hubsync_run import OfficeExchange, SendReport
    from lienthong.office.hubsync_worker import SyncReport

WaitOpt = Annotated[
    int, typer.Option("--wait", min=0, max=60, help="Long-poll seconds per receive.")
]
IntervalOpt = Annotated[
    float, typer.Option("--interval", min=0.1, help="Seconds between sending rounds.")
]
OnceOpt = Annotated[bool, typer.Option("--once", help="One round, then a summary.")]


def register(app: typer.Typer) -> None:
    """Join these commands to the ``office`` group."""
    app.command("sync")(sync)
    app.command("dispatch")(dispatch)
    app.command("inbound")(inbound)
    app.command("serve")(serve)


def sync(
    ctx: typer.Context,
    *,
    once: OnceOpt = False,
    wait: WaitOpt = 20,
    interval: IntervalOpt = 2.0,
    directory: Annotated[
        bool, typer.Option(help="Bring the directory up to date from the hub first.")
    ] = True,
) -> None:
    """Exchange with the hub: receive, store, acknowledge and answer; send what is ready."""
    from lienthong.office.hubsync_run import exchange_from_container

    with container(ctx) as built:
        exchange = exchange_from_container(built, wait=wait)
        try:
            if directory:
                pulled = exchange.pull_directory(built.directory)
                console.print(
                    f"Directory: version {pulled.version}, {len(pulled.added)} added, "
                    f"{len(pulled.updated)} updated"
                )
            if once:
                _print_send(exchange.send_once())
                _print_sync(exchange.sync_once(wait))
                return
            _run_until_signalled(exchange, receive=True, interval=interval)
        finally:
            exchange.close()


def dispatch(ctx: typer.Context, *, once: OnceOpt = False, interval: IntervalOpt = 2.0) -> None:
    """Send ready documents, recall/update/replacement requests and pending statuses."""
    from lienthong.office.hubsync_run import exchange_from_container

    with container(ctx) as built:
        exchange = exchange_from_container(built)
        try:
            if once:
                _print_send(exchange.send_once())
                return
            _run_until_signalled(exchange, receive=False, interval=interval)
        finally:
            exchange.close()


def inbound(
    ctx: typer.Context,
    *,
    agency: AgencyOpt,
    failed: Annotated[bool, typer.Option("--failed", help="Only refused deliveries.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    reports: Annotated[
        bool, typer.Option("--reports", help="Print each entry's signature reports (JSON).")
    ] = False,
) -> None:
    """What the sync worker made of each delivery for an agency."""
    with container(ctx) as built:
        actor = actor_for(built, agency, None)
        entries = built.office.inbound.entries(
            actor, outcome="failed" if failed else None, limit=limit
        )
    if reports:
        data = [
            {"delivery_id": e.delivery_id, "outcome": e.outcome, "reports": e.reports}
            for e in entries
        ]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("received", "delivery", "kind", "from", "document", "outcome", "reason")
    for e in entries:
        what = f"{e.kind} {e.status_code}" if e.status_code else e.kind
        table.add_row(
            f"{e.received_at:%Y-%m-%d %H:%M:%S}",
            e.delivery_id,
            what,
            e.sender,
            escape(e.document_id),
            e.outcome,
            escape(e.reason or ""),
        )
    console.print(table)


def serve(
    ctx: typer.Context,
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8600,
    workers: Annotated[
        bool, typer.Option(help="Run the exchange loops (when a hub is configured).")
    ] = True,
    wait: WaitOpt = 20,
    interval: IntervalOpt = 2.0,
) -> None:
    """Run the office API (uvicorn) with the exchange loops beside it."""
    import uvicorn

    from lienthong.office.app import create_office_app
    from lienthong.office.hubsync_run import exchange_from_container

    with container(ctx) as built:
        exchange = None
        stop = threading.Event()
        if workers and built.settings.hub_url:
            exchange = exchange_from_container(built, wait=wait)
            exchange.start(stop, interval=interval)
            console.print(f"Exchanging with {escape(built.settings.hub_url)}")
        console.print(f"lienthong office on http://{host}:{port}")
        try:
            uvicorn.run(create_office_app(built), host=host, port=port, log_level="warning")
        finally:
            stop.set()
            if exchange is not None:
                exchange.close()


def _run_until_signalled(exchange: OfficeExchange, *, receive: bool, interval: float) -> None:
    """Run the loops until SIGINT or SIGTERM; a stop waits for the round in progress."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        console.print(f"Stopping ({signal.Signals(signum).name})…")
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        threads = exchange.start(stop, receive=receive, interval=interval)
        what = "receiving and sending" if receive else "sending"
        console.print(f"Exchange running ({what}); Ctrl-C to stop.")
        while not stop.is_set():
            stop.wait(0.5)
        for thread in threads:
            thread.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("Stopped.")


def _print_send(report: SendReport) -> None:
    sent = report.dispatch
    console.print(
        f"Sent: {len(sent.documents)} document(s), {len(sent.requests)} request(s), "
        f"{len(report.statuses.sent)} status(es)"
    )
    for doc_id, reason in [*sent.refused, *((i, r) for i, _, r in report.statuses.failed)]:
        console.print(f"  [red]refused[/] {doc_id}: {escape(reason)}")


def _print_sync(report: SyncReport) -> None:
    console.print(f"Received: {report.received} delivery(ies)")
    for e in report.entries:
        line = f"  {e.delivery_id} {e.kind} {e.status_code or ''} {e.outcome}"
        console.print(escape(line + (f": {e.reason}" if e.reason else "")))
    for delivery_id, reason in report.deferred:
        console.print(f"  [yellow]deferred[/] {delivery_id}: {escape(reason)}")
    if report.statuses is not None:
        console.print(f"Statuses sent: {len(report.statuses.sent)}")
