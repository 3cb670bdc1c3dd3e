"""The failover client's pure parts: options, classification, Retry-After, breaker, call plan."""

from __future__ import annotations

import random
from pathlib import Path

import httpx2
import openai
import pytest
from aoai_watch.failover import ConfigError, FailoverOptions
from aoai_watch.failover.breaker import CLOSED, HALF_OPEN, OPEN, Breaker
from aoai_watch.failover.classify import FAULTY, MISCONFIGURED, RAISE, STATE_LOST, THROTTLED, classify, retry_after_s
from aoai_watch.failover.config import load_toml
from aoai_watch.failover.options import parse_failover_options


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_option_defaults_match_the_documented_ones() -> None:
    o = FailoverOptions()
    assert (
        o.connect_timeout_s,
        o.read_timeout_s,
        o.deadline_s,
        o.breaker_failures,
        o.breaker_open_s,
        o.max_retry_after_s,
        o.backoff_base_s,
        o.backoff_max_s,
        o.hedge_after_s,
    ) == (5, 30, 60, 3, 30, 300, 0.5, 8, None)
    assert o.replace(deadline_s=2.5).deadline_s == 2.5
    with pytest.raises(TypeError, match="unknown failover option"):
        o.replace(dead_line=1)
    with pytest.raises(ValueError, match="breaker_failures"):
        o.replace(breaker_failures=0)


def test_failover_table_in_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[failover]\ndeadline_s = 12\nhedge_after_s = 1.5\n")
    options = parse_failover_options(load_toml(path), path)
    assert options.deadline_s == 12 and options.hedge_after_s == 1.5
    path.write_text('[failover]\nread_timeout_s = "long"\n')
    with pytest.raises(ConfigError, match=r"failover\.read_timeout_s"):
        parse_failover_options(load_toml(path), path)


def status_error(status: int, body: object, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/openai/v1/chat/completions")
    response = httpx2.Response(status, json=body, headers=headers or {}, request=request)
    client = openai.OpenAI(base_url="http://127.0.0.1/openai/v1/", api_key="x")
    return client._make_status_error_from_response(response)  # the SDK's own mapping


@pytest.mark.parametrize(
    "status, body, kind, effect",
    [
        (400, {"error": {"code": "content_filter", "message": "filtered"}}, "content_filter", RAISE),
        (400, {"error": {"code": "previous_response_not_found", "message": "x"}}, "state_lost", STATE_LOST),
        (422, {"error": {"message": "bad"}}, "bad_request", RAISE),
        (401, {"statusCode": 401, "message": "Unauthorized."}, "auth_error", MISCONFIGURED),
        (401, {"error": {"code": "PermissionDenied", "message": "x"}}, "auth_error", MISCONFIGURED),
        (403, {"error": {"code": "403", "message": "x"}}, "auth_error", MISCONFIGURED),
        (404, {"error": {"code": "DeploymentNotFound", "message": "x"}}, "not_found", MISCONFIGURED),
        (408, None, "timeout", FAULTY),
        (429, {"error": {"code": "429", "message": "Please retry after 7 seconds."}}, "rate_limited", THROTTLED),
        (500, {"statusCode": 500, "message": "Internal server error"}, "server_error", FAULTY),
        (503, None, "server_error", FAULTY),
    ],
)
def test_classification_by_status(status: int, body: object, kind: str, effect: str) -> None:
    failure = classify(status_error(status, body))
    assert (failure.kind, failure.effect, failure.status) == (kind, effect, status)


def test_transport_failures() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/x")
    assert classify(openai.APITimeoutError(request)).kind == "timeout"
    assert classify(openai.APIConnectionError(request=request)).kind == "connect_error"
    assert classify(ValueError("bad json")).kind == "bad_response"


def test_retry_after_precedence_ms_then_seconds_then_message() -> None:
    assert retry_after_s({"retry-after-ms": "250", "retry-after": "9"}, "retry after 60 seconds") == 0.25
    assert retry_after_s({"retry-after": "9"}, "Please retry after 60 seconds") == 9
    assert retry_after_s({}, "Rate limit is exceeded. Try again in 50 seconds.") == 50
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, None, now=1792567670.0) == 10
    assert retry_after_s({"retry-after": "soon"}, None) is None
    failure = classify(
        status_error(
            429, {"error": {"code": "429", "message": "Please retry after 8 seconds."}}, {"retry-after-ms": "1500"}
        )
    )
    assert failure.retry_after_s == 1.5


