"""Provisioned (PTU) deployments: utilization admission, the 429 with retry-after-ms, the
utilization header, and spillover to a standard deployment, over real sockets with the openai SDK
on both URL styles. The simulator's clock is injected, so saturation never waits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aoai_watch.chaos import wire
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.chaos.simulator.model import DeploymentSpec, LatencyModel, RegionSpec
from aoai_watch.chaos.simulator.ptu import UtilizationMeter

from tests.chaos.chat_clients import client, user
from tests.conftest import KEY

PTU, SPILLING, STANDARD = "gpt4o-ptu", "gpt4o-ptu-spill", "gpt4o-paygo"
# 600 TPM over a 1 s window: 10 tokens are 100%, and they drain at 10 tokens a second
CAPACITY_TPM, WINDOW_S = 600, 1.0


class Clock:
    """The simulator's clock, moved by the tests (read from the simulator's thread)."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _region(tpm: int = 0) -> RegionSpec:
    deployments = (
        DeploymentSpec.for_model(STANDARD, "gpt-4o", tpm=tpm, rpm=0),
        DeploymentSpec.provisioned(PTU, "gpt-4o", CAPACITY_TPM, utilization_window_s=WINDOW_S),
        DeploymentSpec.provisioned(SPILLING, "gpt-4o", CAPACITY_TPM, spillover=STANDARD, utilization_window_s=WINDOW_S),
    )
    return RegionSpec("eastus2", deployments, api_key=KEY, latency=LatencyModel(scale=0))


@pytest.fixture
def sim(clock: Clock) -> Iterator[SimulatorThread]:
    with SimulatorThread([_region()], seed=3, clock=clock) as sim:
        yield sim


def _create(sdk: openai.OpenAI, deployment: str, **extra: Any) -> Any:
    """A raw chat call (headers and status), estimated at about 60 tokens: prompt + max_tokens 50."""
    return sdk.chat.completions.with_raw_response.create(
        model=deployment, messages=user("ping"), max_tokens=50, **extra
    )


def _utilization_pct(headers: Any) -> float:
    value = headers[wire.UTILIZATION_HEADER]
    assert value.endswith("%"), value
    return float(value[:-1])


# --- the meter, by itself -------------------------------------------------------------------


def test_meter_admits_until_over_100_percent_and_says_when_it_is_below_again() -> None:
    clock = Clock()
    meter = UtilizationMeter(capacity_tpm=600, window_s=1.0, clock=clock)  # 10 tokens = 100%
    first = meter.admit(8)
    assert first.admitted and first.utilization_pct == pytest.approx(80.0)
    burst = meter.admit(7)  # admitted at 80%: a burst may end just over 100%
    assert burst.admitted and burst.utilization_pct == pytest.approx(150.0)
    refused = meter.admit(1)
    assert not refused.admitted and refused.utilization_pct == pytest.approx(150.0)
    assert refused.retry_after_s == pytest.approx(0.5)  # 5 tokens over, draining 10 a second
    assert meter.admit(1).utilization_pct == pytest.approx(150.0)  # a refusal charges nothing
    clock.now += 0.5
    assert meter.admit(1).admitted
    clock.now += 60
    assert meter.utilization_pct() == 0.0


def test_meter_settles_an_estimate_to_the_real_usage() -> None:
    clock = Clock()
    meter = UtilizationMeter(capacity_tpm=600, window_s=1.0, clock=clock)
    assert meter.admit(20).admitted  # estimated with max_tokens
    meter.settle(estimated_tokens=20, actual_tokens=5)  # it used far fewer
    assert meter.utilization_pct() == pytest.approx(50.0)
    meter.settle(estimated_tokens=1, actual_tokens=0)
    meter.settle(estimated_tokens=100, actual_tokens=0)
    assert meter.utilization_pct() == 0.0  # never below empty


def test_meter_needs_capacity() -> None:
    with pytest.raises(ValueError, match="capacity_tpm"):
        UtilizationMeter(0, 1.0, Clock())


# --- PTU admission over real sockets --------------------------------------------------------


@pytest.mark.parametrize("style", ["v1", "legacy"])
def test_ptu_under_capacity_serves_with_the_utilization_header(sim: SimulatorThread, style: str) -> None:
    raw = _create(client(sim, style), PTU)
    assert raw.status_code == 200
    assert raw.parse().choices[0].message.content
    assert 0.0 < _utilization_pct(raw.headers) <= 700.0
    assert raw.headers[wire.SERVED_BY_HEADER] == PTU
    # a PTU answer reports utilization, not the TPM/RPM quota headers
    assert "x-ratelimit-remaining-tokens" not in raw.headers


