"""The fault mechanism: what a fault is, the wrapper that scopes it, and the set of active faults.

A fault is a small class registered by name (one module each, like toxiproxy's toxics). It sees one
request through `RequestContext` and either lets it through (returns None, perhaps after a delay),
answers in its place (returns a `Reply`), or breaks the connection (raises `ResetConnection` or
`BlackHole`). Everything every fault shares (scope, start, duration, probability, expiry) lives on
`ActiveFault`, not in the faults.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

REGISTRY: dict[str, type[Fault]] = {}


class FaultParamError(ValueError):
    """Parameters of a fault request are invalid; the message says which and what is valid."""


class ResetConnection(Exception):
    """Raised by a fault: answer this request with a TCP reset."""


class BlackHole(Exception):
    """Raised by a fault: accept the request and never answer it."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A response a fault sends instead of the real one. `body` is JSON-ready data, str or bytes."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Effects:
    """What faults change about an answer instead of replacing it. Faults write these fields; the
    simulator's handlers (and the proxy, for the stream fields) read them. Every default means "no
    change", so a request no fault touched is answered as normal.

    - `chunk_delay_s` (slow_stream): seconds added between a stream's content chunks; >= 0.
    - `stop_after_chunks` (slow_stream): cut the connection after this many content chunks (no
      finish, no usage); None lets the stream finish.
    - `stall_after_events` (stream_stall): after this many stream events (SSE `data:` events, or
      realtime server events) send nothing for `stall_s` seconds, then close the connection
      without a finish; None lets the stream run.
    - `model_version` (model_version): the `model` answers report instead of the deployment's;
      never empty when set; None keeps the deployment's.
    - `ws_drop_after_s` (ws_drop): reset a realtime socket this many seconds after it opens; None
      keeps it open.
    - `ws_jitter_s` (ws_drop): a random pause of up to this many seconds before each realtime
      server event; >= 0.
    - `completion_filter` (content_filter on the completion): `(category, severity)` the output
      filter flags, e.g. `("violence", "medium")`: the answer is a 200 whose text stops early with
      `finish_reason` "content_filter" (chat) or an incomplete response (Responses), its filter
      results flagging that category; None lets the answer through.
    """

    chunk_delay_s: float = 0.0
    stop_after_chunks: int | None = None
    stall_after_events: int | None = None
    stall_s: float = 0.0
    model_version: str | None = None
    ws_drop_after_s: float | None = None
    ws_jitter_s: float = 0.0
    completion_filter: tuple[str, str] | None = None


@dataclass(slots=True)
class RequestContext:
    """One request as a fault sees it. `now` is the simulator's clock; `sleep` its sleep.

    `effects` is shared by both fault stages of one request and read by whatever answers it: a
    fault that changes the answer rather than replacing it writes there (see `Effects`)."""

    region: str
    deployment: str | None
    model: str | None
    path: str
    request_id: str
    now: float
    sleep: Callable[[float], Awaitable[None]]
    method: str = "POST"
    body: Any = None  # the parsed JSON body, when there is one
    effects: Effects = field(default_factory=Effects)
    stored_age_s: Callable[[str], float | None] = lambda _id: None  # seconds since a response was stored


def register(cls: type[Fault]) -> type[Fault]:
    REGISTRY[cls.name] = cls
    return cls


