"""One probe attempt, one row: `ProbeResult` (its outcome is a word of failover.outcomes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from ..failover.config import STANDARD
from ..failover.outcomes import Outcome

__all__ = ["COMPOSITE", "MAX_TEXT_CHARS", "ProbeResult", "is_composite"]

MAX_TEXT_CHARS = 500  # the longest text column a server can fill (error text, model version, request id)
_SERVER_TEXT = ("model_version", "request_id", "served_by", "error")

# The failover composite: the probe kind that calls through the bundled failover client, and the
# region its rows carry (the number the 99.9% promise is about; the real regions explain it).
COMPOSITE = "failover"


def is_composite(name: str | None) -> bool:
    """True for the failover composite's kind or region name."""
    return name == COMPOSITE


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC


@dataclass
class ProbeResult:
    """Everything one attempt measured. Times in milliseconds, cost in USD, `ts` naive UTC (start)."""

    region: str
    deployment: str | None
    kind: str
    outcome: Outcome = Outcome.OK
    tier: str | None = STANDARD  # the deployment's: "provisioned" (PTU) or "standard"; None: the composite failed
    ts: datetime = field(default_factory=_now)
    prober: str = ""
    model: str | None = None  # the model asked for (config), which prices use
    model_version: str | None = None  # the model the response reported
    served_by: str | None = None  # the failover probe: the region that answered
    status_code: int | None = None
    latency_ms: float | None = None  # to the last byte
    ttft_ms: float | None = None  # to the first content token
    connect_ms: float | None = None  # realtime: to session.created
    tokens_per_s: float | None = None
    max_gap_ms: float | None = None  # stream probes: the longest wait between two stream events
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    retry_after_s: float | None = None
    ratelimit_remaining_requests: int | None = None
    ratelimit_remaining_tokens: int | None = None
    utilization_pct: float | None = None  # azure-openai-deployment-utilization, when the answer had it
    request_id: str | None = None  # apim-request-id: joins Azure's own logs
    error: str | None = None  # failures only, secrets removed
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def mask_text(self, redact: Callable[[str], str]) -> None:
        """Mask secrets in, and bound, every text the server could have put in this row (model
        version, request id, error text): a server that echoes a key or sends 5 MB of "version"
        must not get either into the database."""
        for name in _SERVER_TEXT:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, redact(value)[:MAX_TEXT_CHARS])

    def as_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