@pytest.mark.parametrize("style", ["v1", "legacy"])
def test_ptu_over_capacity_answers_429_with_retry_after_ms(sim: SimulatorThread, clock: Clock, style: str) -> None:
    sdk = client(sim, style)
    assert _create(sdk, PTU).status_code == 200  # ~60 tokens into a 10-token burst
    with pytest.raises(openai.RateLimitError) as err:
        _create(sdk, PTU)
    headers = err.value.response.headers
    wait_ms = int(headers[wire.RETRY_AFTER_MS_HEADER])
    assert 100 <= wait_ms <= 10_000  # the time until utilization is below 100% again
    assert int(headers[wire.RETRY_AFTER_HEADER]) == -(-wait_ms // 1000)
    assert _utilization_pct(headers) > 100.0
    assert err.value.code == "429" and f"{wait_ms} milliseconds" in err.value.message
    assert wire.SPILLOVER_ERROR_HEADER not in headers  # nothing to spill to
    clock.now += wait_ms / 1000  # once that time has passed, it serves again
    again = _create(sdk, PTU)
    assert again.status_code == 200 and _utilization_pct(again.headers) > 0


def test_ptu_streams_carry_the_header_too(sim: SimulatorThread) -> None:
    raw = _create(client(sim, "v1"), PTU, stream=True)
    assert raw.status_code == 200 and _utilization_pct(raw.headers) > 0
    assert any(c.choices and c.choices[0].delta.content for c in raw.parse())


def test_standard_deployments_keep_their_quota_headers(sim: SimulatorThread) -> None:
    raw = _create(client(sim, "v1"), STANDARD)
    assert raw.status_code == 200
    assert wire.UTILIZATION_HEADER not in raw.headers
    assert raw.headers["x-ratelimit-remaining-requests"] == "-1"  # rpm 0: unlimited


# --- spillover ------------------------------------------------------------------------------


def _assert_spilled(raw: Any, ptu: str) -> None:
    assert raw.status_code == 200
    assert raw.headers[wire.SERVED_BY_HEADER] == STANDARD
    assert raw.headers[wire.spillover_from_header(ptu)] == ptu
    assert "x-ratelimit-remaining-tokens" in raw.headers  # the standard deployment's quota answered


@pytest.mark.parametrize("style", ["v1", "legacy"])
def test_spillover_by_deployment_property(sim: SimulatorThread, style: str) -> None:
    sdk = client(sim, style)
    first = _create(sdk, SPILLING)
    assert first.status_code == 200 and first.headers[wire.SERVED_BY_HEADER] == SPILLING
    assert not any(h.startswith(wire.SPILLOVER_FROM_PREFIX) for h in first.headers)
    spilled = _create(sdk, SPILLING)
    _assert_spilled(spilled, SPILLING)
    assert spilled.parse().model == "gpt-4o-2024-08-06"
    streamed = _create(sdk, SPILLING, stream=True)
    _assert_spilled(streamed, SPILLING)
    assert any(c.choices and c.choices[0].delta.content for c in streamed.parse())
    served = [(e["deployment"], e["status"]) for e in sim.simulator.request_log()]
    assert served == [(SPILLING, 200), (STANDARD, 200), (STANDARD, 200)]


@pytest.mark.parametrize("style", ["v1", "legacy"])
def test_spillover_by_request_header(sim: SimulatorThread, style: str) -> None:
    sdk = client(sim, style)
    asked = {"extra_headers": {wire.SPILLOVER_REQUEST_HEADER: STANDARD}}
    assert _create(sdk, PTU, **asked).headers[wire.SERVED_BY_HEADER] == PTU  # under capacity: the PTU serves
    _assert_spilled(_create(sdk, PTU, **asked), PTU)
    with pytest.raises(openai.RateLimitError):
        _create(sdk, PTU)  # the same deployment without the header: its own 429


def test_a_failed_spillover_answers_the_ptu_429_with_the_spillover_status(sim: SimulatorThread) -> None:
    sdk = client(sim, "v1")
    _create(sdk, PTU)
    for target, status in (("no-such-deployment", "404"), (SPILLING, "400")):
        with pytest.raises(openai.RateLimitError) as err:
            _create(sdk, PTU, extra_headers={wire.SPILLOVER_REQUEST_HEADER: target})
        assert err.value.response.headers[wire.SPILLOVER_ERROR_HEADER] == status
        assert int(err.value.response.headers[wire.RETRY_AFTER_MS_HEADER]) > 0


def test_spilled_requests_count_against_the_standard_quota(clock: Clock) -> None:
    with SimulatorThread([_region(tpm=100)], seed=3, clock=clock) as sim:  # room for one ~60-token call
        sdk = client(sim, "v1")
        _create(sdk, SPILLING)
        _assert_spilled(_create(sdk, SPILLING), SPILLING)
        with pytest.raises(openai.RateLimitError) as err:
            _create(sdk, SPILLING)  # PTU full and the standard quota spent: the PTU's 429
    headers = err.value.response.headers
    assert headers[wire.SPILLOVER_ERROR_HEADER] == "429"
    assert int(headers[wire.RETRY_AFTER_MS_HEADER]) > 0 and _utilization_pct(headers) > 100.0


def test_the_responses_api_never_spills_over(sim: SimulatorThread) -> None:
    sdk = openai.OpenAI(base_url=sim.base_url("eastus2"), api_key=KEY, max_retries=0, timeout=20)
    first = sdk.responses.with_raw_response.create(model=SPILLING, input="ping", max_output_tokens=50)
    assert first.status_code == 200 and _utilization_pct(first.headers) > 0
    with pytest.raises(openai.RateLimitError) as err:
        sdk.responses.create(model=SPILLING, input="ping", max_output_tokens=50)
    assert wire.RETRY_AFTER_MS_HEADER in err.value.response.headers


def test_the_control_api_lists_each_deployments_sku_and_utilization(sim: SimulatorThread) -> None:
    import httpx2

    _create(client(sim, "v1"), PTU)
    (region,) = httpx2.get(f"{sim.control_url}/regions", timeout=10).json()["regions"]
    by_name = {d["name"]: d for d in region["deployments"]}
    assert by_name[STANDARD]["sku"] == "GlobalStandard" and "capacity_tpm" not in by_name[STANDARD]
    ptu = by_name[PTU]
    assert (ptu["sku"], ptu["capacity_tpm"], ptu["spillover"]) == ("ProvisionedManaged", CAPACITY_TPM, None)
    assert ptu["utilization_pct"] > 100.0
    assert by_name[SPILLING]["spillover"] == STANDARD and by_name[SPILLING]["utilization_pct"] == 0.0