def is_finite_number(value: Any) -> bool:
    """An int or float that is neither NaN nor infinite (bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    """A refused value as the caller wrote it in JSON (null, not None)."""
    return "null" if value is None else repr(value)


class Params:
    """Typed reads of a fault's `params`, each failure a `FaultParamError` naming the field."""

    def __init__(self, fault: str, raw: Mapping[str, Any] | None) -> None:
        if raw is not None and not isinstance(raw, Mapping):
            raise FaultParamError(f"{fault}: params must be an object")
        self.fault = fault
        self.raw = dict(raw or {})
        self._read: set[str] = set()

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        minimum: float = 0.0,
        maximum: float = math.inf,
        required: bool = False,
    ) -> float | None:
        """The number under `key` (`default` when the key is absent), finite and within bounds.
        A key given as JSON null is refused like any other non-number: null is not "absent", and
        a fault must never carry None to request time."""
        self._read.add(key)
        if key not in self.raw:
            if default is None and required:
                raise FaultParamError(f"{self.fault}: params.{key} is required")
            return default
        value = self.raw[key]
        if not is_finite_number(value) or not minimum <= value <= maximum:
            bounds = f"between {minimum:g} and {maximum:g}" if maximum != math.inf else f">= {minimum:g}"
            raise FaultParamError(f"{self.fault}: params.{key} must be a number {bounds}; got {_shown(value)}")
        return value

    def integer(
        self,
        key: str,
        default: int | None = None,
        *,
        minimum: int = 0,
        maximum: int | float = math.inf,
        required: bool = False,
    ) -> int | None:
        value = self.number(key, default, minimum=minimum, maximum=maximum, required=required)
        if value is not None and value != int(value):
            raise FaultParamError(f"{self.fault}: params.{key} must be a whole number; got {value!r}")
        return None if value is None else int(value)

    def flag(self, key: str, default: bool = False) -> bool:
        self._read.add(key)
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise FaultParamError(f"{self.fault}: params.{key} must be true or false; got {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        self._read.add(key)
        value = self.raw.get(key, default)
        if value not in options:
            raise FaultParamError(f"{self.fault}: params.{key} must be one of {', '.join(options)}; got {value!r}")
        return value

    def done(self) -> None:
        """Refuse keys no read asked for: a typo must not silently become a default."""
        unknown = sorted(set(self.raw) - self._read)
        if unknown:
            valid = ", ".join(sorted(self._read)) or "none"
            raise FaultParamError(f"{self.fault}: unknown params {', '.join(unknown)}; valid: {valid}")


class Fault:
    """Base of every fault. Subclasses set `name`, parse params in `__init__`, implement `intercept`.

    `stage` says when it runs: "before_auth" (gateway-level trouble: outages, throttling) or
    "after_auth" (needs an authenticated caller, e.g. a role that has not propagated).
    `region_wide` faults act on the region's listener, not on requests (refused connections).
    """

    name: ClassVar[str]
    stage: ClassVar[str] = "before_auth"
    region_wide: ClassVar[bool] = False

    def __init__(self, params: Mapping[str, Any] | None) -> None:
        Params(self.name, params).done()

    def implied_duration_s(self) -> float | None:
        """A duration the params imply when the request gave none (rbac_propagation's `seconds`)."""
        return None

    def needs_simulator(self) -> str | None:
        """Why this fault cannot act behind the chaos proxy, which forwards the upstream's answers
        untouched (a fault that rewrites an answer's body needs the simulator to build it), or None
        when it can. A region that forwards refuses a fault that says why."""
        return None

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        return None

    def describe(self) -> dict[str, Any]:
        return {}


@dataclass
class ActiveFault:
    """A fault in force: its scope, timing and odds, applied the same way to every fault."""

    id: str
    fault: Fault
    region: str
    deployment: str | None
    probability: float
    started_at: float  # simulator clock
    started_wall: float  # epoch seconds, for the record
    duration_s: float | None
    rng: random.Random
    params: Mapping[str, Any]
    hits: int = 0

    @property
    def expires_at(self) -> float:
        return math.inf if self.duration_s is None else self.started_at + self.duration_s

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.expires_at - now)

    def matches(self, deployment: str | None) -> bool:
        return self.deployment is None or self.deployment == deployment

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.fault.name,
            "region": self.region,
            "deployment": self.deployment,
            "params": dict(self.params),
            "probability": self.probability,
            "duration_s": self.duration_s,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_wall)),
            "remaining_s": None if self.duration_s is None else round(self.remaining_s(now), 3),
            "hits": self.hits,
        }


