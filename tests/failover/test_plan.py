"""The call plan with an injected clock: untried regions first, then backoff, then giving up at the
deadline."""

from __future__ import annotations

import random

import pytest
from aoai_watch.failover import FailoverOptions
from aoai_watch.failover.classify import classify

from tests.clock import ManualClock
from tests.failover.helpers import status_error


def test_plan_prefers_untried_regions_then_backs_off_then_gives_up() -> None:
    from aoai_watch.failover.config import RegionConfig
    from aoai_watch.failover.errors import AllRegionsFailed
    from aoai_watch.failover.plan import CallPlan
    from aoai_watch.failover.router import Router

    clock = ManualClock()
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
