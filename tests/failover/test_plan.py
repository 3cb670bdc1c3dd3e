"""The call plan with an injected clock: untried regions first, then backoff, then giving up at the
deadline."""

from __future__ import annotations

import random

import httpx2
import openai
import pytest
from aoai_watch.failover import FailoverOptions
from aoai_watch.failover.classify import Failure, classify
from aoai_watch.failover.config import RegionConfig
from aoai_watch.failover.errors import AllRegionsFailed
from aoai_watch.failover.plan import CallPlan
from aoai_watch.failover.router import Router

from tests.clock import ManualClock
from tests.failover.helpers import status_error


def test_plan_prefers_untried_regions_then_backs_off_then_gives_up() -> None:
    clock = ManualClock()
    regions = [
        RegionConfig(n, f"https://{n}.example.com", p, "api-key", "K", {"gpt-4o": "d"}) for n, p in (("a", 1), ("b", 2))
    ]
    options = FailoverOptions(deadline_s=10, backoff_base_s=1, backoff_max_s=4)
    router = Router(regions, options, clock=clock, environ={"K": "k"})
    plan = CallPlan("gpt-4o", router.targets_for("gpt-4o"), options, clock, random.Random(1))
    server_error = classify(status_error(503, None))
    step = plan.next_step()
    assert step.target.region.name == "a" and step.wait_s == 0
    assert plan.record_failure(step.target, server_error) == "fail_over"
    step = plan.next_step()
    assert step.target.region.name == "b" and step.wait_s == 0  # at once, no second try on a
    assert plan.record_failure(step.target, server_error) == "retry"
    step = plan.next_step()
    assert step.target.region.name == "a" and 0 <= step.wait_s <= 2  # backoff: jitter in [0, 1 * 2^1]
    clock.now += 11
    with pytest.raises(AllRegionsFailed) as err:
        plan.next_step()
    assert set(err.value.failures) == {"a", "b"} and "HTTP 503" in str(err.value)


# --- provisioned (PTU) deployments first --------------------------------------------------------


def _tiered(clock: ManualClock, **options: float) -> tuple[Router, FailoverOptions]:
    regions = [
        RegionConfig(n, f"https://{n}.example.com", p, "api-key", "K", {"gpt-4o": f"{n}-paygo"}, {"gpt-4o": f"{n}-ptu"})
        for n, p in (("a", 1), ("b", 2))
    ]
    opts = FailoverOptions(deadline_s=10, backoff_base_s=1, backoff_max_s=4, **options)
    return Router(regions, opts, clock=clock, environ={"K": "k"}), opts


def _plan(router: Router, opts: FailoverOptions, clock: ManualClock, preferred: str | None = None) -> CallPlan:
    return CallPlan("gpt-4o", router.targets_for("gpt-4o", preferred), opts, clock, random.Random(1))


def _ptu_429(retry_after_ms: int) -> Failure:
    return classify(status_error(429, {"error": {"code": "429"}}, {"retry-after-ms": str(retry_after_ms)}))


def test_targets_are_the_preferred_regions_ptu_then_standard_then_the_next_regions() -> None:
    router, _ = _tiered(ManualClock())
    order = [(t.key, t.tier, t.deployment) for t in router.targets_for("gpt-4o")]
    assert order == [
        ("a/a-ptu", "provisioned", "a-ptu"),
        ("a", "standard", "a-paygo"),
        ("b/b-ptu", "provisioned", "b-ptu"),
        ("b", "standard", "b-paygo"),
    ]
    preferred = [t.key for t in router.targets_for("gpt-4o", preferred="b")]
    assert preferred == ["b/b-ptu", "b", "a/a-ptu", "a"]  # a Responses follow-up's region stays first


def test_a_ptu_429_moves_at_once_to_the_standard_deployment_and_keeps_the_ptu_out_for_its_retry_after() -> None:
    clock = ManualClock()
    router, opts = _tiered(clock, breaker_open_s=30)
    plan = _plan(router, opts, clock)
    step = plan.next_step()
    assert step.target.key == "a/a-ptu"
    assert plan.record_failure(step.target, _ptu_429(50)) == "fail_over"
    step = plan.next_step()
    assert (step.target.key, step.wait_s) == ("a", 0.0)  # the same region's standard one, no wait
    states = router.breaker_states()
    assert states["a/a-ptu"].state == "open" and states["a/a-ptu"].retry_in_s == pytest.approx(0.05)  # not 30
    assert states["a"].state == "closed"
    plan.record_success(step.target)
    clock.advance(0.04)
    assert _plan(router, opts, clock).next_step().target.key == "a"
    clock.advance(0.02)  # its 50 ms are over: the next call goes to the PTU again
    assert _plan(router, opts, clock).next_step().target.key == "a/a-ptu"


def test_a_host_failure_skips_the_regions_other_deployments_a_5xx_or_404_does_not() -> None:
    clock = ManualClock()
    router, opts = _tiered(clock)
    connect_error = classify(openai.APIConnectionError(request=httpx2.Request("POST", "https://a.example.com")))
    plan = _plan(router, opts, clock)
    step = plan.next_step()
    plan.record_failure(step.target, connect_error)
    assert plan.next_step().target.key == "b/b-ptu"  # not a's standard: the same host
    for failure in (classify(status_error(503, None)), classify(status_error(404, {"error": {"code": "x"}}))):
        plan = _plan(router, opts, clock)
        step = plan.next_step()
        assert step.target.key == "a/a-ptu"
        plan.record_failure(step.target, failure)
        assert plan.next_step().target.key == "a"
        router.regions[0].provisioned_breakers["a-ptu"].record_success()


def test_breaker_states_name_each_tier_and_deployment() -> None:
    router, _ = _tiered(ManualClock())
    states = router.breaker_states()
    assert list(states) == ["a", "a/a-ptu", "b", "b/b-ptu"]
    assert (states["a"].tier, states["a"].deployment) == ("standard", None)
    assert (states["a/a-ptu"].tier, states["a/a-ptu"].deployment) == ("provisioned", "a-ptu")
