"""``lienthong db``: create or migrate the store."""

from __future__ import annotations

import typer

app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create the store or migrate it to the newest revision."""
    raise typer.Exit(code=1)
