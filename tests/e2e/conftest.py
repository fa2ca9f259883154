"""Fixtures of the end-to-end tier: the demo, built once and served by a real uvicorn
server in this process (hub, office API, pages and the office's exchange loops), for the
browser tests; a hub process on SQLite with the systems of ``hubprocs`` registered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import ServedDemo
from hubprocs import HubNode, new_site, register, running
from lienthong.bootstrap import build_container
from lienthong.demo.builder import build_demo
from lienthong.web.serve import build_app, free_port, serve_in_thread


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    """``lienthong demo``'s data, served on a free local port for the whole session."""
    port = free_port()
    data = build_demo(
        Path(tmp_path_factory.mktemp("web-demo")) / "demo", port=port, passphrase="demo passphrase"
    )
    with (
        build_container(data.settings) as container,
        serve_in_thread(build_app(container), port=port) as url,
    ):
        yield ServedDemo(data, url)


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[tuple[HubNode, dict[str, str]]]:
    """A ``lienthong hub serve`` process on SQLite, and system id → secret."""
    node = new_site(tmp_path)
    with running(node):
        yield node, register(node.url, node.token)
