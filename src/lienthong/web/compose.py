"""One ASGI application out of several, by path prefix, paths left untouched.

The embedded demo and ``lienthong serve`` run the hub, the office API and the web UI in
one process. Starlette's ``Mount`` would strip the prefix from the path, but the hub checks
its callers' HMAC signatures over the path *as sent* and the office API's routes carry
their own ``/office/api/v1`` prefix, so :class:`PathDispatch` hands each request, unchanged,
to the first application whose prefix matches (``/api`` matches ``/api`` and ``/api/…``,
never ``/apiary``), else to the default one. The lifespan is run for every application,
then for the extra ``lifespans`` (background loops): startup in order, shutdown in
reverse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class PathDispatch:
    """Route by path prefix to one of several ASGI apps (see the module docstring)."""

    def __init__(
        self,
        default: ASGIApp,
        routes: Sequence[tuple[str, ASGIApp]],
        *,
        lifespans: Sequence[Callable[[], AbstractAsyncContextManager[Any]]] = (),
    ) -> None:
        self.default = default
        self.routes = [(prefix.rstrip("/"), app) for prefix, app in routes]
        #: More things to start after the apps and stop before them (background loops).
        self.lifespans = list(lifespans)

    def app_for(self, path: str) -> ASGIApp:
        """The application that serves ``path``."""
        for prefix, app in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return app
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.app_for(scope.get("path", "/"))(scope, receive, send)

    def _apps(self) -> list[Any]:
        seen: list[Any] = []
        for app in [self.default, *(a for _, a in self.routes)]:
            if all(app is not s for s in seen):
                seen.append(app)
        return seen

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"  # noqa: S101 - the ASGI protocol
        stack = contextlib.AsyncExitStack()
        try:
            for app in self._apps():
                router = getattr(app, "router", None)
                context = getattr(router, "lifespan_context", None)
                if context is not None:
                    await stack.enter_async_context(context(app))
            for extra in self.lifespans:
                await stack.enter_async_context(extra())
        except Exception as exc:
            await stack.aclose()
            await send({"type": "lifespan.startup.failed", "message": repr(exc)})
            return
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        try:
            await stack.aclose()
        except Exception as exc:
            await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})
