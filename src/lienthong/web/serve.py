"""``lienthong serve``: the hub, the office (API and pages) in one process, with uvicorn.

The database is brought to the newest schema first, so a fresh data directory serves at
once (empty: add agencies and people with ``lienthong office …``, an operator token with
``lienthong hub admin-token create``). When the settings name a hub (``hub_url``,
``hub_system``, ``hub_secret``) the office's exchange runs beside the server
(:mod:`lienthong.office.hubsync_run`): its loops send what is ready and receive what
arrives, talking to the hub over HTTP like any other system (in the demo, the hub is this
same process), and the pages' "send" button dispatches at once. ``lienthong demo`` calls
:func:`run_server` on the demo directory it just built.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lienthong.settings import Settings, load_settings

if TYPE_CHECKING:
    from lienthong.bootstrap import Container
    from lienthong.office.hubsync_run import OfficeExchange

log = logging.getLogger("lienthong.web")
#: Long-poll seconds of the in-process receiving loop (short: shutdown waits for it).
SYNC_WAIT_S = 5


def exchange_lifespan(exchange: OfficeExchange, *, interval: float = 2.0) -> Any:
    """An async context that runs the exchange's loops while the server runs."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        stop = threading.Event()
        threads = exchange.start(stop, interval=interval)
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=SYNC_WAIT_S + 2)
            # A loop still inside a call keeps its client; the daemon thread ends with us.
            if not any(t.is_alive() for t in threads):
                exchange.close()

    return running


def build_app(container: Container, *, background: bool = True) -> Any:
    """The combined ASGI app over ``container`` (migrated), with the exchange if a hub
    is configured."""
    from lienthong.db import migrate
    from lienthong.web.app import create_web_app

    migrate.upgrade(container.engine)
    settings = container.settings
    exchange = None
    if background and settings.hub_url and settings.hub_system and settings.hub_secret:
        from lienthong.hub.client import HubClient
        from lienthong.office.hubsync_run import exchange_from_container

        client = HubClient(
            settings.hub_url,
            settings.hub_system,
            settings.hub_secret.get_secret_value(),
            clock=container.clock,
            retries=2,
        )
        exchange = exchange_from_container(container, hub=client, wait=SYNC_WAIT_S)
    app = create_web_app(
        container,
        background=background,
        dispatch_now=exchange.dispatch_now if exchange is not None else None,
    )
    if exchange is not None:
        app.lifespans.append(exchange_lifespan(exchange))
    return app


def run_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    import uvicorn

    from lienthong.bootstrap import build_container

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with build_container(settings) as container:
        app = build_app(container)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            lifespan="on",
            timeout_graceful_shutdown=SYNC_WAIT_S + 2,
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread (the demo builder, tests); yields its URL."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=SYNC_WAIT_S + 2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="lienthong-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (else the settings').")
    ] = None,
) -> None:
    """Run the hub, the office API and the web pages in one process (no demo data)."""
    config = (ctx.obj or {}).get("config")
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
    settings = load_settings(config, **overrides)
    typer.echo(f"lienthong: serving http://{host}:{port} (data: {settings.data_dir})")
    run_server(settings, host=host, port=port)
