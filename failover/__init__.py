"""The bundled multi-region failover client for Azure OpenAI.

    from aoai_watch.failover import FailoverClient, AsyncFailoverClient, AllRegionsFailed

This package imports nothing else of aoai-watch, so applications can embed it alone. Its public
names load on first use (PEP 562), so reading a config file or the outcome words does not import
the openai SDK: the command line starts in half the time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .breaker import BreakerState
    from .budget import TokenEstimateWarning, count_tokens, trim_to_budget
    from .client import AsyncFailoverClient, FailoverClient
    from .config import ConfigError, RegionConfig
    from .errors import AllRegionsFailed, RegionFailure, StreamStalled
    from .events import AttemptEvent, BreakerEvent, Event
    from .options import FailoverOptions
    from .realtime import RealtimeSession

_HOMES = {
    "AllRegionsFailed": "errors",
    "AsyncFailoverClient": "client",
    "AttemptEvent": "events",
    "BreakerEvent": "events",
    "BreakerState": "breaker",
    "ConfigError": "config",
    "Event": "events",
    "FailoverClient": "client",
    "FailoverOptions": "options",
    "RealtimeSession": "realtime",
    "RegionConfig": "config",
    "RegionFailure": "errors",
    "StreamStalled": "errors",
    "TokenEstimateWarning": "budget",
    "count_tokens": "budget",
    "trim_to_budget": "budget",
}
__all__ = [
    "AllRegionsFailed",
    "AsyncFailoverClient",
    "AttemptEvent",
    "BreakerEvent",
    "BreakerState",
    "ConfigError",
    "Event",
    "FailoverClient",
    "FailoverOptions",
    "RealtimeSession",
    "RegionConfig",
    "RegionFailure",
    "StreamStalled",
    "TokenEstimateWarning",
    "count_tokens",
    "trim_to_budget",
]
assert sorted(__all__) == sorted(_HOMES), "every public name has a home module"


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
