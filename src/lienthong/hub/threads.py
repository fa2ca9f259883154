"""The hub's busiest trips from the event loop to a worker thread.

Every package costs a few such trips (intake; ``content`` and ``ack`` with their checks).
Starlette's ``run_in_threadpool`` goes through anyio: a capacity limiter, a cancel scope
and a Python ``Condition`` to wake a worker, about a tenth of a millisecond of CPU under
the GIL per trip (``py-spy --gil`` in docs/performance.md). :func:`in_thread` hands the
call to a plain :class:`~concurrent.futures.ThreadPoolExecutor` through the loop's
``run_in_executor``: a C-level queue, the same result hand-back. The pool has as many
threads as anyio's default limiter (40); the rest of the hub keeps ``run_in_threadpool``.

A thread cannot be interrupted: the call runs to its end even if the awaiting task is
cancelled (a server shutting down), so a commit is never cut off halfway; the cancelled
caller is simply not answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Worker threads at most (anyio's default limiter has 40 tokens).
MAX_THREADS = 40

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="hub")
        return _pool


async def in_thread(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """``fn(*args, **kwargs)`` in a worker thread; its result or its exception."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), lambda: fn(*args, **kwargs))
