"""LiteLLM's Azure provider (`model="azure/<deployment>"`, the legacy dated path) against the
simulator's chat completions: tools, streamed tool calls, structured output and the agent loop.

LiteLLM is imported once per module in a fixture, offline (`LITELLM_LOCAL_MODEL_COST_MAP=True`
keeps it from fetching its price map), and not at collection: it takes seconds to import."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import jsonschema
import pydantic
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import API_VERSION, WEATHER, user
from tests.conftest import KEY

pytestmark = [
    pytest.mark.usefixtures("chat_sim"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),  # litellm's types
]


@pytest.fixture(scope="module")
def litellm() -> Iterator[Any]:
    saved = os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP")
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    yield litellm
    if saved is None:
        os.environ.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
    else:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = saved


@pytest.fixture
def complete(litellm: Any, chat_sim: SimulatorThread) -> Any:
    def call(**kwargs: Any) -> Any:
        return litellm.completion(
            model="azure/gpt-4o",
            api_base=chat_sim.urls["eastus2"],
            api_version=API_VERSION,
            api_key=KEY,
            num_retries=0,
            **kwargs,
        )

    return call


def test_tool_call_arguments_valid_against_the_schema(complete: Any) -> None:
    response = complete(messages=user("What now?"), tools=[WEATHER], tool_choice="required")
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


def test_streamed_tool_call_is_rebuilt_by_stream_chunk_builder(litellm: Any, complete: Any) -> None:
    messages = user("Use get_weather.")
    chunks = list(complete(messages=messages, tools=[WEATHER], stream=True))
    rebuilt = litellm.stream_chunk_builder(chunks, messages=messages)
    (call,) = rebuilt.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


class Person(pydantic.BaseModel):
    name: str
    age: int


def test_response_format_pydantic_gives_json_that_validates(complete: Any) -> None:
    response = complete(messages=user("Someone, please."), response_format=Person)
    person = Person.model_validate_json(response.choices[0].message.content)
    assert person.name and isinstance(person.age, int)


def test_agent_loop_calls_the_tool_then_answers(complete: Any) -> None:
    messages: list[dict[str, Any]] = user("Weather in Paris? Use get_weather.")
    first = complete(messages=messages, tools=[WEATHER])
    (call,) = first.choices[0].message.tool_calls
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"celsius": 21}'})
    second = complete(messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
