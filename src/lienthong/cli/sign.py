"""``lienthong sign``: sign documents. Each format adds its command here (``pdf``, ``edxml``)."""

from __future__ import annotations

import typer

from lienthong.edxml.xmldsig_cli import sign_edxml
from lienthong.pdfsign.cli import sign_pdf

app = typer.Typer(help="Sign documents with a key from the pki directory.", no_args_is_help=True)
app.command("pdf")(sign_pdf)
app.command("edxml")(sign_edxml)
