"""The whole aoai-watch config file: regions (failover.config), `[failover]`, `[probes]`, `[slo]`,
`[prices]`, `database`, `[monitor]`, `[alerts]` and `[otel]`, validated once at load. Every error names the file,
the field and the fix, and every problem in the file is reported at once (`ConfigErrors`, one line each);
`warnings` says what loads but will not do what it seems to (a probe kind whose model no region deploys)."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..failover.config import (
    DAY_S,
    ConfigError,
    Problems,
    RegionConfig,
    check_number,
    load_toml,
    nearest,
    parse_regions,
    seconds_fields,
    unknown_key,
)
from ..failover.options import FailoverOptions, parse_failover_options
from .alert_settings import AlertSettings, parse_alerts
from .kinds import DEFAULT_KINDS, KINDS, REGISTRY
from .monitor.settings import MonitorSettings, parse_monitor
from .otel_settings import OtelSettings, parse_otel
from .prices import PriceTable, load_prices

__all__ = ["AppConfig", "ProbeSettings", "SloTargets", "load_config", "warnings"]

DEFAULT_DATABASE = Path("data/aoai-watch.duckdb")
# `simulator`: what `aoai-watch simulate --config` alone reads (chaos/simulator/lifecycle.py); probes ignore it
TOP_LEVEL = ("regions", "failover", "probes", "slo", "prices", "database", "monitor", "alerts", "otel", "simulator")


@dataclass(frozen=True)
class ProbeSettings:
    kinds: tuple[str, ...] = DEFAULT_KINDS
    every_s: float = 60.0
    timeout_s: float = 30.0
    max_tokens: int = 8
    prober: str = field(default_factory=socket.gethostname)
    chat_model: str = "gpt-4o"  # chat, stream, responses_chain, tools, structured and failover probe this model
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
    alerts: AlertSettings | None = None  # [alerts]: rules and channels (probes/alert_settings.py)
    otel: OtelSettings | None = None  # [otel]: OTLP/HTTP metrics export (probes/otel_settings.py)


def load_config(path: str | Path, database: str | Path | None = None) -> AppConfig:
    """Load and validate a config file; `database` (from --db) overrides the file's `database`.
    Raises `ConfigError` for one problem, `ConfigErrors` (one line each) for several."""
    path = Path(path)
    doc = load_toml(path)
    problems = Problems()
    for key in doc:
        if key not in TOP_LEVEL:
            problems.add(ConfigError(path, key, unknown_key(key, TOP_LEVEL, "top-level key")))
    before = len(problems)
    regions = parse_regions(doc, path, problems)
    regions_loaded = len(problems) == before
    db = database if database is not None else doc.get("database", str(DEFAULT_DATABASE))
    if not isinstance(db, str | Path) or not str(db):
        problems.add(ConfigError(path, "database", 'must be a file path, e.g. database = "data/aoai-watch.duckdb"'))
    failover = problems.attempt(parse_failover_options, doc, path)
    probes = problems.attempt(_probes, doc.get("probes", {}), path)
    slo = problems.attempt(_slo, doc.get("slo", {}), path)
    prices = problems.attempt(load_prices, doc.get("prices", {}), path)
    # [monitor.regions.<name>] is matched against the regions only when they all loaded
    names = [r.name for r in regions] if regions_loaded else None
    monitor = problems.attempt(parse_monitor, doc.get("monitor"), path, names)
    alerts = problems.attempt(parse_alerts, doc.get("alerts"), path)
    otel = problems.attempt(parse_otel, doc.get("otel"), path)
    # in the order of the file's parts (TOML keeps it), whatever order they are read in
    where = {key: i for i, key in enumerate(doc)}
    problems.errors.sort(key=lambda e: where.get(re.split(r"[.\[ ]", e.field, maxsplit=1)[0], -1))
    problems.raise_if_any()
    assert failover is not None and probes is not None and slo is not None and prices is not None
    return AppConfig(
        path=path,
        regions=regions,
        failover=failover,
        probes=probes,
        slo=slo,
        prices=prices,
        database=Path(str(db)),
        monitor=monitor,
        alerts=alerts,
        otel=otel,
    )


def warnings(config: AppConfig) -> list[str]:
    """What a valid config will not do although it seems to: each probe kind whose model no region
    deploys (its probe never runs), one line each naming the setting and the fix."""
    lines = []
    deployed = {model for r in config.regions for model in r.models}
    for kind in config.probes.kinds:
        setting = REGISTRY[kind].model_setting
        model = getattr(config.probes, setting)
        if model not in deployed:
            lines.append(
                f"{config.path}: probes.kinds: {kind} probes model {model!r} (probes.{setting}), which no region "
                f'deploys, so it never runs; add {model} = "<deployment>" to a [regions.deployments] table, '
                f"set probes.{setting}, or drop {kind} from probes.kinds"
            )
    return lines


def _table(raw: Any, path: Path, name: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(path, name, f"must be a table: [{name}]")
    return raw


def _probes(raw: Any, path: Path) -> ProbeSettings:
    raw = _table(raw, path, "probes")
    problems = Problems()
    valid = ("kinds", "every_s", "timeout_s", "max_tokens", "prober", "chat_model", "embedding_model", "realtime_model")
    for key in raw:
        if key not in valid:
            problems.add(ConfigError(path, f"probes.{key}", unknown_key(key, valid)))
    kinds = raw.get("kinds", list(ProbeSettings().kinds))
    values: dict[str, Any] = {}
    if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
        typos = [k for k in kinds if isinstance(k, str) and k not in KINDS] if isinstance(kinds, list) else []
        close = nearest(typos[0], KINDS) if len(typos) == 1 else None
        hint = f" (did you mean {close}?)" if close else ""
        problems.add(
            ConfigError(
                path,
                "probes.kinds",
                f"must be a non-empty list drawn from {', '.join(KINDS)}; got {kinds!r}{hint}",
            )
        )
    else:
        values["kinds"] = tuple(dict.fromkeys(kinds))
    for key, minimum in {"every_s": 1.0, "timeout_s": 0.1}.items():
        values.update(problems.attempt(seconds_fields, raw, "probes", {key: minimum}, path) or {})
    if "max_tokens" in raw:
        max_tokens = problems.attempt(check_number, raw["max_tokens"], path, "probes.max_tokens", 1, 4096, whole=True)
        if max_tokens is not None:
            values["max_tokens"] = max_tokens
    for key in ("prober", "chat_model", "embedding_model", "realtime_model"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key].strip():
                problems.add(ConfigError(path, f"probes.{key}", "must be a non-empty string"))
            else:
                values[key] = raw[key]
    problems.raise_if_any()
    return ProbeSettings(**values)


def _slo(raw: Any, path: Path) -> SloTargets:
    raw = _table(raw, path, "slo")
    problems = Problems()
    for key in raw:
        if key not in ("availability", "latency"):
            listing = "valid: [slo.availability], [slo.latency]"
            problems.add(
                ConfigError(path, f"slo.{key}", unknown_key(key, ("availability", "latency"), "objective", listing))
            )
    availability = problems.attempt(_table, raw.get("availability", {}), path, "slo.availability") or {}
    latency = problems.attempt(_table, raw.get("latency", {}), path, "slo.latency") or {}
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
        valid = ("target", "window", "budgeting") + (("threshold_s",) if name == "latency" else ())
        for key in table:
            if key not in valid:
                problems.add(
                    ConfigError(
                        path, f"slo.{name}.{key}", unknown_key(key, valid, listing=f"valid: {', '.join(valid)}")
                    )
                )
        if table.get("budgeting", "Occurrences") != "Occurrences":
            problems.add(
                ConfigError(path, f"slo.{name}.budgeting", 'only "Occurrences" is supported (probes are events)')
            )
    threshold = problems.attempt(
        check_number,
        latency.get("threshold_s", defaults.latency_threshold_s),
        path,
        "slo.latency.threshold_s",
        0,
        DAY_S,
        above=True,
        unit="seconds",
    )
    targets = {
        name: problems.attempt(ratio, table, name, default)
        for table, name, default in (
            (availability, "availability", defaults.availability_target),
            (latency, "latency", defaults.latency_target),
        )
    }
    windows = [
        problems.attempt(window, table, name) for table, name in ((availability, "availability"), (latency, "latency"))
    ]
    if None not in windows and len(set(windows)) != 1:
        problems.add(ConfigError(path, "slo.latency.window", "both objectives must use the same window"))
    problems.raise_if_any()
    assert threshold is not None and windows[0] is not None
    return SloTargets(
        availability_target=targets["availability"] or defaults.availability_target,
        latency_threshold_s=threshold,
        latency_target=targets["latency"] or defaults.latency_target,
        window_days=windows[0],
    )
