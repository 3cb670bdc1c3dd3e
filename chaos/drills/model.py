"""Drill files (`data/drills/*.toml`) as typed, frozen data, validated at load.

    title = "East US 2 outage"
    description = "..."
    regions = ["eastus2", "swedencentral"]        # simulated regions, by priority (default these two)

    [load]
    shape = "chat"            # chat | stream | responses | realtime | mixed | tools | stream_tools | structured
    concurrency = 4           # workers sending back to back ... or: rate_per_s = 20
    duration_s = 8
    turns = 3                 # responses: turns per conversation

    [client]                  # failover options for the client under test (seconds: drills are fast)
    read_timeout_s = 1
    deadline_s = 4

    [simulator]               # the embedded simulator's deployments (optional)
    provisioned = ["eastus2"] # these regions also get a PTU deployment of load.model, tried first
    capacity_tpm = 6000       # its throughput (tokens per minute); past it, 429 with retry-after-ms
    spillover = false         # true: the simulator serves its overage itself (spilloverDeploymentName)

    [[timeline]]
    at_s = 1                  # offset from the start of the load
    fault = "http_error"      # any simulator fault (GET /kinds lists them)
    region = "eastus2"
    params = { status = 503 }
    duration_s = 2            # omit: until the drill ends
    # deployment = "gpt-4o"; probability = 0.5

    [[expect]]
    metric = "success_ratio"  # see METRICS
    min = 0.99
    # from_s / to_s: only calls that started in this slice

Every problem is a `DrillError` naming the file, the field and the fix, in one line. Numbers are
checked by the project's one number rule (`failover.config.check_number`: finite, in range; times
at most a day) and `[client]` by the failover client's own (`FailoverOptions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...failover.config import DAY_S, ConfigError, check_number, load_toml
from ...failover.options import options_from_table
from ..faults import REGISTRY
from ..simulator.model import DEFAULT_CAPACITY_TPM

__all__ = [
    "METRICS",
    "SHAPES",
    "Drill",
    "DrillError",
    "Expectation",
    "Load",
    "SimulatorSetup",
    "Step",
    "load_drill",
    "load_drills",
]

SHAPES = ("chat", "stream", "responses", "realtime", "mixed", "tools", "stream_tools", "structured")
# metric -> (bound it takes, what it measures)
METRICS: dict[str, tuple[str, str]] = {
    "success_ratio": ("min", "share of calls that succeeded"),
    "p95_latency_s": ("max", "95th percentile call latency, seconds"),
    "p99_latency_s": ("max", "99th percentile call latency, seconds"),
    "failover_time_s": ("max", "from each fault's start to the first success served by another region"),
    "attempts_while_down": (
        "max",
        "requests sent to a faulty region beyond what a breaker needs to notice "
        "(breaker_failures, then one trial per breaker_open_s)",
    ),
    "retries_per_call": ("max", "most extra attempts (server-side) any one call made"),
    "over_deadline": ("max", "calls that took longer than the client's deadline_s (+0.5 s)"),
    "tokens": ("max", "tokens spent over the run"),
    "continuity": ("min", "responses: share of conversation turns that succeeded with their history"),
    "provisioned_share": ("min", "share of the successful calls a provisioned (PTU) deployment answered"),
    "corrupted_tool_calls": (
        "max",
        "calls given a tool call whose arguments do not parse or do not match its function's schema",
    ),
}
CLIENT_OPTIONS = (
    "connect_timeout_s",
    "read_timeout_s",
    "deadline_s",
    "breaker_failures",
    "breaker_open_s",
    "max_retry_after_s",
    "backoff_base_s",
    "backoff_max_s",
    "hedge_after_s",
    "stream_idle_timeout_s",
)


class DrillError(ConfigError):
    """A drill file is unreadable or invalid: a `ConfigError` (file, field, fix) about a drill."""


@dataclass(frozen=True)
class Load:
    shape: str
    duration_s: float
    concurrency: int | None = None
    rate_per_s: float | None = None
    turns: int = 3
    model: str = "gpt-4o"


@dataclass(frozen=True)
class Step:
    at_s: float
    fault: str
    region: str
    params: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    deployment: str | None = None
    probability: float = 1.0

    @property
    def end_s(self) -> float:
        return math.inf if self.duration_s is None else self.at_s + self.duration_s


@dataclass(frozen=True)
class Expectation:
    metric: str
    bound: float
    from_s: float | None = None
    to_s: float | None = None

    @property
    def direction(self) -> str:
        """ "min" (passes when measured >= bound) or "max" (when measured <= bound): the drill-file
        key this metric's bound is given under."""
        return METRICS[self.metric][0]

    def describe(self) -> str:
        where = ""
        if self.from_s is not None or self.to_s is not None:
            where = (
                f" for calls started in [{self.from_s or 0:g}, {'end' if self.to_s is None else f'{self.to_s:g}'}) s"
            )
        sign = ">=" if self.direction == "min" else "<="
        return f"{self.metric} {sign} {self.bound:g}{where}"


