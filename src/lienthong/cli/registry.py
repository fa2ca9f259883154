"""Where each feature's command group joins the root. One line per feature."""

from __future__ import annotations

import typer


def register_all(app: typer.Typer) -> None:
    from lienthong.cli.db import app as db_app
    from lienthong.cli.sign import app as sign_app
    from lienthong.cli.verify import app as verify_app
    from lienthong.demo.cli import demo
    from lienthong.edxml.cli import app as edxml_app
    from lienthong.hub.cli import app as hub_app
    from lienthong.monitor.cli import app as report_app
    from lienthong.office.cli import app as office_app
    from lienthong.pki.cli import app as pki_app
    from lienthong.pki.cli import tsa_app
    from lienthong.web.serve import serve

    app.add_typer(edxml_app, name="edxml")
    app.add_typer(db_app, name="db")
    app.add_typer(pki_app, name="pki")
    app.add_typer(tsa_app, name="tsa")
    app.add_typer(sign_app, name="sign")
    app.add_typer(verify_app, name="verify")
    app.add_typer(hub_app, name="hub")
    app.add_typer(office_app, name="office")
    app.add_typer(report_app, name="report")
    app.command("demo")(demo)
    app.command("serve")(serve)
