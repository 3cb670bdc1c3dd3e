"""The whole aoai-watch config file: regions (failover.config), `[failover]`, `[probes]`, `[slo]`,
`[prices]`, `database` and `[monitor]`, validated once at load. Every error names the file, the field and the fix."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..failover.config import DAY_S, ConfigError, RegionConfig, check_number, load_toml, parse_regions, seconds_fields
from ..failover.options import FailoverOptions, parse_failover_options
from .kinds import DEFAULT_KINDS, KINDS
from .monitor.settings import MonitorSettings, parse_monitor
from .prices import PriceTable, load_prices

__all__ = ["AppConfig", "ProbeSettings", "SloTargets", "load_config"]

DEFAULT_DATABASE = Path("data/aoai-watch.duckdb")
# `simulator`: what `aoai-watch simulate --config` alone reads (chaos/simulator/lifecycle.py); probes ignore it
TOP_LEVEL = ("regions", "failover", "probes", "slo", "prices", "database", "monitor", "simulator")


@dataclass(frozen=True)
class ProbeSettings:
    kinds: tuple[str, ...] = DEFAULT_KINDS
    every_s: float = 60.0
    timeout_s: float = 30.0
    max_tokens: int = 8
    prober: str = field(default_factory=socket.gethostname)
    chat_model: str = "gpt-4o"  # chat, stream, responses_chain and failover probe this model
    embedding_model: str = "text-embedding-3-small"
    realtime_model: str = "gpt-realtime"  # the realtime probe runs where a region deploys this model


@dataclass(frozen=True)
class SloTargets:
    """OpenSLO-shaped: availability and latency objectives over a rolling window, by occurrences."""

    availability_target: float = 0.999
    latency_threshold_s: float = 2.0
    latency_target: float = 0.99
    window_days: int = 30


@dataclass(frozen=True)
class AppConfig:
    path: Path
    regions: list[RegionConfig]
    failover: FailoverOptions
    probes: ProbeSettings
    slo: SloTargets
    prices: PriceTable
    database: Path
    monitor: MonitorSettings | None = None  # [monitor]: the Azure Monitor import (import-metrics)


def load_config(path: str | Path, database: str | Path | None = None) -> AppConfig:
    """Load and validate a config file; `database` (from --db) overrides the file's `database`."""
    path = Path(path)
    doc = load_toml(path)
    for key in doc:
        if key not in TOP_LEVEL:
            raise ConfigError(path, key, f"unknown top-level key; valid keys are {', '.join(TOP_LEVEL)}")
    regions = parse_regions(doc, path)
    db = database if database is not None else doc.get("database", str(DEFAULT_DATABASE))
    if not isinstance(db, str | Path) or not str(db):
        raise ConfigError(path, "database", 'must be a file path, e.g. database = "data/aoai-watch.duckdb"')
    return AppConfig(
        path=path,
        regions=regions,
        failover=parse_failover_options(doc, path),
        probes=_probes(doc.get("probes", {}), path),
        slo=_slo(doc.get("slo", {}), path),
        prices=load_prices(overrides=doc.get("prices", {}), source=path),
        database=Path(db),
        monitor=parse_monitor(doc.get("monitor"), path, [r.name for r in regions]),
    )


def _table(raw: Any, path: Path, name: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(path, name, f"must be a table: [{name}]")
    return raw


def _probes(raw: Any, path: Path) -> ProbeSettings:
    raw = _table(raw, path, "probes")
    valid = ("kinds", "every_s", "timeout_s", "max_tokens", "prober", "chat_model", "embedding_model", "realtime_model")
    for key in raw:
        if key not in valid:
            raise ConfigError(path, f"probes.{key}", f"unknown key; valid keys are {', '.join(valid)}")
    kinds = raw.get("kinds", list(ProbeSettings().kinds))
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        raise ConfigError(
            path, "probes.kinds", f"must be a non-empty list drawn from {', '.join(KINDS)}; got {kinds!r}"
        )
    values: dict[str, Any] = {"kinds": tuple(dict.fromkeys(kinds))}
    values.update(seconds_fields(raw, "probes", {"every_s": 1.0, "timeout_s": 0.1}, path))
    if "max_tokens" in raw:
        values["max_tokens"] = check_number(raw["max_tokens"], path, "probes.max_tokens", 1, 4096, whole=True)
    for key in ("prober", "chat_model", "embedding_model", "realtime_model"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise ConfigError(path, f"probes.{key}", "must be a non-empty string")
            values[key] = raw[key]
    return ProbeSettings(**values)


def _slo(raw: Any, path: Path) -> SloTargets:
    raw = _table(raw, path, "slo")
    for key in raw:
        if key not in ("availability", "latency"):
            raise ConfigError(path, f"slo.{key}", "unknown objective; valid: [slo.availability], [slo.latency]")
    availability = _table(raw.get("availability", {}), path, "slo.availability")
    latency = _table(raw.get("latency", {}), path, "slo.latency")
    defaults = SloTargets()

    def ratio(table: Mapping[str, Any], name: str, default: float) -> float:
        value = table.get("target", default)
        field = f"slo.{name}.target"
        check_number(value, path, field, 0, 1, above=True, below=True, note="a ratio: 99.9% is 0.999")
        return float(value)

    def window(table: Mapping[str, Any], name: str) -> int:
        value = table.get("window", f"{defaults.window_days}d")
        if (
            not isinstance(value, str)
            or not value.endswith("d")
            or not value[:-1].isascii()
            or not value[:-1].isdigit()
        ):
            raise ConfigError(path, f"slo.{name}.window", f'must be a number of days such as "30d"; got {value!r}')
        days: int = check_number(int(value[:-1]), path, f"slo.{name}.window", 1, 366, whole=True, unit="days")
        return days

    for table, name in ((availability, "availability"), (latency, "latency")):
        for key in table:
            if key not in ("target", "window", "budgeting", "threshold_s"):
                raise ConfigError(
                    path,
                    f"slo.{name}.{key}",
                    "unknown key; valid: target, window, budgeting" + (", threshold_s" if name == "latency" else ""),
                )
        if table.get("budgeting", "Occurrences") != "Occurrences":
            raise ConfigError(path, f"slo.{name}.budgeting", 'only "Occurrences" is supported (probes are events)')
    threshold = latency.get("threshold_s", defaults.latency_threshold_s)
    threshold = check_number(threshold, path, "slo.latency.threshold_s", 0, DAY_S, above=True, unit="seconds")
    windows = {window(availability, "availability"), window(latency, "latency")}
    if len(windows) != 1:
        raise ConfigError(path, "slo.latency.window", "both objectives must use the same window")
    return SloTargets(
        availability_target=ratio(availability, "availability", defaults.availability_target),
        latency_threshold_s=threshold,
        latency_target=ratio(latency, "latency", defaults.latency_target),
        window_days=windows.pop(),
    )
