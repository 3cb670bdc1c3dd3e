"""Running cycles: one (for cron) or a loop (`--every`), never two at once on one database.

A cycle holds an exclusive lock file beside the database for its whole run, so a cron tick that
fires while the previous cycle is still running skips instead of double-probing; the running cycle
stores its own rows, so nothing is lost. The loop waits `every_s` with +/-10% jitter (many probers
do not tick in step) and stops between cycles on SIGTERM or SIGINT.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .config import AppConfig
from .result import ProbeResult
from .runner import run_cycle
from .store import Store, StoreUnusable, WriteReport, fallback_path

__all__ = ["CycleBusy", "CycleReport", "cycle_lock", "run_loop", "run_once"]


class CycleBusy(Exception):
    """Another cycle holds the lock for this database."""


@dataclass(frozen=True)
class CycleReport:
    results: list[ProbeResult]
    stored: WriteReport


def _open_lock(database: Path, suffix: str = ".cycle.lock") -> IO[str]:
    """The cycle lock file beside the database, else (that folder cannot be written) in the
    fallback folder, so an unusable database still gets its cycle and its rows spooled."""
    beside = database.with_name(database.name + suffix)
    for path in (beside, fallback_path(database, suffix)):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return open(path, "a+")
        except OSError:
            continue
    raise StoreUnusable(f"no cycle lock could be created beside {database} or in {fallback_path(database, '')}")


@contextlib.contextmanager
def cycle_lock(database: Path, suffix: str = ".cycle.lock", what: str = "a probe cycle") -> Iterator[None]:
    """Hold `<database><suffix>` exclusively for the block, or raise `CycleBusy` at once. The
    `alert` command holds its own (`.alerts.lock`): two evaluations never overlap, and a slow
    delivery never makes a probe cycle skip."""
    with _open_lock(database, suffix) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CycleBusy(f"{what} is still running on {database} (pid {holder}); skipping this one") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def run_once(
    config: AppConfig, kinds: tuple[str, ...] | None = None, store: Store | None = None, **runner_options: Any
) -> CycleReport:
    """Probe every target once and store the rows (one short write at the end)."""
    store = store or Store(config.database)
    with cycle_lock(config.database):
        results = run_cycle(config, kinds, **runner_options)
        return CycleReport(results, store.write(results))


def run_loop(
    config: AppConfig,
    on_cycle: Callable[[CycleReport | Exception], None],
    kinds: tuple[str, ...] | None = None,
    every_s: float | None = None,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
    **runner_options: Any,
) -> None:
    """Cycles every `every_s` (default: the config's) until SIGTERM/SIGINT or `stop` is set."""
    stop = stop or threading.Event()
    rng = rng or random.Random()
    period = every_s or config.probes.every_s
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        store = Store(config.database)
        while not stop.is_set():
            try:
                on_cycle(run_once(config, kinds, store, **runner_options))
            except Exception as exc:  # a bad cycle is reported, the loop goes on
                on_cycle(exc)
            stop.wait(period * rng.uniform(0.9, 1.1))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
