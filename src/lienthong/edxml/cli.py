"""``lienthong edxml``: inspect, validate and build packages."""

from __future__ import annotations

import typer

app = typer.Typer(help="Read, check and build edXML packages.", no_args_is_help=True)


@app.command()
def inspect() -> None:
    """Show a readable summary of a package."""
