"""Function tools on the Responses API, driven by the real openai SDK (`OpenAI` on the v1 paths,
`AzureOpenAI` on the dated preview paths) over real sockets: tool_choice honoured, arguments valid
against each function's schema, the agent loop answered in text (chained and manual), streamed
arguments the SDK accumulates, the echo of tools and tool_choice, and the 400s Azure gives."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jsonschema
import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region

from tests.chaos.responses_clients import PATHS, assert_published, client, raw_body, raw_events
from tests.conftest import KEY

WEATHER_PARAMS = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "where": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "required": ["lat", "lon"],
            "additionalProperties": False,
        },
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
    },
    "required": ["city", "unit", "days", "where", "tags"],
    "additionalProperties": False,
}
WEATHER = {"type": "function", "name": "get_weather", "parameters": WEATHER_PARAMS, "strict": True}
TIME = {
    "type": "function",
    "name": "get_time",
    "description": "The time in a zone.",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
}
TOOLS = [WEATHER, TIME]
SCHEMAS = {"get_weather": WEATHER_PARAMS, "get_time": TIME["parameters"]}


@pytest.fixture(params=PATHS)
def sdk(request: pytest.FixtureRequest, sim: SimulatorThread) -> openai.OpenAI:
    return client(sim, request.param)


def calls(response) -> list:  # type: ignore[no-untyped-def]
    return [item for item in response.output if item.type == "function_call"]


def assert_valid_call(item) -> None:  # type: ignore[no-untyped-def]
    assert item.id.startswith("fc_") and item.call_id.startswith("call_") and item.status == "completed"
    jsonschema.validate(json.loads(item.arguments), SCHEMAS[item.name])


def test_required_calls_a_function_with_arguments_valid_against_its_schema(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(
        model="gpt-4o", input="What is the weather in Paris?", tools=TOOLS, tool_choice="required"
    )
    [item] = calls(response)
    assert_valid_call(item)
    assert response.status == "completed" and response.output_text == ""


def test_a_named_function_is_called_alone_even_when_the_prompt_names_another(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(
        model="gpt-4o", input="call get_weather", tools=TOOLS, tool_choice={"type": "function", "name": "get_time"}
    )
    assert [c.name for c in calls(response)] == ["get_time"]
    assert response.tool_choice.type == "function" and response.tool_choice.name == "get_time"


def test_auto_calls_every_function_the_prompt_names_in_parallel_unless_told_not_to(sdk: openai.OpenAI) -> None:
    both = sdk.responses.create(model="gpt-4o", input="Use get_weather and get_time.", tools=TOOLS)
    assert [c.name for c in calls(both)] == ["get_weather", "get_time"]
    assert len({c.call_id for c in calls(both)}) == 2 and len({c.id for c in calls(both)}) == 2
    for item in calls(both):
        assert_valid_call(item)
    one = sdk.responses.create(
        model="gpt-4o", input="Use get_weather and get_time.", tools=TOOLS, parallel_tool_calls=False
    )
    assert [c.name for c in calls(one)] == ["get_weather"] and one.parallel_tool_calls is False


def test_none_answers_in_text_even_when_the_prompt_names_a_function(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(model="gpt-4o", input="call get_weather", tools=TOOLS, tool_choice="none")
    assert calls(response) == [] and response.output_text
    assert response.tool_choice == "none"


def test_the_agent_loop_chained_with_previous_response_id_ends_in_text(sdk: openai.OpenAI) -> None:
    first = sdk.responses.create(model="gpt-4o", input="weather in Paris? use get_weather", tools=TOOLS)
    [call] = calls(first)
    answer = sdk.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"celsius": 21}'}],
        tools=TOOLS,
    )
    assert calls(answer) == [] and answer.output_text and answer.status == "completed"
    assert answer.previous_response_id == first.id


def test_the_agent_loop_resent_by_hand_without_previous_response_id_ends_in_text(sdk: openai.OpenAI) -> None:
    conversation: list = [{"role": "user", "content": "weather in Paris? use get_weather"}]
    first = sdk.responses.create(model="gpt-4o", input=conversation, tools=TOOLS, store=False)
    [call] = calls(first)
    conversation += [call, {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    answer = sdk.responses.create(model="gpt-4o", input=conversation, tools=TOOLS, store=False)
    assert calls(answer) == [] and answer.output_text
    with pytest.raises(openai.NotFoundError):  # store=False: nothing to chain from
        sdk.responses.retrieve(first.id)


def test_an_output_for_a_call_the_conversation_never_made_is_refused(sdk: openai.OpenAI) -> None:
    first = sdk.responses.create(model="gpt-4o", input="use get_weather", tools=TOOLS)
    orphan = [{"type": "function_call_output", "call_id": "call_nobodymadethisone000000", "output": "x"}]
    for chain in ({"previous_response_id": first.id}, {}):
        with pytest.raises(openai.BadRequestError) as err:
            sdk.responses.create(model="gpt-4o", input=orphan, tools=TOOLS, **chain)
        assert err.value.body["param"] == "input"
        assert "No tool call found for function call output with call_id call_nobodymadethisone000000" in str(
            err.value.body["message"]
        )


def test_the_response_echoes_tools_and_tool_choice_as_the_schema_shows_them(sdk: openai.OpenAI) -> None:
    body = raw_body(sdk, model="gpt-4o", input="hello", tools=TOOLS, tool_choice="auto")
    assert_published(body)
    assert body["tools"] == [
        {"type": "function", "description": None, "name": "get_weather", "parameters": WEATHER_PARAMS, "strict": True},
        # no strict sent: the Responses default, shown as true
        {
            "type": "function",
            "description": "The time in a zone.",
            "name": "get_time",
            "parameters": TIME["parameters"],
            "strict": True,
        },
    ]
    assert body["tool_choice"] == "auto" and body["parallel_tool_calls"] is True
    usage = body["usage"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_create_stream_sends_schema_valid_argument_deltas_that_join_to_the_arguments(sdk: openai.OpenAI) -> None:
    events = raw_events(sdk, model="gpt-4o", input="use get_weather", tools=TOOLS)
    assert_published(events=events)
    kinds = [e["type"] for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    added = events[2]["item"]
    assert added["type"] == "function_call" and added["arguments"] == "" and added["status"] == "in_progress"
    assert "usage" not in events[0]["response"] and events[0]["response"]["output"] == []
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert len(deltas) > 1
    done = events[-3]
    assert "".join(deltas) == done["arguments"] and done["name"] == "get_weather"
    jsonschema.validate(json.loads(done["arguments"]), WEATHER_PARAMS)
    final = events[-1]["response"]
    assert final["output"] == [events[-2]["item"]] and final["usage"]["output_tokens"] == len(deltas)


def test_the_sdk_stream_manager_accumulates_parallel_calls_into_the_final_response(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model="gpt-4o", input="call get_weather and get_time", tools=TOOLS) as stream:
        snapshots = [e.snapshot for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    assert [c.name for c in calls(final)] == ["get_weather", "get_time"]
    for item in calls(final):
        assert_valid_call(item)
    assert snapshots[-1] == calls(final)[-1].arguments  # the SDK's running join of the deltas
    assert sdk.responses.retrieve(final.id).output[0].call_id == calls(final)[0].call_id  # stored once completed


def test_a_streamed_follow_up_with_the_tool_output_streams_text(sdk: openai.OpenAI) -> None:
    first = sdk.responses.create(model="gpt-4o", input="use get_time", tools=TOOLS)
    [call] = calls(first)
    events = list(
        sdk.responses.create(
            model="gpt-4o",
            previous_response_id=first.id,
            input=[{"type": "function_call_output", "call_id": call.call_id, "output": "12:00"}],
            tools=TOOLS,
            stream=True,
        )
    )
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text and events[-1].type == "response.completed" and events[-1].response.output_text == text


@pytest.mark.parametrize(
    ("tools", "tool_choice", "param"),
    [
        ([{"type": "function", "parameters": {"type": "object"}}], None, "tools[0].name"),
        ([{"type": "function", "name": "has space"}], None, "tools[0].name"),
        ([{"type": "teleport", "name": "x"}], None, "tools[0].type"),
        ([TIME, {"type": "function", "name": "bad", "parameters": {"type": "banana"}}], None, "tools[1].parameters"),
        (
            # strict: true holds the schema to the structured-outputs rules
            [
                {
                    "type": "function",
                    "name": "loose",
                    "strict": True,
                    "parameters": {"type": "object", "properties": {"a": {"type": "string"}}},
                }
            ],
            None,
            "tools[0].parameters",
        ),
        (TOOLS, {"type": "function", "name": "get_stock"}, "tool_choice"),
        (TOOLS, "sometimes", "tool_choice"),
        (None, "required", "tool_choice"),
    ],
)
def test_invalid_tools_get_azures_400_naming_the_field(sdk: openai.OpenAI, tools, tool_choice, param) -> None:  # type: ignore[no-untyped-def]
    kwargs = {k: v for k, v in (("tools", tools), ("tool_choice", tool_choice)) if v is not None}
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="gpt-4o", input="hi", **kwargs)
    assert err.value.body["param"] == param
    assert err.value.body["type"] == "invalid_request_error" and err.value.body["message"]


@pytest.fixture(scope="module")
def seeded() -> Iterator[SimulatorThread]:
    with SimulatorThread([default_region("eastus2", KEY, latency_scale=0)], seed=99) as sim:
        yield sim


def test_the_same_seed_gives_the_same_calls_and_ids(seeded: SimulatorThread) -> None:
    def run() -> list[tuple[str, str, str]]:
        seeded.reset()
        sdk = client(seeded, "v1")
        out = []
        for prompt in ("hello", "hi there", "use get_time"):
            response = sdk.responses.create(model="gpt-4o", input=prompt, tools=TOOLS)
            out += [(response.id, i.type, getattr(i, "call_id", None) or i.content[0].text) for i in response.output]
        return out

    first = run()
    assert first == run()
    assert len({row[0] for row in first}) == 3
