"""Child processes that live and die with the command that started them (`aoai-watch dashboard`
and `demo` run Streamlit as a child).

Without this, `kill PID` (SIGTERM) or a closed terminal (SIGHUP) ends the parent at once and the
child is orphaned, still serving its port. Inside `Children`, SIGTERM, SIGINT and SIGHUP set
`stop` and pass SIGTERM on to every child (in its own session, so the whole group gets it); on
leaving, each child gets `grace_s` to exit, then SIGKILL, and is waited for. A child that exits
on its own while the parent still runs sets `stop` too and is kept in `failed`: the parent ends
with an error instead of running on without it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["STOP_SIGNALS", "Children"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Children:
    """Use as `with Children() as children: children.adopt(subprocess.Popen(..., start_new_session=True))`.

    `stop` is set by a stop signal or by a child that exited; `signal_name` says which signal,
    `failed` which child exited on its own (None when none did)."""

    def __init__(self, grace_s: float = 10.0) -> None:
        self.grace_s = grace_s
        self.stop = threading.Event()
        self.signal_name: str | None = None
        self.failed: subprocess.Popen[Any] | None = None
        self._processes: list[subprocess.Popen[Any]] = []
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
        self._stopping = False
        self._lock = threading.RLock()  # the signal handler may interrupt its own thread holding it

    def __enter__(self) -> Children:
        if threading.current_thread() is threading.main_thread():  # signal handlers live there only
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        # whoever sets `stop` (a signal here, a handler of the caller's own, a timer), children get SIGTERM at once
        threading.Thread(target=self._terminate_when_stopped, name="children-stop", daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.stop_all()
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)

    def adopt(self, process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        """Tie `process` to this one; a thread notices when it exits on its own."""
        with self._lock:
            self._processes.append(process)
            stopping = self._stopping
        if stopping:  # a signal came while it was starting
            _terminate(process)
        threading.Thread(target=self._watch, args=(process,), name=f"child-{process.pid}", daemon=True).start()
        return process

    def wait(self) -> None:
        """Until a stop signal arrives or a child exits."""
        while not self.stop.wait(0.5):  # a timeout, so the main thread runs signal handlers promptly
            pass

    def stop_all(self) -> None:
        """SIGTERM to every child still running, `grace_s` for each to exit, then SIGKILL; waits for all."""
        self._terminate_all()
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            try:
                process.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                _kill(process)
                process.wait()
        self.stop.set()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        self._terminate_all()  # at once: the parent may still finish work of its own
        self.stop.set()

    def _terminate_when_stopped(self) -> None:
        self.stop.wait()
        self._terminate_all()

    def _terminate_all(self) -> None:
        with self._lock:
            self._stopping = True
            processes = list(self._processes)
        for process in processes:
            _terminate(process)

    def _watch(self, process: subprocess.Popen[Any]) -> None:
        process.wait()
        with self._lock:
            stopping = self._stopping
            if not stopping and self.failed is None:
                self.failed = process
        if not stopping:
            self.stop.set()


def _signal_group(process: subprocess.Popen[Any], sig: int) -> None:
    """`sig` to the child's process group when it leads one (start_new_session), else to it alone."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)


def _terminate(process: subprocess.Popen[Any]) -> None:
    _signal_group(process, signal.SIGTERM)


def _kill(process: subprocess.Popen[Any]) -> None:
    _signal_group(process, signal.SIGKILL)
