"""``lienthong demo``: the embedded demo.

By default it builds a fresh demo directory (:mod:`.builder`) — PKI, SQLite, a hub, an
office hosting four agencies with their people and a few dozen documents — prints the
demo users and their password, then serves everything on http://127.0.0.1:8000 until
Ctrl-C. ``--no-serve`` builds and exits; ``--walkthrough-only`` runs the command-line tour
of signing and packages instead (:mod:`.walkthrough`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

DEFAULT_SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples" / "edxml"


def _samples(samples: Path | None) -> Path | None:
    if samples is not None:
        return samples
    shared = os.environ.get("LIENTHONG_SHARED_DIR")
    candidate = Path(shared) / "samples" / "edxml" if shared else DEFAULT_SAMPLES
    return candidate if candidate.is_dir() else None


def demo(
    *,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo keeps its files (recreated).")
    ] = Path("lienthong-data/demo"),
    samples: Annotated[
        Path | None,
        typer.Option(help="A folder of edXML packages from other systems (walkthrough)."),
    ] = None,
    walkthrough_only: Annotated[
        bool,
        typer.Option("--walkthrough-only", help="Only the command-line tour (no web server)."),
    ] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build the demo data, print it, and exit.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Run the embedded demo: a hub and an office with four agencies, served on the web."""
    console = Console()
    if walkthrough_only:
        from lienthong.demo.walkthrough import run_walkthrough

        run_walkthrough(data_dir, samples=_samples(samples), console=console)
        return
    from lienthong.demo.builder import build_demo

    with console.status("Building the demo: PKI, database, hub, office, documents…"):
        made = build_demo(data_dir, port=port)
    url = f"http://{host}:{port}"
    print_demo(console, made, url)
    if no_serve:
        return
    from lienthong.web.serve import run_server

    console.print(f"[bold green]Serving on {url}[/] — press Ctrl-C to stop.")
    run_server(made.settings, host=host, port=port)


def print_demo(console: Console, made: object, url: str) -> None:
    """The demo's users, passwords and operator token, as a newcomer needs them."""
    from lienthong.demo.builder import DemoData

    assert isinstance(made, DemoData)  # noqa: S101 - typed loosely for a lazy import
    table = Table(title="Người dùng demo / demo users (NOT FOR PRODUCTION)")
    table.add_column("cơ quan / agency")
    table.add_column("đăng nhập / username", no_wrap=True)
    table.add_column("họ tên / name")
    table.add_column("vai trò / role")
    table.add_column("mật khẩu / password", no_wrap=True)
    for agency, username, full_name, role in made.users:
        table.add_row(agency, username, full_name, role, made.password)
    console.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(made.counts.items()))
    console.print(
        Panel.fit(
            f"Open [bold]{url}[/] and log in as one of the users above.\n"
            f"Hub operators: {url}/hub — admin token: [bold]{made.admin_token}[/]\n"
            f"Office API: {url}/office/api/v1/docs · hub API: {url}/docs\n"
            f"Documents: {sum(made.counts.values())} ({counts})\n"
            f"Data directory: {made.data_dir}",
            title="lienthong demo",
        )
    )
