"""The completion side of Azure's content filter on the Responses API: when a fault sets
`Effects.completion_filter`, the answer is a 200 whose text stops early, `status: "incomplete"`,
`incomplete_details.reason: "content_filter"`, with Azure's `content_filters` flagging the
category; streamed, the text stops and the stream ends with `response.incomplete`.

The content_filter fault itself lives in chaos/faults/; this module registers a stand-in that only
sets the effect, for the duration of each test, so the path is tested here over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aoai_watch.chaos.faults import REGISTRY, ActiveFault, Fault, RequestContext
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.responses_clients import PATHS, client, raw_body, raw_events
from tests.chaos.responses_spec import event_problems, response_problems

FLAG = ("violence", "medium")


class FlagCompletion(Fault):
    """Sets the effect the content_filter fault sets on the completion side."""

    name = "test_flag_completion"
    stage = "after_auth"

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> None:
        ctx.effects.completion_filter = FLAG


@pytest.fixture
def flagged(sim: SimulatorThread) -> Iterator[SimulatorThread]:
    REGISTRY[FlagCompletion.name] = FlagCompletion
    try:
        sim.add_fault(FlagCompletion.name, "eastus2")
        yield sim
    finally:
        sim.reset()
        del REGISTRY[FlagCompletion.name]  # the catalogue tests see only the real faults


@pytest.fixture(params=PATHS)
def sdk(request: pytest.FixtureRequest, flagged: SimulatorThread) -> openai.OpenAI:
    return client(flagged, request.param)


def _flagged_completion(body: dict[str, Any]) -> dict[str, Any]:
    [completion] = [f for f in body["content_filters"] if f["source_type"] == "completion"]
    return completion


def test_a_filtered_answer_is_an_incomplete_200_with_the_text_cut_short(
    sdk: openai.OpenAI, sim: SimulatorThread
) -> None:
    body = raw_body(sdk, model="gpt-4o", input="tell me a story")
    assert response_problems(body) == []
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "content_filter"}
    [message] = body["output"]
    assert message["status"] == "incomplete"
    words = message["content"][0]["text"].split()
    assert 0 < len(words) < 12 and body["usage"]["output_tokens"] == len(words)  # 12: the unfiltered length
    completion = _flagged_completion(body)
    assert completion["blocked"] is True
    assert completion["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}
    assert completion["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    unfiltered = client(sim, "v1", "swedencentral").responses.create(model="gpt-4o", input="tell me a story")
    assert unfiltered.status == "completed" and len(unfiltered.output_text.split()) == 12


def test_the_sdk_reports_the_filtered_response_as_incomplete(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(model="gpt-4o", input="tell me a story")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "content_filter"
    assert response.output_text


def test_a_filtered_stream_stops_its_text_and_ends_with_response_incomplete(sdk: openai.OpenAI) -> None:
    events = raw_events(sdk, model="gpt-4o", input="tell me a story")
    assert [p for e in events for p in event_problems(e)] == []
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "response.incomplete" and "response.completed" not in kinds
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert 0 < len(deltas) < 12
    final = events[-1]["response"]
    assert final["incomplete_details"] == {"reason": "content_filter"}
    assert final["output"][0]["content"][0]["text"] == "".join(deltas)
    assert _flagged_completion(final)["content_filter_results"]["violence"]["filtered"] is True


def test_the_sdk_stream_iterates_to_the_incomplete_event(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model="gpt-4o", input="tell me a story") as stream:
        events = list(stream)
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "content_filter"


def test_a_filtered_function_call_is_cut_and_incomplete_too(sdk: openai.OpenAI) -> None:
    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    }
    response = sdk.responses.create(model="gpt-4o", input="x", tools=[tool], tool_choice="required")
    [call] = response.output
    assert response.status == "incomplete" and call.type == "function_call" and call.status == "incomplete"
    assert call.arguments and not call.arguments.endswith("}")
