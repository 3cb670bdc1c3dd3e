"""The chat answers the template does not build (tools, n, logprobs, stop, seed, JSON formats, a cut
or filtered completion, 400s) judged by the published schemas vendored in tests/schemas/: each
body against OpenAI's schema and the Azure spec of its path, every stream chunk as it went over the
wire. Observed Azure facts that contradict a schema pass only through the helper's named deviations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import API_VERSION, TIME, WEATHER, user
from tests.conftest import KEY
from tests.schemas import assert_valid

pytestmark = pytest.mark.usefixtures("chat_sim")
SCHEMAS = {
    "v1": ("openai/CreateChatCompletionResponse", "azure-v1/AzureCreateChatCompletionResponse"),
    "legacy": ("openai/CreateChatCompletionResponse", "azure-2024-10-21/createChatCompletionResponse"),
}
CHUNK_SCHEMAS = {
    "v1": ("openai/CreateChatCompletionStreamResponse", "azure-v1/AzureCreateChatCompletionStreamResponse"),
    "legacy": ("openai/CreateChatCompletionStreamResponse", "azure-2024-10-21/createChatCompletionStreamResponse"),
}
ERROR_SCHEMAS = {"v1": "azure-v1/AzureErrorResponse", "legacy": "azure-2024-10-21/errorResponse"}
STRICT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
    "required": ["name", "tags"],
    "additionalProperties": False,
}
REQUESTS: dict[str, dict[str, Any]] = {
    "a tool call": {"messages": user("x"), "tools": [WEATHER], "tool_choice": "required"},
    "parallel tool calls": {"messages": user("get_weather and get_time"), "tools": [WEATHER, TIME]},
    "n, logprobs, stop and seed": {
        "messages": user("hi"),
        "n": 3,
        "logprobs": True,
        "top_logprobs": 4,
        "stop": [" the", " and"],
        "seed": 5,
    },
    "json_schema": {
        "messages": user("x"),
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": STRICT, "strict": True}},
    },
    "json_object": {"messages": user("in json"), "response_format": {"type": "json_object"}},
    "cut at max_tokens": {"messages": user("x"), "tools": [WEATHER], "tool_choice": "required", "max_tokens": 2},
}


def url(sim: SimulatorThread, style: str) -> str:
    root = sim.urls["eastus2"]
    if style == "v1":
        return f"{root}/openai/v1/chat/completions"
    return f"{root}/openai/deployments/gpt-4o/chat/completions?api-version={API_VERSION}"


def body(style: str, request: dict[str, Any]) -> dict[str, Any]:
    return {**({"model": "gpt-4o"} if style == "v1" else {}), **request}


def chunks(sim: SimulatorThread, style: str, request: dict[str, Any]) -> Iterator[Any]:
    sent = {**body(style, request), "stream": True, "stream_options": {"include_usage": True}}
    with httpx.stream("POST", url(sim, style), json=sent, headers={"api-key": KEY}, timeout=10) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: {"):
                yield json.loads(line[6:])


@pytest.mark.parametrize("case", REQUESTS)
def test_the_completion_is_valid_against_both_schemas(chat_sim: SimulatorThread, style: str, case: str) -> None:
    reply = httpx.post(url(chat_sim, style), json=body(style, REQUESTS[case]), headers={"api-key": KEY})
    assert reply.status_code == 200, reply.text
    for schema in SCHEMAS[style]:
        assert not assert_valid(reply.json(), schema)


@pytest.mark.parametrize("case", REQUESTS)
def test_every_chunk_is_valid_against_both_schemas(chat_sim: SimulatorThread, style: str, case: str) -> None:
    seen = list(chunks(chat_sim, style, REQUESTS[case]))
    assert len(seen) > 3
    for schema in CHUNK_SCHEMAS[style]:
        allowed = [list(assert_valid(chunk, schema)) for chunk in seen]
        assert allowed[0] == ["prompt-annotation-chunk"] and not any(allowed[1:])


def test_a_filtered_completion_and_its_stream_are_valid(chat_sim: SimulatorThread, style: str) -> None:
    fault = chat_sim.add_fault("content_filter", "eastus2", {"on": "completion", "category": "sexual"})
    try:
        reply = httpx.post(url(chat_sim, style), json=body(style, {"messages": user("x")}), headers={"api-key": KEY})
        seen = list(chunks(chat_sim, style, {"messages": user("x")}))
    finally:
        chat_sim.clear_fault(fault.id)
    assert reply.json()["choices"][0]["finish_reason"] == "content_filter"
    for schema in SCHEMAS[style]:
        assert not assert_valid(reply.json(), schema)
    for schema in CHUNK_SCHEMAS[style]:
        assert not any(assert_valid(chunk, schema) for chunk in seen[1:])


@pytest.mark.parametrize(
    "request_",
    [{"temperature": 3}, {"tool_choice": "auto"}, {"n": 0}, {"tools": [{"type": "function", "function": {}}]}],
)
def test_a_400_is_valid_against_the_error_schemas(
    chat_sim: SimulatorThread, style: str, request_: dict[str, Any]
) -> None:
    reply = httpx.post(
        url(chat_sim, style), json=body(style, {"messages": user("x"), **request_}), headers={"api-key": KEY}
    )
    assert reply.status_code == 400
    assert_valid(reply.json(), "openai/ErrorResponse")
    assert_valid(reply.json(), ERROR_SCHEMAS[style])
