"""``lienthong db``: create or migrate the store, and say where it stands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from lienthong.settings import Settings

# SQLAlchemy and Alembic are imported inside the commands: `lienthong` starts faster.

app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)

console = Console(soft_wrap=True, highlight=False)


def _settings(ctx: typer.Context) -> Settings:
    from lienthong.settings import load_settings

    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return load_settings(obj.get("config"))


def _where(settings: Settings) -> None:
    from lienthong.db.engine import display_url

    console.print(f"Database: {escape(display_url(settings.effective_database_url))}")
    if settings.blob_store == "db":
        console.print("Blobs:    in the database (tables blobs, blob_chunks)")
    else:
        console.print(f"Blobs:    files under {escape(str(settings.blob_dir.resolve()))}")


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create the store or migrate it to the newest revision (safe to run again)."""
    from lienthong.db import migrate
    from lienthong.db.engine import make_engine

    settings = _settings(ctx)
    _where(settings)
    if settings.blob_store == "fs":
        settings.blob_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        result = migrate.upgrade(engine)
    finally:
        engine.dispose()
    if not result.changed:
        console.print(f"[green]Already at the newest revision {result.after}: nothing to do.[/]")
        return
    console.print(f"Was at:   {result.before or '(empty database)'}")
    for step in result.applied:
        console.print(f"Applied:  {step.revision}  {escape(step.message)}")
    console.print(f"[green]Now at the newest revision {result.after}.[/]")


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the revision the database is at, and whether it is the newest."""
    from lienthong.db import migrate
    from lienthong.db.engine import display_url, make_engine, parse_database_url

    settings = _settings(ctx)
    url = parse_database_url(settings.effective_database_url)
    console.print(f"Database: {escape(display_url(url))}")
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        console.print("Revision: (no database file yet) — run `lienthong db upgrade`")
        raise typer.Exit(code=1)
    engine = make_engine(url)
    try:
        revision = migrate.current(engine)
    finally:
        engine.dispose()
    head = migrate.head()
    if revision is None:
        console.print("Revision: (empty database) — run `lienthong db upgrade`")
        raise typer.Exit(code=1)
    if revision == head:
        console.print(f"Revision: {revision} (newest)")
        return
    console.print(f"Revision: {revision} (newest is {head}) — run `lienthong db upgrade`")
    raise typer.Exit(code=1)


@app.command()
def history() -> None:
    """List the migration revisions, oldest first."""
    from lienthong.db import migrate

    head = migrate.head()
    for step in migrate.history():
        mark = "  (newest)" if step.revision == head else ""
        console.print(f"{step.revision}  {escape(step.message)}{mark}")
