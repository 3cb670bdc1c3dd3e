"""What a probe kind gets: its target, the settings, a ready SDK client, and the row to fill; what
every kind records the same way (headers, usage, the gaps of a stream)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..failover.config import STANDARD, RegionConfig
from .result import ProbeResult

if TYPE_CHECKING:  # config imports the kinds, which import this module
    from .config import AppConfig

__all__ = ["UTILIZATION_HEADER", "ProbeContext", "Target", "header_value", "record_headers", "utilization_pct"]

# A provisioned (PTU) deployment's answers say how full it is, in percent (docs/wire-notes.md)
UTILIZATION_HEADER = "azure-openai-deployment-utilization"


@dataclass(frozen=True)
class Target:
    """What one probe measures: region x deployment x kind (the model is what config maps); `tier`
    is the deployment's, "provisioned" or "standard" (failover.config.tiers_for)."""

    region: RegionConfig
    kind: str
    model: str
    deployment: str
    tier: str = STANDARD


@dataclass
class ProbeContext:
    target: Target
    config: AppConfig
    result: ProbeResult
    client: Any  # openai.AsyncOpenAI for the target's region, max_retries=0
    credential: Callable[[], Any]  # async: the region's key or a fresh Entra token
    environ: Any = None
    clock: Callable[[], float] = time.perf_counter
    started: float = field(default=0.0)
    last_event: float | None = None  # when the stream's previous event arrived

    def elapsed_ms(self) -> float:
        return (self.clock() - self.started) * 1000.0

    def stream_event(self) -> None:
        """Note that a stream event arrived: the row's `max_gap_ms` is the longest wait between two
        (the wait for the first is `ttft_ms`'s business, not a gap)."""
        now = self.clock()
        if self.last_event is not None:
            gap_ms = (now - self.last_event) * 1000.0
            self.result.max_gap_ms = max(gap_ms, self.result.max_gap_ms or 0.0)
        self.last_event = now

    @property
    def max_tokens(self) -> int:
        return self.config.probes.max_tokens


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def header_value(headers: Any, name: str) -> str | None:
    """One header's value; the first when a server sent it twice (websockets' `get` raises then)."""
    try:
        value = headers.get(name)
    except Exception:
        values = headers.get_all(name) if hasattr(headers, "get_all") else []
        value = values[0] if values else None
    return value if isinstance(value, str) else None


def utilization_pct(value: str | None) -> float | None:
    """A utilization header's percentage: "57%", "57.3" and " 57 % " read as numbers; anything
    else (empty, "high", NaN, negative, a list) as None. Over 100 is kept: a saturated PTU says so."""
    if value is None:
        return None
    text = value.strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def record_headers(result: ProbeResult, headers: Any) -> None:
    """Copy what Azure's headers tell: request id, the rate-limit counters and a PTU deployment's
    utilization (untrusted, optional: a value that does not parse is no value)."""
    if headers is None:
        return
    result.request_id = (
        header_value(headers, "apim-request-id") or header_value(headers, "x-request-id") or result.request_id
    )
    remaining_requests = _int(header_value(headers, "x-ratelimit-remaining-requests"))
    remaining_tokens = _int(header_value(headers, "x-ratelimit-remaining-tokens"))
    if remaining_requests is not None:
        result.ratelimit_remaining_requests = remaining_requests
    if remaining_tokens is not None:
        result.ratelimit_remaining_tokens = remaining_tokens
    utilization = utilization_pct(header_value(headers, UTILIZATION_HEADER))
    if utilization is not None:
        result.utilization_pct = utilization


def record_usage(result: ProbeResult, usage: Any) -> None:
    """Tokens from a chat/embeddings `usage` (prompt/completion) or a Responses one (input/output)."""
    if usage is None:
        return
    prompt = getattr(usage, "prompt_tokens", None)
    if prompt is None:
        prompt = getattr(usage, "input_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if completion is None:
        completion = getattr(usage, "output_tokens", None)
    details = getattr(usage, "prompt_tokens_details", None) or getattr(usage, "input_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    result.prompt_tokens = (result.prompt_tokens or 0) + (prompt or 0)
    result.completion_tokens = (result.completion_tokens or 0) + (completion or 0)
    if cached is not None:
        result.cached_tokens = (result.cached_tokens or 0) + cached
