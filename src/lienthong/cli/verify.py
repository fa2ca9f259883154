"""``lienthong verify``: check signatures. Each format adds its command here (``pdf``, ``edxml``)."""

from __future__ import annotations

import typer

from lienthong.edxml.xmldsig_cli import verify_edxml
from lienthong.pdfsign.cli import verify_pdf

app = typer.Typer(help="Verify the signatures of documents.", no_args_is_help=True)
app.command("pdf")(verify_pdf)
app.command("edxml")(verify_edxml)
