"""Expectations checked as pure functions over what a drill recorded: the calls the load made
(client side) and the requests each region answered (server side, from the simulator's log)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Drill, Expectation, Step

__all__ = ["CallRecord", "ExpectationResult", "ServerRecord", "check", "check_all"]


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """One logical call the load made. Times are seconds from the start of the load. Keyword-only:
    ten fields, several of one type, are too easy to pass in the wrong order."""

    call_id: str
    started_s: float
    latency_s: float
    ok: bool
    shape: str = "chat"
    region: str | None = None  # the region that answered, when known
    error: str | None = None
    tokens: int = 0
    requests: int = 1  # requests the call is made of when nothing is retried (the tools shape: 2)
    conversation: int | None = None  # responses: which conversation, and which turn
    turn: int | None = None
    corrupted_tool_call: bool = False  # a tool call came back whose arguments its schema refuses
    tier: str | None = None  # "provisioned" or "standard": the deployment that answered, when known


@dataclass(frozen=True)
class ServerRecord:
    """One answer a region gave (status 0: the connection was cut)."""

    t_s: float
    region: str
    status: int
    call_id: str | None
    deployment: str | None = None  # the deployment the request named


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    passed: bool
    measured: float | None
    detail: str = ""

    def describe(self) -> str:
        measured = "n/a" if self.measured is None else ("inf" if math.isinf(self.measured) else f"{self.measured:.4g}")
        return f"{self.expectation.describe()}: measured {measured}" + (f" ({self.detail})" if self.detail else "")


def _in_slice(call: CallRecord, e: Expectation) -> bool:
    return (e.from_s is None or call.started_s >= e.from_s) and (e.to_s is None or call.started_s < e.to_s)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _allowance(drill: Drill, step: Step) -> int:
    """Requests a good client may still send to a region that went down: enough failures to open its
    breaker, what was already in flight, and one trial per breaker_open_s."""
    client = drill.client
    failures = int(client.get("breaker_failures", 3))
    open_s = client.get("breaker_open_s", 30.0)
    read_s = client.get("read_timeout_s", 30.0)
    in_flight = drill.load.concurrency or math.ceil((drill.load.rate_per_s or 1) * read_s) + 1
    window = min(step.end_s, drill.load.duration_s) - step.at_s
    return failures + in_flight + math.ceil(max(0.0, window) / open_s)


def check(
    e: Expectation, drill: Drill, calls: Sequence[CallRecord], served: Sequence[ServerRecord]
) -> ExpectationResult:
    sliced = [c for c in calls if _in_slice(c, e)]
    measured: float | None
    detail = ""
    if e.metric == "success_ratio":
        measured = sum(c.ok for c in sliced) / len(sliced) if sliced else None
        detail = f"{sum(c.ok for c in sliced)} of {len(sliced)} calls"
    elif e.metric in ("p95_latency_s", "p99_latency_s"):
        q = 0.95 if e.metric == "p95_latency_s" else 0.99
        measured = percentile([c.latency_s for c in sliced], q) if sliced else None
        detail = f"over {len(sliced)} calls"
    elif e.metric == "failover_time_s":
        times = []
        for step in drill.timeline:
            done = [
                c.started_s + c.latency_s - step.at_s
                for c in calls
                if c.ok and c.region is not None and c.region != step.region and c.started_s + c.latency_s >= step.at_s
            ]
            times.append(min(done) if done else math.inf)
        measured = max(times) if times else None
        detail = "worst fault" if len(times) > 1 else ""
    elif e.metric == "attempts_while_down":
        excess = []
        for step in drill.timeline:
            sent = sum(1 for s in served if s.region == step.region and step.at_s <= s.t_s < step.end_s)
            excess.append(max(0, sent - _allowance(drill, step)))
        measured = float(max(excess)) if excess else 0.0
        detail = "requests beyond what a breaker needs to notice"
    elif e.metric == "retries_per_call":
        per_call = Counter(s.call_id for s in served if s.call_id is not None)
        wanted = {c.call_id: c.requests for c in sliced}
        counts = [n - wanted[call_id] for call_id, n in per_call.items() if call_id in wanted]
        measured = float(max(counts)) if counts else 0.0
        detail = "server-side attempts per call, minus the requests the call is made of"
    elif e.metric == "over_deadline":
        deadline = drill.client.get("deadline_s", 60.0) + 0.5
        measured = float(sum(1 for c in sliced if c.latency_s > deadline))
        detail = f"calls over {deadline:g} s"
    elif e.metric == "tokens":
        measured = float(sum(c.tokens for c in sliced))
    elif e.metric == "corrupted_tool_calls":
        measured = float(sum(c.corrupted_tool_call for c in sliced))
        detail = f"of {len(sliced)} calls"
    elif e.metric == "provisioned_share":
        known = [c for c in sliced if c.ok and c.tier is not None]
        measured = sum(c.tier == "provisioned" for c in known) / len(known) if known else None
        detail = f"{sum(c.tier == 'provisioned' for c in known)} of {len(known)} successful calls"
    elif e.metric == "continuity":
        turns = [c for c in sliced if c.conversation is not None]
        measured = sum(c.ok for c in turns) / len(turns) if turns else None
        detail = f"{sum(c.ok for c in turns)} of {len(turns)} turns"
    else:  # pragma: no cover - the model only admits METRICS
        raise ValueError(e.metric)
    if measured is None:
        return ExpectationResult(e, False, None, "no calls to measure")
    passed = measured >= e.bound if e.direction == "min" else measured <= e.bound
    return ExpectationResult(e, passed, measured, detail)


def check_all(drill: Drill, calls: Sequence[CallRecord], served: Sequence[ServerRecord]) -> list[ExpectationResult]:
    return [check(e, drill, calls, served) for e in drill.expectations]
