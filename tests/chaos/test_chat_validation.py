"""Bad chat requests get Azure's 400 (`invalid_request_error` with `code`, `message`, `param`), the
same on the v1 and the legacy path; the openai SDK raises BadRequestError with that code and param."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import API_VERSION, TIME, WEATHER, client, user
from tests.conftest import KEY

pytestmark = pytest.mark.usefixtures("chat_sim")

# (what the request sets, the error's code, its param, the start of its message)
CASES: dict[str, tuple[dict[str, Any], str | None, str, str]] = {
    "temperature above 2": ({"temperature": 5}, "decimal_above_max_value", "temperature", "Invalid 'temperature'"),
    "temperature below 0": ({"temperature": -0.5}, "decimal_below_min_value", "temperature", "Invalid 'temperature'"),
    "temperature a string": ({"temperature": "hot"}, "invalid_type", "temperature", "Invalid type for 'temperature'"),
    "top_p above 1": ({"top_p": 1.5}, "decimal_above_max_value", "top_p", "Invalid 'top_p'"),
    "presence_penalty below -2": ({"presence_penalty": -3}, "decimal_below_min_value", "presence_penalty", "Invalid"),
    "frequency_penalty above 2": (
        {"frequency_penalty": 2.5},
        "decimal_above_max_value",
        "frequency_penalty",
        "Invalid",
    ),
    "n of 0": ({"n": 0}, "integer_below_min_value", "n", "Invalid 'n': integer below minimum value"),
    "n over 128": ({"n": 129}, "integer_above_max_value", "n", "Invalid 'n': integer above maximum value"),
    "top_logprobs over 20": ({"logprobs": True, "top_logprobs": 21}, "integer_above_max_value", "top_logprobs", "Inv"),
    "top_logprobs without logprobs": ({"top_logprobs": 2}, "invalid_value", "top_logprobs", "Invalid value for"),
    "five stop sequences": (
        {"stop": list("abcde")},
        "array_above_max_length",
        "stop",
        "Invalid 'stop': array too long",
    ),
    "max_tokens over the model's limit": ({"max_tokens": 100_000}, None, "max_tokens", "max_tokens is too large"),
    "max_completion_tokens over it": (
        {"max_completion_tokens": 16_385},
        None,
        "max_completion_tokens",
        "max_completion_tokens is too large: 16385. This model supports at most 16384 completion tokens",
    ),
    "unknown role": (
        {"messages": [{"role": "robot", "content": "x"}]},
        "invalid_value",
        "messages[0].role",
        "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and "
        "'developer'.",
    ),
    "a role that is an array": (  # not hashable: once a 500 from the role lookup
        {"messages": [{"role": ["user"], "content": "x"}]},
        "invalid_value",
        "messages[0].role",
        "Invalid value: 'an array'. Supported values are:",
    ),
    "empty messages": ({"messages": []}, "empty_array", "messages", "Invalid 'messages': empty array."),
    "tool message without tool_call_id": (
        {"messages": [*user("x"), {"role": "tool", "content": "42"}]},
        None,
        "messages.[1].tool_call_id",
        "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
    ),
    "tool without a name": (
        {"tools": [{"type": "function", "function": {"parameters": {"type": "object"}}}]},
        "missing_required_parameter",
        "tools[0].function.name",
        "Missing required parameter: 'tools[0].function.name'.",
    ),
    "tool of another type": (
        {"tools": [{"type": "retrieval"}]},
        "invalid_value",
        "tools[0].type",
        "Invalid value: 'retrieval'.",
    ),
    "tool with an invalid schema": (
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "objekt"}}}]},
        "invalid_function_parameters",
        "tools[0].function.parameters",
        "Invalid schema for function 'f': In context=(), 'objekt' is not valid",
    ),
    "strict tool with an open object": (
        {"tools": [{"type": "function", "function": {"name": "f", "strict": True, "parameters": {"type": "object"}}}]},
        "invalid_function_parameters",
        "tools[0].function.parameters",
        "Invalid schema for function 'f': In context=(), 'additionalProperties' is required",
    ),
    "tool_choice naming an unknown function": (
        {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_time"}}},
        None,
        "tool_choice",
        "Tool choice 'function' not found in 'tools' parameter.",
    ),
    "tool_choice without tools": (
        {"tool_choice": "required"},
        None,
        "tool_choice",
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
    ),
    "an unknown tool_choice": ({"tools": [TIME], "tool_choice": "always"}, "invalid_value", "tool_choice", "Invalid"),
    "an unknown response_format": (
        {"response_format": {"type": "yaml"}},
        "invalid_value",
        "response_format.type",
        "Invalid value: 'yaml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
    ),
    "json_schema with an invalid schema": (
        {"response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": 3}}}},
        None,
        "response_format",
        "Invalid schema for response_format 'r': ",
    ),
}


def body_of(case: str) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": user("hi"), **CASES[case][0]}


@pytest.mark.parametrize("case", CASES)
def test_the_sdk_raises_bad_request_with_azures_code_and_param(
    chat_sim: SimulatorThread, style: str, case: str
) -> None:
    _, code, param, message = CASES[case]
    with pytest.raises(openai.BadRequestError) as refused:
        client(chat_sim, style).chat.completions.create(**body_of(case))
    error = refused.value
    assert error.status_code == 400 and error.code == code and error.param == param
    assert error.type == "invalid_request_error" and error.body["message"].startswith(message)
    assert error.response.headers["apim-request-id"]


@pytest.mark.parametrize("case", CASES)
def test_both_paths_answer_the_same_error_body(chat_sim: SimulatorThread, case: str) -> None:
    endpoint, headers = chat_sim.urls["eastus2"], {"api-key": KEY}
    body = body_of(case)
    v1 = httpx.post(f"{endpoint}/openai/v1/chat/completions", json=body, headers=headers)
    legacy_body = {k: v for k, v in body.items() if k != "model"}  # the deployment is in the path
    legacy = httpx.post(
        f"{endpoint}/openai/deployments/gpt-4o/chat/completions",
        params={"api-version": API_VERSION},
        json=legacy_body,
        headers=headers,
    )
    assert v1.status_code == legacy.status_code == 400
    assert v1.json() == legacy.json()
    assert set(v1.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize(
    "case", ["temperature above 2", "tool_choice without tools", "strict tool with an open object"]
)
def test_a_streamed_request_is_refused_before_any_stream_starts(
    chat_sim: SimulatorThread, style: str, case: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client(chat_sim, style).chat.completions.create(**body_of(case), stream=True)
    assert refused.value.param == CASES[case][2]
    assert refused.value.response.headers["content-type"] == "application/json"


def test_a_valid_request_after_all_of_them_still_gets_an_answer(chat_sim: SimulatorThread, style: str) -> None:
    assert client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("hi")).choices
