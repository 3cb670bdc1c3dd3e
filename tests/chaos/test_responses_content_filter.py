"""The completion side of Azure's content filter on the Responses API, through the real
content_filter fault (`on = "completion"`, which sets `Effects.completion_filter`): the answer is a
200 whose text stops early, `status: "incomplete"`, `incomplete_details.reason: "content_filter"`,
with the completion's entry in Azure's `content_filters` flagging the category (an unfiltered
answer lists both entries, unblocked); streamed, the text stops and the stream ends with
`response.incomplete`. On both path styles, over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.responses_clients import PATHS, assert_published, client, raw_body, raw_events


@pytest.fixture
def flagged(sim: SimulatorThread) -> Iterator[SimulatorThread]:
    sim.add_fault("content_filter", "eastus2", {"on": "completion", "category": "violence"})  # severity medium
    yield sim


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
    assert_published(body)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "content_filter"}
    [message] = body["output"]
    assert message["status"] == "incomplete"
    words = message["content"][0]["text"].split()
    assert 0 < len(words) < 12 and body["usage"]["output_tokens"] == len(words)  # 12: the unfiltered length
    completion = _flagged_completion(body)
    assert completion["blocked"] is True
    assert completion["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}
    assert completion["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    assert _flagged_completion(body)["content_filter_offsets"]["end_offset"] == len(message["content"][0]["text"])


def test_an_unfiltered_answer_lists_both_judgements_unblocked(flagged: SimulatorThread) -> None:
    body = raw_body(client(flagged, "v1", "swedencentral"), model="gpt-4o", input="tell me a story")
    assert body["status"] == "completed" and len(body["output"][0]["content"][0]["text"].split()) == 12
    prompt, completion = body["content_filters"]
    assert (prompt["source_type"], prompt["blocked"]) == ("prompt", False)
    assert prompt["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    assert prompt["content_filter_offsets"]["end_offset"] == len("tell me a story")
    assert (completion["source_type"], completion["blocked"]) == ("completion", False)
    assert not any(r["filtered"] for r in completion["content_filter_results"].values())


def test_the_sdk_reports_the_filtered_response_as_incomplete(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(model="gpt-4o", input="tell me a story")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "content_filter"
    assert response.output_text


def test_a_filtered_stream_stops_its_text_and_ends_with_response_incomplete(sdk: openai.OpenAI) -> None:
    events = raw_events(sdk, model="gpt-4o", input="tell me a story")
    assert_published(events=events)
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
