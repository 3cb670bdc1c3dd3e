"""The failover client's options: the same names in code (`FailoverClient(**options)`) and in the
config file's `[failover]` table, validated once, with the defaults below."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .config import ConfigError
from .guard import DEFAULT_MAX_RESPONSE_BYTES

__all__ = ["FailoverOptions", "parse_failover_options"]


@dataclass(frozen=True)
class FailoverOptions:
    """Times are seconds (ints or floats). `hedge_after_s` None turns hedging off."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    deadline_s: float = 60.0  # per call, every attempt and wait included
    breaker_failures: int = 3  # consecutive failures that open a region's breaker
    breaker_open_s: float = 30.0  # how long a breaker stays open before one trial request
    breaker_failure_ratio: float = 0.5  # ...or this share of failures over the window
    breaker_window_s: float = 60.0
    breaker_min_calls: int = 10  # the ratio only counts once the window holds this many calls
    max_retry_after_s: float = 300.0  # cap on how long a Retry-After may open a breaker
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    hedge_after_s: float | None = None
    credential_timeout_s: float = 10.0  # bound on one Entra token request
    conversations_kept: int = 10_000  # Responses conversations remembered for replay (oldest dropped)
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # largest decoded body accepted (32 MiB)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "hedge_after_s" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
                raise ValueError(f"{f.name} must be a number; got {value!r}")
            if f.name in ("breaker_failures", "breaker_min_calls", "conversations_kept", "max_response_bytes"):
                if value != int(value) or value < 1:
                    raise ValueError(f"{f.name} must be a whole number >= 1; got {value!r}")
            elif f.name == "breaker_failure_ratio":
                if not 0 < value <= 1:
                    raise ValueError(f"{f.name} must be in (0, 1]; got {value!r}")
            elif value <= 0 and not (f.name == "backoff_base_s" and value == 0):
                raise ValueError(f"{f.name} must be > 0 seconds; got {value!r}")
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be >= backoff_base_s")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def replace(self, **overrides: Any) -> FailoverOptions:
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise TypeError(f"unknown failover option(s) {', '.join(unknown)}; valid: {', '.join(self.names())}")
        return FailoverOptions(**{**{n: getattr(self, n) for n in self.names()}, **overrides})


def parse_failover_options(doc: Mapping[str, Any], path: str | Path) -> FailoverOptions:
    """The optional `[failover]` table; every error names the file and the key."""
    raw = doc.get("failover", {})
    if not isinstance(raw, dict):
        raise ConfigError(path, "failover", "must be a table: [failover]")
    for key in raw:
        if key not in FailoverOptions.names():
            raise ConfigError(path, f"failover.{key}", f"unknown option; valid: {', '.join(FailoverOptions.names())}")
    try:
        return FailoverOptions().replace(**raw)
    except ValueError as exc:
        key = str(exc).split(" ", 1)[0]
        raise ConfigError(path, f"failover.{key}" if key in raw else "failover", str(exc)) from None
