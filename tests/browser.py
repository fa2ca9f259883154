"""Helpers for the browser tests: a real uvicorn server in a thread, and Debian's chromium
driven by Playwright (never a browser downloaded by ``playwright install``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lienthong.demo.builder import DemoData
from lienthong.web.serve import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where screenshots go (not committed: test-artifacts/ is ignored by git).
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


def serve(app: Any, port: int | None = None) -> Any:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; a context giving its URL."""
    return serve_in_thread(app, port=port)


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class ServedDemo:
    """The demo's data and the URL it is served at."""

    data: DemoData
    url: str
