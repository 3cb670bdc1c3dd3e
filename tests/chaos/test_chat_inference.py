"""azure-ai-inference's `ChatCompletionsClient` pointed at a deployment's legacy path
(`{endpoint}/openai/deployments/{d}`, api-version 2024-10-21): tools, the streamed tool call,
a JSON-schema response format, validation errors and the agent loop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import (
    AssistantMessage,
    ChatCompletionsToolCall,
    ChatCompletionsToolDefinition,
    CompletionsFinishReason,
    FunctionCall,
    FunctionDefinition,
    JsonSchemaFormat,
    ToolMessage,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError

from tests.chaos.chat_clients import API_VERSION, WEATHER
from tests.conftest import KEY

pytestmark = pytest.mark.usefixtures("chat_sim")
TOOL = ChatCompletionsToolDefinition(
    function=FunctionDefinition(
        name=WEATHER["function"]["name"],
        description=WEATHER["function"]["description"],
        parameters=WEATHER["function"]["parameters"],
    )
)


@pytest.fixture
def inference(chat_sim: SimulatorThread) -> Iterator[ChatCompletionsClient]:
    with ChatCompletionsClient(
        endpoint=f"{chat_sim.urls['eastus2']}/openai/deployments/gpt-4o",
        credential=AzureKeyCredential(KEY),
        api_version=API_VERSION,
    ) as client:
        yield client


def test_tool_call_with_arguments_its_schema_accepts(inference: ChatCompletionsClient) -> None:
    response = inference.complete(messages=[UserMessage("What now?")], tools=[TOOL], tool_choice="required")
    choice = response.choices[0]
    assert choice.finish_reason == CompletionsFinishReason.TOOL_CALLS
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


def test_streamed_tool_call_updates_add_up_to_the_call(inference: ChatCompletionsClient) -> None:
    ids, names, arguments, finishes = [], [], "", []
    for update in inference.complete(messages=[UserMessage("Use get_weather.")], tools=[TOOL], stream=True):
        for choice in update.choices:
            for call in choice.delta.tool_calls or []:
                ids += [call.id] if call.id else []
                names += [call.function.name] if call.function.name else []
                arguments += call.function.arguments or ""
            finishes += [choice.finish_reason] if choice.finish_reason else []
    assert len(ids) == 1 and names == ["get_weather"] and finishes == [CompletionsFinishReason.TOOL_CALLS]
    jsonschema.validate(json.loads(arguments), WEATHER["function"]["parameters"])


def test_json_schema_response_format(inference: ChatCompletionsClient) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "celsius": {"type": "integer"}},
        "required": ["city", "celsius"],
        "additionalProperties": False,
    }
    response = inference.complete(
        messages=[UserMessage("Weather as JSON.")],
        response_format=JsonSchemaFormat(name="weather", schema=schema, strict=True),
    )
    jsonschema.validate(json.loads(response.choices[0].message.content), schema)


def test_a_bad_request_raises_with_azures_error(inference: ChatCompletionsClient) -> None:
    with pytest.raises(HttpResponseError) as refused:
        inference.complete(messages=[UserMessage("x")], temperature=3.0)
    assert refused.value.status_code == 400
    assert refused.value.error is not None and refused.value.error.code == "decimal_above_max_value"


def test_agent_loop_calls_the_tool_then_answers(inference: ChatCompletionsClient) -> None:
    question = UserMessage("Weather in Paris? Use get_weather.")
    first = inference.complete(messages=[question], tools=[TOOL])
    (call,) = first.choices[0].message.tool_calls
    echoed = ChatCompletionsToolCall(
        id=call.id, function=FunctionCall(name=call.function.name, arguments=call.function.arguments)
    )
    second = inference.complete(
        messages=[
            question,
            AssistantMessage(tool_calls=[echoed]),
            ToolMessage('{"celsius": 21}', tool_call_id=call.id),
        ],
        tools=[TOOL],
    )
    assert second.choices[0].finish_reason == CompletionsFinishReason.STOPPED and second.choices[0].message.content
