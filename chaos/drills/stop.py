"""Stopping a drill run from outside. Ctrl-C (SIGINT), SIGTERM (systemd, CI runners, `kill`) and
SIGHUP (a closed terminal) all unwind a run the same way, so the rollback in `run_drill`'s
`finally` clears the drill's faults however it is stopped. Ctrl-C is not left to asyncio.run's own
handling, which cancels only the load's main task once: a cancellation swallowed on its way down
(by a client, or a library's cancel scope) kept the workers calling until the drill's end. Here
every task is cancelled, and the load's workers also stop taking new calls once `stopping()`.

    with stop_on_signals():        # the command line, around its drills
        run_drill(...)             # whose load runs through run_async()
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine, Iterator
from types import FrameType
from typing import Any

__all__ = ["DrillStopped", "run_async", "stop_on_signals", "stopping"]

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_stopping: int | None = None  # the stop signal received, while stop_on_signals is in force


class DrillStopped(SystemExit):
    """A stop signal arrived. A SystemExit, with the conventional code 128 + the signal's number:
    `except Exception` in a client must not swallow it, and left uncaught it ends the process
    with that code."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum
        self.signal_name = signal.Signals(signum).name


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, the first of `signums` stops the run: in synchronous code it raises
    `DrillStopped` at once; while an event loop runs it cancels every task of the loop (so they
    unwind through their own `finally`), `stopping()` turns true, and `run_async` raises
    `DrillStopped` when the loop is done. Later signals are ignored until the block exits, so
    they cannot cut the rollback short. Previous handlers are restored on exit. Main thread only
    (Python runs signal handlers there)."""
    global _stopping

    def handler(signum: int, frame: FrameType | None) -> None:
        global _stopping
        if _stopping is not None:
            return
        _stopping = signum
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise DrillStopped(signum) from None
        loop.call_soon_threadsafe(_cancel_all, loop)

    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        _stopping = None


def stopping() -> bool:
    """Whether a stop signal has arrived (under `stop_on_signals`): a load's loop takes no new call."""
    return _stopping is not None


def run_async(main: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run(main)`, then `DrillStopped` if a stop signal arrived meanwhile, whether or not
    the cancellation it caused reached `main` (a client may swallow it: the stop is never lost)."""
    try:
        asyncio.run(main)
    except asyncio.CancelledError:
        if _stopping is None:
            raise
    if _stopping is not None:
        raise DrillStopped(_stopping)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()
