"""The hub's ASGI application: ``create_hub_app(container)``.

Routes: the systems' API (:mod:`.api`; its four busiest routes answered by
:mod:`.fastpath`), the operators' API (:mod:`.api_admin`), ``/healthz`` (no credential)
and ``/metrics`` (admin). Error answers are JSON problems
(:mod:`.problems`). With ``background`` (the default), the app's lifespan runs the
webhook push worker, the nonce purge and, on PostgreSQL, the LISTEN thread that wakes
long-polls for deliveries taken in by other nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong import __version__
from lienthong.hub import affinity, api, api_admin, problems
from lienthong.hub.body_limit import BodyLimit
from lienthong.hub.fastpath import FastRoutes
from lienthong.hub.http_auth import AdminDep, HubDep
from lienthong.hub.metrics import HubMetrics
from lienthong.hub.notify import PgListener
from lienthong.hub.services import HubService
from lienthong.hub.webhooks import PushWorker

if TYPE_CHECKING:
    from lienthong.bootstrap import HubContainer

log = logging.getLogger("lienthong.hub.http")

#: How often expired request nonces are forgotten (seconds).
NONCE_PURGE_S = 60.0
#: The interpreter's switch interval in a hub worker (``sys.setswitchinterval``; Python's
#: default is 5 ms). A worker runs its event loop, its thread pool and its LISTEN thread
#: in one interpreter: a thread that needs the interpreter lock while another computes
#: (an XML parse, a signature check) waits until the holder is asked to let go, up to
#: this long, and a request passes between threads several times. At 1 ms the paced
#: p99 of ``bench/hub_load.py`` fell by ~30 % with the same CPU per package
#: (docs/performance.md, "the interpreter's switch interval").
SWITCH_INTERVAL_S = 0.001


class _RequestLog:
    """Pure ASGI middleware: one JSON log line and one counter per request (no bodies)."""

    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.requests.inc(scope["method"], str(status))
            state = scope.get("state") or {}
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "system": state.get("system_id"),
                        "admin": state.get("admin"),
                    }
                },
            )


class _HubApi(FastAPI):
    """The hub's FastAPI app, entered through ``front``: the hub's own ASGI layers, which
    end in FastAPI's. Through ``add_middleware`` they would sit inside FastAPI's
    exception, telemetry and body-size layers, which every request then crossed, the
    busiest routes included (~0.08 ms of CPU per request)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)


def create_hub_app(
    source: HubContainer | HubService,
    *,
    engine: Engine | None = None,
    background: bool = True,
    push_worker: PushWorker | None = None,
    fast_routes: bool = True,
) -> FastAPI:
    """The hub's FastAPI app over a container (or, in tests, a bare :class:`HubService`:
    then without the national monitor's routes). ``fast_routes=False`` leaves the busiest
    routes to FastAPI too (the tests compare both)."""
    hub = source if isinstance(source, HubService) else source.hub
    if engine is None and not isinstance(source, HubService):
        engine = source.engine
    metrics = HubMetrics()
    worker = push_worker
    if worker is None and background:
        worker = _push_worker(hub, metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        listener = None
        purger: asyncio.Task[None] | None = None
        if background:
            if engine is not None and engine.dialect.name == "postgresql":
                listener = PgListener(engine, hub.notifier)
                listener.start()
                _app.state.listener = listener
            if worker is not None:
                worker.start()
            purger = asyncio.create_task(_purge_nonces(hub))
        try:
            yield
        finally:
            if purger is not None:
                purger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purger
            if worker is not None:
                await run_in_threadpool(worker.stop)
            if listener is not None:
                await run_in_threadpool(listener.stop)

    app = _HubApi(
        title="lienthong hub",
        version=__version__,
        summary="The exchange axis for edXML packages (QCVN 102:2016).",
        lifespan=lifespan,
    )
    app.state.hub = hub
    app.state.metrics = metrics
    app.state.listener = None
    problems.install(app, on_error=metrics.error)
    app.include_router(api.router, tags=["systems"])
    app.include_router(api_admin.router, tags=["operators"])
    if not isinstance(source, HubService):  # the national roll-up (docs/monitor.md)
        from lienthong.monitor.api_hub import mount_hub_monitor

        mount_hub_monitor(app, source.national)

    app.include_router(operations)

    # In front of FastAPI's own layers: the request log, then the body limit (before
    # anything reads a body: only a package's may be large, .body_limit), then the
    # busiest routes, which skip FastAPI altogether (same answers, see .fastpath).
    async def fastapi_app(scope: Scope, receive: Receive, send: Send) -> None:
        await FastAPI.__call__(app, scope, receive, send)

    inner: ASGIApp = FastRoutes(fastapi_app, hub, metrics) if fast_routes else fastapi_app
    limited = BodyLimit(inner, limit=hub.config.max_request_bytes, on_error=metrics.error)
    app.front = _RequestLog(limited, metrics=metrics)
    return app


operations = APIRouter(tags=["operations"])


@operations.get("/healthz", response_class=PlainTextResponse)
async def healthz(hub_: HubDep) -> PlainTextResponse:
    """Liveness: ``ok`` when the database answers, else ``unavailable`` (503)."""
    ok = await run_in_threadpool(hub_.healthy)
    return PlainTextResponse("ok" if ok else "unavailable", 200 if ok else 503)


@operations.get("/metrics", response_class=PlainTextResponse)
async def metrics_text(request: Request, hub_: HubDep, _admin: AdminDep) -> PlainTextResponse:
    """Prometheus metrics (admin credential)."""
    queues = await run_in_threadpool(hub_.queues)
    body = request.app.state.metrics.render(queues)
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def _push_worker(hub: HubService, metrics: HubMetrics) -> PushWorker:
    cfg = hub.config
    return PushWorker(
        hub.uow_factory,
        systems=hub.systems,
        clock=hub.clock,
        notifier=hub.notifier,
        max_attempts=cfg.push_max_attempts,
        backoff_s=cfg.push_backoff_s,
        timeout_s=cfg.push_timeout_s,
        on_outcome=metrics.pushes.inc,
    )


async def _purge_nonces(hub: HubService) -> None:
    while True:
        await asyncio.sleep(NONCE_PURGE_S)
        try:
            await run_in_threadpool(hub.systems.purge_nonces)
        except Exception as exc:  # the next round tries again
            log.warning("nonce purge failed: %s", type(exc).__name__)


def app_from_environment() -> Any:
    """Uvicorn factory (``lienthong hub serve``): settings from the environment; the hub
    alone (:func:`~lienthong.bootstrap.build_hub_container`: no office libraries)."""
    from lienthong.bootstrap import build_hub_container
    from lienthong.hub.logs import configure_logging
    from lienthong.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    # Before the container starts its threads: they inherit the CPU (see .affinity).
    locks = os.environ.get(affinity.LOCKS_ENV)
    if locks:
        affinity.pin_worker(Path(locks))
    app = create_hub_app(build_hub_container(settings))
    # What is loaded now lives as long as the process: keep it out of the collector's
    # full passes (each would walk every module, class and route again).
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return app
