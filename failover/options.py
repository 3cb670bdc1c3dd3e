"""The failover client's options: the same names in code (`FailoverClient(**options)`) and in the
config file's `[failover]` table, validated once, with the defaults below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .config import DAY_S, ConfigError, Problems, number_problem, unknown_key

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FailoverOptions",
    "InvalidOption",
    "options_from_table",
    "parse_failover_options",
]

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # failover.guard: the largest decoded body accepted

# How each option is checked (failover.config.number_problem): times are seconds > 0 up to a day.
_SECONDS: dict[str, Any] = {"low": 0, "high": DAY_S, "above": True, "unit": "seconds"}
_RULES: dict[str, dict[str, Any]] = {
    "breaker_failures": {"low": 1, "high": 1_000_000, "whole": True},
    "breaker_min_calls": {"low": 1, "high": 1_000_000, "whole": True},
    "conversations_kept": {"low": 1, "high": 10_000_000, "whole": True},
    "max_response_bytes": {"low": 1024, "high": 2**31, "whole": True},  # 1 KiB to 2 GiB
    "breaker_failure_ratio": {"low": 0, "high": 1, "above": True},
    "backoff_base_s": {**_SECONDS, "above": False},  # 0: retry the same region at once
}


class InvalidOption(ValueError):
    """A failover option is invalid: `options` names it (first) and any other it conflicts with,
    `problem` says what would be valid."""

    def __init__(self, options: tuple[str, ...], problem: str) -> None:
        self.options, self.problem = options, problem
        super().__init__(f"{options[0]} {problem}")


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
    stream_idle_timeout_s: float = 30.0  # longest gap between two stream events (and headers -> first)

    def __post_init__(self) -> None:
        """Every option a finite number in its range (see `_RULES`; `hedge_after_s` may be None),
        else `InvalidOption`: the same rule for code, config files and drill files."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "hedge_after_s" and value is None:
                continue
            problem = number_problem(value, **_RULES.get(f.name, _SECONDS))
            if problem is not None:
                raise InvalidOption((f.name,), problem)
        if self.backoff_max_s < self.backoff_base_s:
            raise InvalidOption(
                ("backoff_max_s", "backoff_base_s"),
                f"must be >= backoff_base_s ({self.backoff_base_s:g}); got {self.backoff_max_s:g}",
            )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def replace(self, **overrides: Any) -> FailoverOptions:
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise TypeError(f"unknown failover option(s) {', '.join(unknown)}; valid: {', '.join(self.names())}")
        return FailoverOptions(**{**{n: getattr(self, n) for n in self.names()}, **overrides})


def parse_failover_options(doc: Mapping[str, Any], path: str | Path) -> FailoverOptions:
    """The optional `[failover]` table; every error names the file and the key, and every option
    with a problem is reported (`ConfigErrors` for several)."""
    raw = doc.get("failover", {})
    if not isinstance(raw, dict):
        raise ConfigError(path, "failover", "must be a table: [failover]")
    problems = Problems()
    names = FailoverOptions.names()
    for key in raw:
        if key not in names:
            problems.add(
                ConfigError(path, f"failover.{key}", unknown_key(key, names, "option", f"valid: {', '.join(names)}"))
            )
    known = {key: value for key, value in raw.items() if key in names}
    for key, value in known.items():  # each option's own range first, so every bad one is named
        problem = (
            None if key == "hedge_after_s" and value is None else number_problem(value, **_RULES.get(key, _SECONDS))
        )
        if problem is not None:
            problems.add(ConfigError(path, f"failover.{key}", problem))
    problems.raise_if_any()
    return options_from_table(known, path, "failover")  # then together: options that conflict


def options_from_table(raw: Mapping[str, Any], path: str | Path, table: str) -> FailoverOptions:
    """`FailoverOptions()` with the options of `raw` (known names only) on top, checked by the very
    rules the client applies; an invalid one is a `ConfigError` naming `table.<option>`: the option
    the file gave, or the first the file gave of two that conflict."""
    try:
        return FailoverOptions().replace(**raw)
    except InvalidOption as exc:
        given = [name for name in exc.options if name in raw]
        field = f"{table}.{given[0]}" if given else table
        problem = exc.problem if given and given[0] == exc.options[0] else str(exc)
        raise ConfigError(path, field, problem) from None