class FaultSet:
    """The faults in force, per region. Cheap when empty: the hot path is one dict lookup."""

    def __init__(self, clock: Callable[[], float], seed: int | None = None) -> None:
        self._clock = clock
        self._by_region: dict[str, list[ActiveFault]] = {}
        self._ids = itertools.count(1)
        self._seed = seed

    @staticmethod
    def check(
        fault_name: str,
        params: Mapping[str, Any] | None = None,
        deployment: str | None = None,
        duration_s: float | None = None,
        probability: float = 1.0,
    ) -> Fault:
        """The fault `add` would put in force, built but not added: FaultParamError says what is
        wrong. A drill asks this of every fault before its load starts."""
        cls = REGISTRY.get(fault_name)
        if cls is None:
            # "kind" as the control API's field calls it: the words a caller sees stay the same
            raise FaultParamError(f"unknown fault kind {fault_name!r}; known kinds: {', '.join(sorted(REGISTRY))}")
        if not is_finite_number(probability) or not 0 < probability <= 1:
            raise FaultParamError(f"probability must be a number in (0, 1]; got {_shown(probability)}")
        # finite: an infinite duration is "until cleared", which is spelled by omitting it
        if duration_s is not None and (not is_finite_number(duration_s) or duration_s <= 0):
            raise FaultParamError(
                f"duration_s must be a positive, finite number of seconds (omit it: until cleared); got {duration_s!r}"
            )
        if cls.region_wide and (deployment is not None or probability != 1):
            raise FaultParamError(f"{fault_name} acts on a whole region's listener: omit deployment and probability")
        return cls(params)

    def add(
        self,
        fault_name: str,
        region: str,
        params: Mapping[str, Any] | None = None,
        deployment: str | None = None,
        duration_s: float | None = None,
        probability: float = 1.0,
    ) -> ActiveFault:
        """Put the fault registered as `fault_name` in force; FaultParamError says what is wrong."""
        fault = self.check(fault_name, params, deployment, duration_s, probability)
        if duration_s is None:
            duration_s = fault.implied_duration_s()
        number = next(self._ids)
        rng = random.Random(None if self._seed is None else self._seed * 1_000_003 + number)
        active = ActiveFault(
            id=f"f{number}",
            fault=fault,
            region=region,
            deployment=deployment,
            probability=float(probability),
            started_at=self._clock(),
            started_wall=time.time(),
            duration_s=duration_s,
            rng=rng,
            params=dict(params or {}),
        )
        self._by_region.setdefault(region, []).append(active)
        return active

    def clear(self, fault_id: str) -> ActiveFault | None:
        """Remove one fault; None when it was not (or no longer) there. Idempotent."""
        for faults in self._by_region.values():
            for f in faults:
                if f.id == fault_id:
                    faults.remove(f)
                    return f
        return None

    def reset(self) -> None:
        self._by_region.clear()

    def active(self) -> list[ActiveFault]:
        self._prune()
        return [f for faults in self._by_region.values() for f in faults]

    def region_wide(self, region: str) -> list[ActiveFault]:
        self._prune()
        return [f for f in self._by_region.get(region, ()) if f.fault.region_wide]

    def has_faults(self, region: str) -> bool:
        """Whether any fault (even an expired one not yet pruned) is set on the region."""
        return bool(self._by_region.get(region))

    def firing(self, region: str, deployment: str | None, stage: str) -> list[ActiveFault]:
        """The faults that act on this request: in scope, not expired, and won their dice roll."""
        faults = self._by_region.get(region)
        if not faults:
            return []
        now = self._clock()
        chosen = []
        for f in list(faults):
            if f.expires_at <= now:
                faults.remove(f)
                continue
            if f.fault.stage != stage or f.fault.region_wide or not f.matches(deployment):
                continue
            if f.probability >= 1 or f.rng.random() < f.probability:
                f.hits += 1
                chosen.append(f)
        return chosen

    def _prune(self) -> None:
        now = self._clock()
        for faults in self._by_region.values():
            faults[:] = [f for f in faults if f.expires_at > now]
