"""Failover streams against the simulator: a failure before the first token fails over, one after it
is raised, never spliced."""

from __future__ import annotations

import pytest
from aoai_watch.chaos.simulator import LatencyModel, RegionSpec, SimulatorThread, default_region
from aoai_watch.failover import AllRegionsFailed, FailoverClient

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder, make, regions


def test_stream_fails_over_before_the_first_token(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    rec = Recorder()
    stream = make(sim, rec).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert stream.region == "swedencentral"
    assert chunks[0].choices == []  # Azure's annotation chunk is passed through
    assert chunks[-1].usage.completion_tokens == 12
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text.split()) == 12
    assert rec.path() == [("eastus2", "server_error", "fail_over"), ("swedencentral", "ok", "return")]


def test_stream_fails_over_when_the_connection_dies_before_content(sim: SimulatorThread) -> None:
    sim.add_fault("reset", "eastus2")
    stream = make(sim).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    assert stream.region == "swedencentral" and sum(1 for _ in stream) > 3


@pytest.fixture
def slow_sim():  # type: ignore[no-untyped-def]
    slow = LatencyModel(ttft_ms=50, per_token_ms=150, jitter_sigma=0)
    specs = [
        RegionSpec(name=n, deployments=default_region(n, KEY).deployments, api_key=KEY, latency=slow)
        for n in ("eastus2", "swedencentral")
    ]
    with SimulatorThread(specs, seed=3) as sim:
        yield sim


def test_after_the_first_token_a_failure_is_raised_never_spliced(slow_sim: SimulatorThread) -> None:
    rec = Recorder()
    client = FailoverClient(regions(slow_sim), environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=3)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(Exception) as err:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
                if len(received) == 1:
                    slow_sim.add_fault("refuse", "eastus2")  # drops the open connection mid-answer
    assert stream.region == "eastus2"
    assert 1 <= len(received) < 12
    assert not isinstance(err.value, AllRegionsFailed)
    assert [a.region for a in rec.attempts] == ["eastus2", "eastus2"]  # nothing was sent to swedencentral
    # the attempt returned at the first token; the break is reported as that attempt's failure
    assert rec.path() == [("eastus2", "ok", "return"), ("eastus2", "connect_error", "raise")]
    assert rec.attempts[0].attempt == rec.attempts[1].attempt == 1
    assert rec.attempts[1].detail.startswith("after the first output: ")
