"""Function tools on chat completions, through the real openai SDK on both URL styles: tool_choice,
parallel calls, arguments valid against the function's schema, the streamed tool-call delta
sequence the SDK's stream helpers assemble, and the agent loop."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pydantic
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from openai import pydantic_function_tool
from openai.lib.streaming.chat import ChatCompletionStreamState

from tests.chaos.chat_clients import TIME, WEATHER, client, user

pytestmark = pytest.mark.usefixtures("chat_sim")


def assert_valid_call(call: Any, tool: dict[str, Any]) -> dict[str, Any]:
    assert call.type == "function" and call.function.name == tool["function"]["name"]
    assert call.id.startswith("call_") and len(call.id) == len("call_") + 24
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, tool["function"]["parameters"])  # required, types, enum, nested, minItems
    return arguments


def test_required_calls_a_function_with_arguments_its_schema_accepts(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("what now?"), tools=[WEATHER], tool_choice="required"
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert len(choice.message.tool_calls) == 1
    arguments = assert_valid_call(choice.message.tool_calls[0], WEATHER)
    assert arguments["unit"] in ("celsius", "fahrenheit") and len(arguments["tags"]) >= 2
    assert completion.usage.completion_tokens > 0


def test_named_tool_choice_forces_that_function(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o",
        messages=user("what is the weather?"),
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    calls = completion.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_time"]
    assert_valid_call(calls[0], TIME)


def test_none_answers_in_text(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("use get_weather"), tools=[WEATHER], tool_choice="none"
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None and choice.message.content


def test_parallel_calls_for_every_function_the_prompt_names_unless_disabled(
    chat_sim: SimulatorThread, style: str
) -> None:
    sdk = client(chat_sim, style)
    prompt = user("Call get_weather for Paris and get_time for Europe/Paris.")
    both = sdk.chat.completions.create(model="gpt-4o", messages=prompt, tools=[WEATHER, TIME])
    calls = both.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.id for c in calls}) == 2
    one = sdk.chat.completions.create(model="gpt-4o", messages=prompt, tools=[WEATHER, TIME], parallel_tool_calls=False)
    assert [c.function.name for c in one.choices[0].message.tool_calls] == ["get_weather"]


def test_auto_is_decided_by_the_seed_and_answers_in_text_after_a_tool_result(
    chat_sim: SimulatorThread, style: str
) -> None:
    sdk = client(chat_sim, style)
    decisions = set()
    for seed in range(12):
        first = [
            sdk.chat.completions.create(model="gpt-4o", messages=user("hello"), tools=[WEATHER], seed=seed)
            .choices[0]
            .finish_reason
            for _ in range(2)
        ]
        assert first[0] == first[1]  # same request, same seed: same decision
        decisions.add(first[0])
    assert decisions == {"tool_calls", "stop"}  # auto does both, depending on the seed
    after = [
        *user("weather in Paris? use get_weather"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 21}'},
    ]
    for seed in range(6):
        reply = sdk.chat.completions.create(model="gpt-4o", messages=after, tools=[WEATHER], seed=seed)
        assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content


def test_max_tokens_cuts_the_arguments_with_finish_length(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("x"), tools=[WEATHER], tool_choice="required", max_tokens=3
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert len(choice.message.tool_calls[0].function.arguments) == 12  # 3 tokens of 4 characters
    assert completion.usage.completion_tokens == 3


def test_streamed_tool_calls_follow_the_delta_sequence(chat_sim: SimulatorThread, style: str) -> None:
    with client(chat_sim, style).chat.completions.with_streaming_response.create(
        model="gpt-4o",
        messages=user("get_weather and get_time please"),
        tools=[WEATHER, TIME],
        stream=True,
    ) as response:
        chunks = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
    assert chunks[0]["choices"] == [] and chunks[0]["object"] == ""  # Azure's annotation chunk
    deltas = [c["choices"][0]["delta"] for c in chunks[1:] if c["choices"]]
    assert deltas[0]["role"] == "assistant" and deltas[0]["content"] is None
    calls = [d["tool_calls"][0] for d in deltas if d.get("tool_calls")]
    for index, tool in enumerate((WEATHER, TIME)):
        mine = [c for c in calls if c["index"] == index]
        head, fragments = mine[0], mine[1:]
        assert head["id"].startswith("call_") and head["type"] == "function"
        assert head["function"] == {"name": tool["function"]["name"], "arguments": ""}
        assert len(fragments) >= 2 and all(set(f) == {"index", "function"} for f in fragments)
        arguments = "".join(f["function"]["arguments"] for f in fragments)
        jsonschema.validate(json.loads(arguments), tool["function"]["parameters"])
    finishes = [c["choices"][0]["finish_reason"] for c in chunks[1:] if c["choices"]]
    assert finishes[-1] == "tool_calls" and finishes.count("tool_calls") == 1


def test_stream_state_assembles_the_calls(chat_sim: SimulatorThread, style: str) -> None:
    state = ChatCompletionStreamState(input_tools=[WEATHER])
    stream = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("x"), tools=[WEATHER], tool_choice="required", stream=True
    )
    for chunk in stream:
        state.handle_chunk(chunk)
    final = state.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    assert_valid_call(final.choices[0].message.tool_calls[0], WEATHER)


class GetWeather(pydantic.BaseModel):
    city: str
    days: int
    unit: str


def test_stream_helper_parses_strict_pydantic_tool_arguments(chat_sim: SimulatorThread, style: str) -> None:
    tool = pydantic_function_tool(GetWeather)
    with client(chat_sim, style).chat.completions.stream(
        model="gpt-4o", messages=user("weather please"), tools=[tool], tool_choice="required"
    ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.delta" in events and "tool_calls.function.arguments.done" in events
    parsed = final.choices[0].message.tool_calls[0].function.parsed_arguments
    assert isinstance(parsed, GetWeather) and parsed.city and isinstance(parsed.days, int)


def test_parse_returns_parsed_strict_tool_arguments(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.parse(
        model="gpt-4o", messages=user("Use GetWeather for Oslo."), tools=[pydantic_function_tool(GetWeather)]
    )
    assert completion.choices[0].finish_reason == "tool_calls"  # auto calls the function the prompt names
    parsed = completion.choices[0].message.tool_calls[0].function.parsed_arguments
    assert isinstance(parsed, GetWeather) and parsed.unit


def test_agent_loop_calls_the_tool_then_answers_with_its_result(chat_sim: SimulatorThread, style: str) -> None:
    sdk = client(chat_sim, style)
    messages: list[dict[str, Any]] = user("What is the weather in Paris? Use get_weather.")
    first = sdk.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert first.choices[0].finish_reason == "tool_calls"
    call = first.choices[0].message.tool_calls[0]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature_c": 21})})
    second = sdk.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content and second.choices[0].message.tool_calls is None
