"""The bundled multi-region failover client for Azure OpenAI.

    from aoai_watch.failover import FailoverClient, AsyncFailoverClient, AllRegionsFailed

This package imports nothing else of aoai-watch, so applications can embed it alone.
"""

from .breaker import BreakerState
from .budget import TokenEstimateWarning, count_tokens, trim_to_budget
from .client import AsyncFailoverClient, FailoverClient
from .config import ConfigError, RegionConfig
from .errors import AllRegionsFailed, RegionFailure
from .events import AttemptEvent, BreakerEvent, Event
from .options import FailoverOptions
from .realtime import RealtimeSession

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
    "TokenEstimateWarning",
    "count_tokens",
    "trim_to_budget",
]
