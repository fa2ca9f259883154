"""Shared constants for the test suite (importable: pytest puts tests/ on the path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The project's shared folder: LIENTHONG_SHARED_DIR, else ``shared/`` beside the repository.
SHARED_DIR = Path(
    os.environ.get("LIENTHONG_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared"
)
SAMPLES_DIR = SHARED_DIR / "samples" / "edxml"
#: The ``lienthong`` command installed next to the running interpreter.
LIENTHONG = str(Path(sys.executable).parent / "lienthong")


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any LIENTHONG_* variable, plus ``extra``; wide columns."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["COLUMNS"] = "200"
    env.update(extra)
    return env
