"""``lienthong.hub.threads.in_thread``: the hub's hot paths' trip to a worker thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from lienthong.hub.threads import in_thread


def test_the_call_runs_in_another_thread_with_its_arguments() -> None:
    def work(a: int, *, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    async def main() -> tuple[tuple[int, str], str]:
        return await in_thread(work, 2, b=3), threading.current_thread().name

    (total, worker), loop_thread = asyncio.run(main())

    assert total == 5
    assert worker != loop_thread
    assert worker.startswith("hub")


def test_an_exception_reaches_the_caller() -> None:
    def fail() -> None:
        raise LookupError("no such delivery")

    with pytest.raises(LookupError, match="no such delivery"):
        asyncio.run(in_thread(fail))


def test_a_cancelled_caller_does_not_cut_the_call_short() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def commit() -> None:
        started.set()
        release.wait(5)
        finished.set()

    async def main() -> None:
        task = asyncio.ensure_future(in_thread(commit))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()

    asyncio.run(main())

    assert finished.wait(5)