@dataclass(frozen=True)
class SimulatorSetup:
    """What the embedded simulator serves beyond one standard deployment per model and region:
    a provisioned (PTU) deployment of the load's model in each of `provisioned`."""

    provisioned: tuple[str, ...] = ()
    capacity_tpm: int = DEFAULT_CAPACITY_TPM
    spillover: bool = False


@dataclass(frozen=True)
class Drill:
    path: Path
    name: str  # the file's stem: stable id for reports
    title: str
    description: str
    regions: tuple[str, ...]
    load: Load
    client: dict[str, float]
    timeline: tuple[Step, ...]
    expectations: tuple[Expectation, ...]
    simulator: SimulatorSetup = SimulatorSetup()


def load_drills(paths: list[str | Path]) -> list[Drill]:
    """Files and folders (their *.toml, sorted); every file validated before any runs."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise DrillError(path, "", "no *.toml drill files in this folder")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise DrillError(path, "", "no such file or folder")
    return [load_drill(f) for f in files]


def load_drill(path: str | Path) -> Drill:
    """One drill file, validated whole; any problem is a `DrillError`."""
    path = Path(path)
    try:
        return _drill(load_toml(path, what="drill file (see data/drills/)"), path)
    except DrillError:
        raise
    except ConfigError as exc:  # from the shared readers: the same file, field and fix
        raise DrillError(exc.path, exc.field, exc.problem) from None


def _drill(doc: dict[str, Any], path: Path) -> Drill:
    known = ("title", "description", "regions", "load", "client", "simulator", "timeline", "expect")
    for key in doc:
        if key not in known:
            raise DrillError(path, key, f"unknown key; valid keys are {', '.join(known)}")
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DrillError(path, "title", 'required: a short title, e.g. title = "East US 2 outage"')
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise DrillError(path, "description", 'must be a string, e.g. description = """What this drill proves."""')
    regions = doc.get("regions", ["eastus2", "swedencentral"])
    if (
        not isinstance(regions, list)
        or not regions
        or not all(isinstance(r, str) and r for r in regions)
        or len(set(regions)) != len(regions)
    ):
        raise DrillError(path, "regions", 'must be a list of distinct region names, e.g. ["eastus2", "swedencentral"]')
    load = _load(doc.get("load"), path)
    client = _client(doc.get("client", {}), path)
    simulator = _simulator(doc.get("simulator", {}), path, regions)
    timeline = tuple(_step(raw, i, path, regions, load) for i, raw in enumerate(_tables(doc, "timeline", path)))
    expectations = tuple(_expectation(raw, i, path, load) for i, raw in enumerate(_tables(doc, "expect", path)))
    if not expectations:
        raise DrillError(
            path,
            "expect",
            "a drill needs at least one [[expect]]: a drill that cannot fail proves "
            'nothing (e.g. metric = "success_ratio", min = 0.99)',
        )
    return Drill(
        path,
        path.stem,
        title.strip(),
        description.strip(),
        tuple(regions),
        load,
        client,
        timeline,
        expectations,
        simulator,
    )


def _tables(doc: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise DrillError(path, key, f"must be [[{key}]] tables")
    return raw


def _number(
    raw: dict[str, Any],
    key: str,
    where: str,
    path: Path,
    minimum: float = 0.0,
    required: bool = False,
    integer: bool = False,
    maximum: float = DAY_S,
) -> Any:
    """`raw[key]` checked by the one number rule (seconds unless `integer`), None when absent."""
    value = raw.get(key)
    if value is None:
        if required:
            raise DrillError(path, f"{where}.{key}", "required")
        return None
    unit = "" if integer or not key.endswith("_s") else "seconds"
    return check_number(value, path, f"{where}.{key}", minimum, maximum, whole=integer, unit=unit)


def _load(raw: Any, path: Path) -> Load:
    if not isinstance(raw, dict):
        raise DrillError(path, "load", "required: a [load] table with shape, duration_s and concurrency or rate_per_s")
    valid = ("shape", "duration_s", "concurrency", "rate_per_s", "turns", "model")
    for key in raw:
        if key not in valid:
            raise DrillError(path, f"load.{key}", f"unknown key; valid keys are {', '.join(valid)}")
    shape = raw.get("shape")
    if shape not in SHAPES:
        raise DrillError(path, "load.shape", f"must be one of {', '.join(SHAPES)}; got {shape!r}")
    duration = _number(raw, "duration_s", "load", path, 0.1, required=True)
    concurrency = _number(raw, "concurrency", "load", path, 1, integer=True, maximum=1000)
    rate = _number(raw, "rate_per_s", "load", path, 0.01, maximum=10_000)
    if (concurrency is None) == (rate is None):
        raise DrillError(path, "load", "give exactly one of concurrency (workers back to back) or rate_per_s")
    turns = _number(raw, "turns", "load", path, 1, integer=True, maximum=1000) or 3
    model = raw.get("model", "gpt-4o")
    if not isinstance(model, str) or not model:
        raise DrillError(path, "load.model", "must be a model name")
    return Load(shape, duration, concurrency, rate, turns, model)


def _client(raw: Any, path: Path) -> dict[str, float]:
    """The `[client]` options, checked now by the rules the bundled client applies when it is built
    (`FailoverOptions`: its defaults with these on top), so a bad one exits 2 before anything runs."""
    if not isinstance(raw, dict):
        raise DrillError(path, "client", "must be a [client] table of failover options")
    for key in raw:
        if key not in CLIENT_OPTIONS:
            raise DrillError(path, f"client.{key}", f"unknown option; valid: {', '.join(CLIENT_OPTIONS)}")
    options_from_table(raw, path, "client")
    return {key: int(value) if key == "breaker_failures" else float(value) for key, value in raw.items()}


def _simulator(raw: Any, path: Path, regions: list[str]) -> SimulatorSetup:
    if not isinstance(raw, dict):
        raise DrillError(path, "simulator", 'must be a [simulator] table, e.g. provisioned = ["eastus2"]')
    valid = ("provisioned", "capacity_tpm", "spillover")
    for key in raw:
        if key not in valid:
            raise DrillError(path, f"simulator.{key}", f"unknown key; valid keys are {', '.join(valid)}")
    provisioned = raw.get("provisioned", [])
    if not isinstance(provisioned, list) or not all(r in regions for r in provisioned):
        raise DrillError(
            path,
            "simulator.provisioned",
            f'must be a list of the drill\'s regions ({", ".join(regions)}), e.g. ["{regions[0]}"]',
        )
    capacity = _number(raw, "capacity_tpm", "simulator", path, 1, integer=True, maximum=1e9)
    spillover = raw.get("spillover", False)
    if not isinstance(spillover, bool):
        raise DrillError(path, "simulator.spillover", "must be true or false")
    return SimulatorSetup(tuple(dict.fromkeys(provisioned)), capacity or DEFAULT_CAPACITY_TPM, spillover)


def _step(raw: dict[str, Any], index: int, path: Path, regions: list[str], load: Load) -> Step:
    where = f"timeline[{index}]"
    valid = ("at_s", "fault", "region", "params", "duration_s", "deployment", "probability")
    for key in raw:
        if key not in valid:
            raise DrillError(path, f"{where}.{key}", f"unknown key; valid keys are {', '.join(valid)}")
    at = _number(raw, "at_s", where, path, 0.0, required=True)
    if at >= load.duration_s:
        raise DrillError(path, f"{where}.at_s", f"{at:g} s is after the load ends ({load.duration_s:g} s)")
    fault = raw.get("fault")
    if not isinstance(fault, str) or fault not in REGISTRY:
        raise DrillError(path, f"{where}.fault", f"unknown fault {fault!r}; known: {', '.join(sorted(REGISTRY))}")
    region = raw.get("region")
    if region not in regions:
        raise DrillError(
            path, f"{where}.region", f"must be one of the drill's regions ({', '.join(regions)}); got {region!r}"
        )
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise DrillError(path, f"{where}.params", "must be a table, e.g. params = { status = 503 }")
    try:
        cls = REGISTRY[fault]
        cls(params)  # the fault's own validation, now rather than mid-drill
    except ValueError as exc:
        raise DrillError(path, f"{where}.params", str(exc)) from None
    probability = check_number(raw.get("probability", 1.0), path, f"{where}.probability", 0, 1, above=True)
    deployment = raw.get("deployment")
    if deployment is not None and not isinstance(deployment, str):
        raise DrillError(path, f"{where}.deployment", "must be a deployment name")
    return Step(
        at, fault, region, dict(params), _number(raw, "duration_s", where, path, 0.001), deployment, probability
    )


def _expectation(raw: dict[str, Any], index: int, path: Path, load: Load) -> Expectation:
    where = f"expect[{index}]"
    metric = raw.get("metric")
    if not isinstance(metric, str) or metric not in METRICS:
        raise DrillError(path, f"{where}.metric", f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    bound_key = METRICS[metric][0]
    valid = ("metric", bound_key, "from_s", "to_s")
    for key in raw:
        if key not in valid:
            hint = f" ({metric} takes {bound_key}, not {key})" if key in ("min", "max") else ""
            raise DrillError(path, f"{where}.{key}", f"unknown key; valid keys are {', '.join(valid)}{hint}")
    bound = _number(raw, bound_key, where, path, 0.0, required=True, maximum=DAY_S if metric.endswith("_s") else 1e9)
    if metric in ("success_ratio", "continuity") and bound > 1:
        raise DrillError(path, f"{where}.min", f"a ratio is at most 1 (99% is 0.99); got {bound:g}")
    from_s, to_s = _number(raw, "from_s", where, path), _number(raw, "to_s", where, path)
    if from_s is not None and to_s is not None and to_s <= from_s:
        raise DrillError(path, f"{where}.to_s", "must be after from_s")
    if metric == "continuity" and load.shape not in ("responses", "mixed"):
        raise DrillError(path, f"{where}.metric", 'continuity needs load.shape = "responses" or "mixed"')
    return Expectation(metric, bound, from_s, to_s)
