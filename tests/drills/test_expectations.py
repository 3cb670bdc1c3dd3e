"""Expectations as pure functions over hand-made records."""

from __future__ import annotations

import math
from pathlib import Path

from aoai_watch.chaos.drills.expectations import CallRecord, ServerRecord, check
from aoai_watch.chaos.drills.model import Drill, Expectation, Load, Step

DRILL = Drill(
    Path("d.toml"),
    "d",
    "d",
    "",
    ("eastus2", "swedencentral"),
    Load("chat", 10, concurrency=1),
    {"breaker_failures": 2, "breaker_open_s": 5, "deadline_s": 2},
    (Step(2.0, "http_error", "eastus2", duration_s=4),),
    (),
)


def call(
    i: int, started: float, ok: bool = True, latency: float = 0.1, region: str | None = "eastus2", tokens: int = 10
) -> CallRecord:
    return CallRecord(call_id=f"c{i}", started_s=started, latency_s=latency, ok=ok, region=region, tokens=tokens)


def test_success_ratio_and_slices() -> None:
    calls = [call(0, 0.5), call(1, 2.1, ok=False), call(2, 2.5, region="swedencentral"), call(3, 7.0)]
    assert check(Expectation("success_ratio", 0.75), DRILL, calls, []).passed
    sliced = check(Expectation("success_ratio", 0.9, from_s=2, to_s=3), DRILL, calls, [])
    assert not sliced.passed and sliced.measured == 0.5
    assert check(Expectation("success_ratio", 0.9, from_s=20), DRILL, calls, []).measured is None


def test_latency_percentiles() -> None:
    calls = [call(i, i * 0.1, latency=0.01 * (i + 1)) for i in range(100)]
    result = check(Expectation("p99_latency_s", 1.0), DRILL, calls, [])
    assert result.passed and math.isclose(result.measured or 0, 0.9901, rel_tol=1e-3)
    assert not check(Expectation("p95_latency_s", 0.5), DRILL, calls, []).passed


def test_failover_time_from_fault_start_to_first_success_elsewhere() -> None:
    calls = [call(0, 2.1, ok=False), call(1, 2.2, region="eastus2"), call(2, 2.5, latency=0.2, region="swedencentral")]
    result = check(Expectation("failover_time_s", 1.0), DRILL, calls, [])
    assert result.passed and math.isclose(result.measured or 0, 0.7)
    assert check(Expectation("failover_time_s", 1.0), DRILL, calls[:2], []).measured == math.inf


def test_attempts_while_down_use_the_server_log_and_an_allowance() -> None:
    # allowance: breaker_failures 2 + concurrency 1 + ceil(4 s / 5 s) = 4 requests
    served = [ServerRecord(2.0 + i * 0.1, "eastus2", 503, None) for i in range(6)]
    served += [ServerRecord(1.0, "eastus2", 200, None), ServerRecord(3.0, "swedencentral", 200, None)]
    result = check(Expectation("attempts_while_down", 0), DRILL, [call(0, 1)], served)
    assert result.measured == 2 and not result.passed
    assert check(Expectation("attempts_while_down", 2), DRILL, [call(0, 1)], served).passed


def test_retries_over_deadline_tokens_and_continuity() -> None:
    calls = [
        call(0, 1, latency=3.0),
        call(1, 2),
        CallRecord(call_id="c2", started_s=3, latency_s=0.1, ok=False, shape="responses", conversation=0, turn=1),
        CallRecord(
            call_id="c3", started_s=3, latency_s=0.1, ok=True, shape="responses", conversation=0, turn=0, tokens=5
        ),
    ]
    served = [
        ServerRecord(1, "eastus2", 503, "c0"),
        ServerRecord(1.1, "swedencentral", 503, "c0"),
        ServerRecord(1.2, "swedencentral", 200, "c0"),
        ServerRecord(2, "eastus2", 200, "c1"),
        ServerRecord(2, "eastus2", 200, "not-ours"),
    ]
    assert check(Expectation("retries_per_call", 2), DRILL, calls, served).measured == 2
    assert check(Expectation("over_deadline", 0), DRILL, calls, served).measured == 1  # 3.0 s > 2 + 0.5
    assert check(Expectation("tokens", 25), DRILL, calls, served).measured == 25
    assert check(Expectation("continuity", 1.0), DRILL, calls, served).measured == 0.5


def test_retries_per_call_counts_beyond_the_requests_a_call_is_made_of() -> None:
    """A `tools` call is two requests tagged with one id: two answers are no retry, three are one."""
    turn = CallRecord(call_id="t1", started_s=0, latency_s=0.2, ok=True, shape="tools", requests=2)
    whole = [ServerRecord(0.1, "eastus2", 200, "t1"), ServerRecord(0.2, "eastus2", 200, "t1")]
    assert check(Expectation("retries_per_call", 0), DRILL, [turn], whole).measured == 0
    retried = [ServerRecord(0.05, "eastus2", 503, "t1"), *whole]
    assert check(Expectation("retries_per_call", 0), DRILL, [turn], retried).measured == 1


def test_corrupted_tool_calls_counts_only_the_calls_given_a_corrupted_tool_call() -> None:
    """A failed call (an outage) is not a corrupted one (a splice): only the second counts."""
    calls = [
        call(0, 1),
        CallRecord(call_id="c1", started_s=2, latency_s=0.1, ok=False, shape="stream_tools"),
        CallRecord(call_id="c2", started_s=3, latency_s=0.1, ok=False, shape="stream_tools", corrupted_tool_call=True),
    ]
    result = check(Expectation("corrupted_tool_calls", 0), DRILL, calls, [])
    assert result.measured == 1 and not result.passed
    assert check(Expectation("corrupted_tool_calls", 0, to_s=3), DRILL, calls, []).passed


def test_provisioned_share_is_over_the_successful_calls_whose_tier_is_known() -> None:
    calls = [
        CallRecord(call_id="c0", started_s=0, latency_s=0.1, ok=True, tier="provisioned"),
        CallRecord(call_id="c1", started_s=1, latency_s=0.1, ok=True, tier="provisioned"),
        CallRecord(call_id="c2", started_s=5, latency_s=0.1, ok=True, tier="standard"),
        CallRecord(call_id="c3", started_s=5, latency_s=0.1, ok=False),  # failed: no tier, not counted
    ]
    assert check(Expectation("provisioned_share", 0.9), DRILL, calls, []).measured == 2 / 3
    assert check(Expectation("provisioned_share", 0.9, to_s=3), DRILL, calls, []).passed
    assert check(Expectation("provisioned_share", 0.9, from_s=6), DRILL, calls, []).measured is None
