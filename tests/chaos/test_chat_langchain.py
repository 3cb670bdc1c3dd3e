"""langchain-openai against the simulator's chat completions on both URL styles: `ChatOpenAI` on the
v1 path and `AzureChatOpenAI` on the legacy one; tools bound, invoked and streamed,
`with_structured_output` by function calling and by json_schema, and the agent loop.

langchain is imported in a fixture, not at collection (it takes seconds to import)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import API_VERSION
from tests.conftest import KEY

pytestmark = pytest.mark.usefixtures("chat_sim")


class Weather(pydantic.BaseModel):
    """The weather in a city."""

    city: str = pydantic.Field(description="the city")
    celsius: int


class Forecast(pydantic.BaseModel):
    summary: str
    days: list[Weather]


def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city, in celsius or fahrenheit."""
    return f"21 degrees {unit} in {city}"


@pytest.fixture
def model(chat_sim: SimulatorThread, style: str) -> Any:
    from langchain_openai import AzureChatOpenAI, ChatOpenAI

    if style == "v1":
        return ChatOpenAI(base_url=chat_sim.base_url("eastus2"), api_key=KEY, model="gpt-4o", max_retries=0)
    return AzureChatOpenAI(
        azure_endpoint=chat_sim.urls["eastus2"],
        api_version=API_VERSION,
        azure_deployment="gpt-4o",
        api_key=KEY,
        max_retries=0,
    )


def test_bound_tools_invoke_returns_parsed_tool_calls(model: Any) -> None:
    reply = model.bind_tools([get_weather], tool_choice="required").invoke("What is the weather in Paris?")
    (call,) = reply.tool_calls
    assert call["name"] == "get_weather" and call["id"].startswith("call_")
    assert isinstance(call["args"]["city"], str)
    assert reply.response_metadata["finish_reason"] == "tool_calls"


def test_streamed_tool_call_chunks_accumulate_into_the_call(model: Any) -> None:
    bound = model.bind_tools([get_weather], tool_choice="get_weather")
    total = None
    count = 0
    for chunk in bound.stream("What is the weather in Paris?"):
        total = chunk if total is None else total + chunk
        count += 1
    assert count > 3 and total is not None
    (call,) = total.tool_calls
    assert call["name"] == "get_weather" and isinstance(call["args"]["city"], str)
    assert not total.invalid_tool_calls


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_returns_a_populated_object(model: Any, method: str) -> None:
    forecast = model.with_structured_output(Forecast, method=method).invoke("Forecast for Oslo, in JSON.")
    assert isinstance(forecast, Forecast)
    assert forecast.summary and forecast.days and isinstance(forecast.days[0].celsius, int)


def test_agent_loop_calls_the_tool_then_answers(model: Any) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    bound = model.bind_tools([get_weather])
    messages: list[Any] = [HumanMessage("What is the weather in Paris? Use get_weather.")]
    first = bound.invoke(messages)
    (call,) = first.tool_calls
    messages += [first, ToolMessage(get_weather(**call["args"]), tool_call_id=call["id"])]
    second = bound.invoke(messages)
    assert not second.tool_calls and isinstance(second.content, str) and second.content
    assert second.response_metadata["finish_reason"] == "stop"
