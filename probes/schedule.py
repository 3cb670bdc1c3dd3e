"""Running cycles: one (for cron) or a loop (`--every`), never two at once on one database.

A cycle holds an exclusive lock file beside the database for its whole run, so a cron tick that
fires while the previous cycle is still running skips instead of double-probing; the running cycle
stores its own rows, so nothing is lost. The loop waits `every_s` with +/-10% jitter (many probers
do not tick in step) and stops between cycles on SIGTERM or SIGINT. With `[otel]`, each cycle's
rows are exported after they are stored (probes/otel.py): a collector that is down costs neither.
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
from typing import IO, TYPE_CHECKING, Any

from ..failover.config import ConfigError
from .config import AppConfig
from .result import ProbeResult
from .runner import run_cycle
from .store import Store, StoreUnusable, WriteReport, fallback_path

if TYPE_CHECKING:  # OpenTelemetry is imported only when [otel] is configured
    from .otel import ExportReport, ProbeExporter

__all__ = ["CycleBusy", "CycleReport", "cycle_lock", "open_exporter", "run_loop", "run_once"]


class CycleBusy(Exception):
    """Another cycle holds the lock for this database."""


@dataclass(frozen=True)
class CycleReport:
    results: list[ProbeResult]
    stored: WriteReport
    exported: ExportReport | None = None  # None: no [otel] table


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


def open_exporter(config: AppConfig, environ: Any = None) -> ProbeExporter | None:
    """The OTLP exporter `[otel]` asks for (None without one); a missing `otel` extra is a
    ConfigError naming the fix."""
    if config.otel is None:
        return None
    try:
        from .otel import ProbeExporter
    except ImportError:
        raise ConfigError(
            config.path, "otel", "needs OpenTelemetry: pip install 'aoai-watch[otel]', or remove the [otel] table"
        ) from None
    return ProbeExporter(config, environ)


def run_once(
    config: AppConfig,
    kinds: tuple[str, ...] | None = None,
    store: Store | None = None,
    exporter: ProbeExporter | None = None,
    **runner_options: Any,
) -> CycleReport:
    """Probe every target once and store the rows (one short write at the end), then export them
    when `[otel]` is set (through `exporter`, else one opened and closed for this cycle)."""
    store = store or Store(config.database)
    own = exporter is None and config.otel is not None
    if own:
        exporter = open_exporter(config, runner_options.get("environ"))
    try:
        with cycle_lock(config.database):
            results = run_cycle(config, kinds, **runner_options)
            stored = store.write(results)
        exported = exporter.export(results) if exporter is not None else None
        return CycleReport(results, stored, exported)
    finally:
        if own and exporter is not None:
            exporter.close()


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
    exporter = open_exporter(config, runner_options.get("environ"))  # one for the loop: totals carry on
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        store = Store(config.database)
        while not stop.is_set():
            try:
                on_cycle(run_once(config, kinds, store, exporter, **runner_options))
            except Exception as exc:  # a bad cycle is reported, the loop goes on
                on_cycle(exc)
            stop.wait(period * rng.uniform(0.9, 1.1))
    finally:
        if exporter is not None:
            exporter.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
