"""The Typer root of the ``lienthong`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lienthong import __version__
from lienthong.errors import LienthongError

app = typer.Typer(
    name="lienthong",
    help="Electronic documents for Vietnam's state agencies: edXML, hub, office, monitor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lienthong {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file (else LIENTHONG_CONFIG)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """lienthong: electronic documents for state agencies."""
    ctx.obj = {"config": config}


def _register() -> None:
    from lienthong.cli import registry

    registry.register_all(app)


_register()


def main() -> None:
    """Entry point: run the app, turning our errors into a message and exit code 2."""
    # typer >= 0.2x vendors click as ``typer._click``: its usage errors are not ``click``'s.
    from rich.markup import escape
    from typer._click.exceptions import ClickException

    try:
        # Without standalone mode, ``typer.Exit(code)`` comes back as the return value.
        code = app(standalone_mode=False)
    except LienthongError as exc:
        err_console.print(f"[bold red]error[/] {escape(str(exc))}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except ClickException as exc:  # usage errors: exit status 2
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
