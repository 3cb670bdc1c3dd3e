"""What the failover client reports: one `AttemptEvent` per attempt, one `BreakerEvent` per breaker
change. Pass `on_event=callable` to the client; drills and probes record these."""

from __future__ import annotations

from dataclasses import dataclass

from .config import STANDARD
from .outcomes import Outcome

__all__ = ["AttemptEvent", "BreakerEvent", "Event"]

# decisions taken after an attempt
RETURN, RAISE, FAIL_OVER, RETRY, REPLAY, GIVE_UP = "return", "raise", "fail_over", "retry", "replay", "give_up"


@dataclass(frozen=True)
class AttemptEvent:
    """One request sent to one region, and what the client decided next."""

    call_id: int
    attempt: int  # 1 for the first attempt of a call
    operation: str  # "chat.completions", "responses", "embeddings"
    region: str
    deployment: str
    outcome: Outcome  # ok, or how the attempt failed
    status: int | None
    latency_ms: float
    decision: str  # return, raise, fail_over, retry, replay, give_up
    detail: str = ""  # a short, secret-free summary of the failure
    hedged: bool = False  # sent while an earlier attempt was still waiting
    tier: str = STANDARD  # the deployment's tier: "provisioned" (PTU) or "standard"


@dataclass(frozen=True)
class BreakerEvent:
    """A breaker changed state: a region's standard breaker (`tier` "standard", `deployment` None)
    or one provisioned deployment's (`tier` "provisioned", `deployment` its name)."""

    region: str
    old_state: str
    new_state: str  # closed, open, half_open
    reason: str | None
    open_for_s: float  # how long it stays open (0 unless new_state is open)
    tier: str = STANDARD
    deployment: str | None = None


Event = AttemptEvent | BreakerEvent
