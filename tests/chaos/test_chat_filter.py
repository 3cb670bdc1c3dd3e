"""The completion side of a content filter: the catalogue's `content_filter` fault with
`on = "completion"` sets `Effects.completion_filter`, and the answer is a 200 whose text stops early
with `finish_reason: "content_filter"` and that choice's `content_filter_results` flagging the
category; streamed, the text stops and the last chunk says so. Both URL styles, real sockets."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pydantic
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import WEATHER, client, user

pytestmark = pytest.mark.usefixtures("chat_sim")
ON_THE_COMPLETION = {"on": "completion", "category": "hate", "severity": "high"}


@pytest.fixture
def flagged(chat_sim: SimulatorThread) -> Iterator[SimulatorThread]:
    fault = chat_sim.add_fault("content_filter", "eastus2", ON_THE_COMPLETION)
    yield chat_sim
    chat_sim.clear_fault(fault.id)


def unflagged_text(sim: SimulatorThread, style: str) -> str:
    reply = client(sim, style).chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=8)
    return reply.choices[0].message.content


def test_a_flagged_completion_stops_early_with_the_category_flagged(flagged: SimulatorThread, style: str) -> None:
    raw = client(flagged, style).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=user("tell me"), seed=8
    )
    assert raw.status_code == 200
    choice = raw.parse().choices[0]
    assert choice.finish_reason == "content_filter"
    results = choice.model_extra["content_filter_results"]
    assert results["hate"] == {"filtered": True, "severity": "high"}
    assert results["violence"] == {"filtered": False, "severity": "safe"}
    assert raw.parse().usage.completion_tokens == len(choice.message.content.split())


def test_the_filtered_text_is_the_start_of_the_unfiltered_one(chat_sim: SimulatorThread, style: str) -> None:
    full = unflagged_text(chat_sim, style)
    fault = chat_sim.add_fault("content_filter", "eastus2", ON_THE_COMPLETION)
    try:
        cut = client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=8)
    finally:
        chat_sim.clear_fault(fault.id)
    text = cut.choices[0].message.content
    assert full.startswith(text) and len(text.split()) < len(full.split())


def test_a_filtered_stream_stops_and_its_last_chunk_says_content_filter(flagged: SimulatorThread, style: str) -> None:
    chunks = list(
        client(flagged, style).chat.completions.create(
            model="gpt-4o", messages=user("tell me"), stream=True, stream_options={"include_usage": True}
        )
    )
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and finish[0].choices[0].finish_reason == "content_filter"
    assert finish[0].choices[0].model_extra["content_filter_results"]["hate"]["filtered"] is True
    assert chunks.index(finish[0]) > max(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
    assert 0 < len(content) < 12 and chunks[-1].usage.completion_tokens == len(content)


def test_a_filtered_tool_request_answers_in_text(flagged: SimulatorThread, style: str) -> None:
    reply = client(flagged, style).chat.completions.create(
        model="gpt-4o", messages=user("x"), tools=[WEATHER], tool_choice="required"
    )
    assert reply.choices[0].finish_reason == "content_filter" and reply.choices[0].message.tool_calls is None


class Answer(pydantic.BaseModel):
    text: str


def test_the_sdk_parse_raises_content_filter_finish(flagged: SimulatorThread, style: str) -> None:
    with pytest.raises(openai.ContentFilterFinishReasonError):
        client(flagged, style).chat.completions.parse(model="gpt-4o", messages=user("x"), response_format=Answer)


def test_other_regions_are_not_filtered(flagged: SimulatorThread, style: str) -> None:
    reply = client(flagged, style, "swedencentral").chat.completions.create(model="gpt-4o", messages=user("x"))
    assert reply.choices[0].finish_reason == "stop"
