"""``lienthong demo``: the embedded demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

DEFAULT_SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples" / "edxml"


def demo(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo keeps its files (recreated).")
    ] = Path("lienthong-data/demo"),
    samples: Annotated[
        Path | None,
        typer.Option(help="A folder of edXML packages from other systems to read."),
    ] = None,
) -> None:
    """Run the embedded demo on a fresh data directory (SQLite, no server)."""
    from lienthong.demo.walkthrough import run_walkthrough

    if samples is None:
        shared = os.environ.get("LIENTHONG_SHARED_DIR")
        candidate = Path(shared) / "samples" / "edxml" if shared else DEFAULT_SAMPLES
        samples = candidate if candidate.is_dir() else None
    run_walkthrough(data_dir, samples=samples, console=Console())