def breaker(clock: Clock, **kw: float) -> Breaker:
    args = {"failures": 3, "open_s": 30, "failure_ratio": 0.5, "window_s": 60, "min_calls": 10, **kw}
    return Breaker(clock=clock, **args)  # type: ignore[arg-type]


def test_breaker_opens_half_opens_with_one_trial_and_closes() -> None:
    clock = Clock()
    changes: list[tuple[str, str]] = []
    b = Breaker(3, 30, 0.5, 60, 10, clock, on_change=lambda old, new, *_: changes.append((old, new)))
    for _ in range(2):
        b.record_failure("x")
    assert b.state == CLOSED and b.available()
    b.record_failure("x")
    assert b.state == OPEN and not b.acquire() and b.snapshot().retry_in_s == 30
    clock.now += 30
    assert b.state == HALF_OPEN
    assert b.acquire() and not b.acquire()  # a single trial
    b.record_failure("again")
    assert b.state == OPEN
    clock.now += 30
    assert b.acquire()
    b.record_success()
    assert b.state == CLOSED and b.snapshot().consecutive_failures == 0
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_breaker_ratio_and_retry_after() -> None:
    clock = Clock()
    b = breaker(clock, failures=100)
    for i in range(10):
        if i % 2:
            b.record_success()
        else:
            b.record_failure("x")
    assert b.state == CLOSED  # 5 of 10 failed, but never 3 in a row; the ratio is checked on failures
    b.record_failure("x")
    assert b.state == OPEN  # 6 of 11 >= 0.5
    clock.now += 31
    b2 = breaker(clock)
    b2.record_failure("429", open_for_s=4)
    assert b2.state == OPEN and b2.snapshot().retry_in_s == 4
    clock.now += 4
    assert b2.state == HALF_OPEN


def test_plan_prefers_untried_regions_then_backs_off_then_gives_up() -> None:
    from aoai_watch.failover.config import RegionConfig
    from aoai_watch.failover.errors import AllRegionsFailed
    from aoai_watch.failover.plan import CallPlan
    from aoai_watch.failover.router import Router

    clock = Clock()
    regions = [
        RegionConfig(n, f"https://{n}.example.com", p, "api-key", "K", {"gpt-4o": "d"}) for n, p in (("a", 1), ("b", 2))
    ]
    options = FailoverOptions(deadline_s=10, backoff_base_s=1, backoff_max_s=4)
    router = Router(regions, options, clock=clock, environ={"K": "k"})
    plan = CallPlan("gpt-4o", router.for_model("gpt-4o"), options, clock, random.Random(1))
    server_error = classify(status_error(503, None))
    step = plan.next_step()
    assert step.region.name == "a" and step.wait_s == 0
    assert plan.record_failure(step.region, server_error) == "fail_over"
    step = plan.next_step()
    assert step.region.name == "b" and step.wait_s == 0  # at once, no second try on a
    assert plan.record_failure(step.region, server_error) == "retry"
    step = plan.next_step()
    assert step.region.name == "a" and 0 <= step.wait_s <= 2  # backoff: jitter in [0, 1 * 2^1]
    clock.now += 11
    with pytest.raises(AllRegionsFailed) as err:
        plan.next_step()
    assert set(err.value.failures) == {"a", "b"} and "HTTP 503" in str(err.value)
