"""Streamed tool calls through the failover client, sync and async, against the simulator over real
sockets: the first tool-call fragment is the first output. A break before it fails over and the
caller gets one whole tool call; a break after it is raised, never spliced; fragments reach the
caller as they arrive."""

from __future__ import annotations

import jsonschema
import pytest
from aoai_watch.chaos.simulator import LatencyModel, RegionSpec, SimulatorThread, default_region
from aoai_watch.failover import AllRegionsFailed

from tests.conftest import KEY
from tests.failover.helpers import Recorder
from tests.failover.streaming import MODES, WEATHER_PARAMS, Drained, drain, is_fragment, tool_calls

OPERATIONS = ("chat.completions", "responses")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_tool_call_stream_broken_after_its_first_fragment_is_raised_never_spliced(
    sim: SimulatorThread, mode: str, operation: str
) -> None:
    # slow_stream cuts the connection after 2 fragments (chat: the named first delta and one piece
    # of arguments; Responses: two argument deltas, after output_item.added)
    sim.add_fault("slow_stream", "eastus2", {"stop_after_chunks": 2})
    rec = Recorder()
    seen = Drained()
    with pytest.raises(Exception) as err:
        drain(mode, sim, rec, operation, seen)
    assert not isinstance(err.value, AllRegionsFailed)
    assert seen.region == "eastus2"
    assert any(is_fragment(operation, c) for c in seen.chunks)  # the caller had the first fragment
    assert {a.region for a in rec.attempts} == {"eastus2"}  # nothing was asked of swedencentral
    # returned at the first fragment; the break is that attempt's failure, raised to the caller
    assert rec.path() == [("eastus2", "ok", "return"), ("eastus2", "connect_error", "raise")]


@pytest.mark.parametrize("mode", MODES)
def test_a_chat_tool_call_stream_broken_before_its_first_fragment_fails_over_to_one_whole_call(
    sim: SimulatorThread, mode: str
) -> None:
    # the annotation and role chunks arrive, then the connection ends: no output yet
    sim.add_fault("slow_stream", "eastus2", {"stop_after_chunks": 0})
    rec = Recorder()
    seen = drain(mode, sim, rec, "chat.completions", Drained())
    assert seen.region == "swedencentral"
    calls = tool_calls("chat.completions", seen.chunks)
    assert len(calls) == 1 and calls[0][0] == "get_weather"
    jsonschema.validate(calls[0][1], WEATHER_PARAMS)  # whole, and from one region
    assert [(a.region, a.decision) for a in rec.attempts] == [("eastus2", "fail_over"), ("swedencentral", "return")]
    assert seen.chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("mode", MODES)
def test_a_responses_tool_call_stream_broken_before_its_first_output_fails_over_to_one_whole_call(
    sim: SimulatorThread, mode: str
) -> None:
    # response.created and response.in_progress arrive, then the connection ends
    sim.add_fault("stream_stall", "eastus2", {"after_events": 2, "stall_s": 0.05})
    rec = Recorder()
    seen = drain(mode, sim, rec, "responses", Drained())
    assert seen.region == "swedencentral"
    calls = tool_calls("responses", seen.chunks)
    assert len(calls) == 1 and calls[0][0] == "get_weather"
    jsonschema.validate(calls[0][1], WEATHER_PARAMS)
    assert [a.region for a in rec.attempts] == ["eastus2", "swedencentral"]
    assert seen.chunks[-1].type == "response.completed"


@pytest.fixture(scope="module")
def slow_sim():  # type: ignore[no-untyped-def]
    slow = LatencyModel(ttft_ms=50, per_token_ms=150, jitter_sigma=0)
    specs = [
        RegionSpec(name=n, deployments=default_region(n, KEY).deployments, api_key=KEY, latency=slow)
        for n in ("eastus2", "swedencentral")
    ]
    with SimulatorThread(specs, seed=3) as sim:
        yield sim


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_tool_call_fragments_reach_the_caller_while_the_region_still_streams(
    slow_sim: SimulatorThread, mode: str, operation: str
) -> None:
    # on the first fragment the connection is cut: had the client held the stream back to its
    # end, the caller would get the whole call (or a failover), never a fragment and then a break
    slow_sim.reset()
    rec = Recorder()
    seen = Drained()

    def cut_on_first_fragment(chunk: object) -> None:
        if is_fragment(operation, chunk) and not slow_sim.simulator.faults.active():
            slow_sim.add_fault("refuse", "eastus2")  # drops the open connection mid-answer

    try:
        with pytest.raises(Exception) as err:
            drain(mode, slow_sim, rec, operation, seen, on_chunk=cut_on_first_fragment)
    finally:
        slow_sim.reset()
    assert not isinstance(err.value, AllRegionsFailed)
    assert seen.region == "eastus2"
    fragments = [c for c in seen.chunks if is_fragment(operation, c)]
    assert 1 <= len(fragments) < 6  # the arguments are longer than this
    assert [(a.region, a.decision) for a in rec.attempts] == [("eastus2", "return"), ("eastus2", "raise")]
