"""Where each feature's command group joins the root. One line per feature."""

from __future__ import annotations

import typer


def register_all(app: typer.Typer) -> None:
    from lienthong.cli.db import app as db_app
    from lienthong.edxml.cli import app as edxml_app

    app.add_typer(edxml_app, name="edxml")
    app.add_typer(db_app, name="db")
