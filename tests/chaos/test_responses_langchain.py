"""langchain-openai on the Responses API (`ChatOpenAI(use_responses_api=True)`), offline against the
simulator over real sockets: `bind_tools` (forced and auto, the tool result answered in text,
streamed chunks that add up to the tool call) and `with_structured_output` with both methods."""

from __future__ import annotations

import jsonschema
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from tests.conftest import KEY


@tool
def get_weather(city: str, days: int) -> str:
    """The weather for a city over some days."""
    return "sunny"


class Weather(BaseModel):
    city: str
    celsius: int


ARGS_SCHEMA = get_weather.tool_call_schema.model_json_schema()


@pytest.fixture
def llm(sim: SimulatorThread) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o", base_url=sim.base_url("eastus2"), api_key=KEY, use_responses_api=True, max_retries=0
    )  # type: ignore[arg-type]


def test_bind_tools_forced_returns_a_tool_call_with_valid_args_and_the_result_is_answered_in_text(
    llm: ChatOpenAI,
) -> None:
    question = HumanMessage("What is the weather in Paris?")
    first = llm.bind_tools([get_weather], tool_choice="get_weather").invoke([question])
    assert isinstance(first, AIMessage)
    [call] = first.tool_calls
    assert call["name"] == "get_weather" and call["id"].startswith("call_")
    jsonschema.validate(call["args"], ARGS_SCHEMA)
    # LangChain resends the whole conversation (function_call item, then its output): manual chaining
    second = llm.bind_tools([get_weather]).invoke([question, first, ToolMessage("sunny", tool_call_id=call["id"])])
    assert second.tool_calls == [] and second.text


def test_bind_tools_auto_calls_the_tool_the_prompt_names(llm: ChatOpenAI) -> None:
    message = llm.bind_tools([get_weather]).invoke("Please use get_weather for Oslo.")
    assert [c["name"] for c in message.tool_calls] == ["get_weather"]


def test_streamed_chunks_add_up_to_the_tool_call(llm: ChatOpenAI) -> None:
    chunks = list(llm.bind_tools([get_weather], tool_choice="required").stream("weather in Rome"))
    assert len(chunks) > 2
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    [call] = total.tool_calls
    assert call["name"] == "get_weather"
    jsonschema.validate(call["args"], ARGS_SCHEMA)


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_with_structured_output_returns_a_populated_model(llm: ChatOpenAI, method: str) -> None:
    result = llm.with_structured_output(Weather, method=method).invoke("The weather in Lima?")  # type: ignore[arg-type]
    assert isinstance(result, Weather) and result.city and isinstance(result.celsius, int)
