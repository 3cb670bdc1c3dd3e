"""Process helpers for the tests that start the installed command: its descendants from /proc (no
psutil needed), whether a pid still runs, a free port, and a command's stdout read line by line."""

from __future__ import annotations

import queue
import socket
import subprocess
import threading
import time
from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every process below `pid` now (children, their children, ...), from /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and brackets, so split after the last ")"
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a zombie has exited; only its parent's wait is due)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def survivors(pids: set[int], timeout_s: float = 15.0) -> set[int]:
    """Those of `pids` still running after up to `timeout_s` (they may take a moment to go)."""
    deadline = time.monotonic() + timeout_s
    alive = {p for p in pids if running(p)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {p for p in alive if running(p)}
    return alive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout_s} s")
        time.sleep(0.2)


class Lines:
    """A started command's stdout, line by line, read in a thread (so a test can wait for a line
    without blocking on a pipe), and all of it kept."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, predicate: object, timeout_s: float) -> list[str]:
        """Lines until one satisfies `predicate` (it included); TimeoutError, with what was seen, else."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no such line within {timeout_s} s; saw {self.seen}") from None
            if line is None:
                raise EOFError(f"the command ended (exit {self.process.wait()}); saw {self.seen}")
            self.seen.append(line)
            if predicate(line):  # type: ignore[operator]
                return self.seen

    def rest(self, timeout_s: float = 30) -> list[str]:
        """Every line until the command closes its output."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return self.seen
            if line is None:
                return self.seen
            self.seen.append(line)


def pids_of(process: subprocess.Popen[str]) -> set[int]:
    return {process.pid} | descendants(process.pid)


__all__ = ["Lines", "descendants", "free_port", "listening", "pids_of", "running", "survivors", "wait_for"]
