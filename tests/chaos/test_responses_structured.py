"""Structured outputs and output limits on the Responses API, with the real openai SDK on both path
styles: `text.format` json_schema (`client.responses.parse(text_format=Model)` returns a populated
`output_parsed`, streamed too) and json_object, the strict-schema 400s, `max_output_tokens`
reached (an incomplete response, streamed: `response.incomplete`), and out-of-range sampling
values refused. Bodies and events are checked against the published schemas."""

from __future__ import annotations

import json
from enum import StrEnum

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from pydantic import BaseModel

from tests.chaos.responses_clients import PATHS, assert_published, client, raw_body, raw_events


class Unit(StrEnum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


class Reading(BaseModel):
    hour: int
    value: float


class Forecast(BaseModel):
    city: str
    unit: Unit
    readings: list[Reading]
    note: str | None


@pytest.fixture(params=PATHS)
def sdk(request: pytest.FixtureRequest, sim: SimulatorThread) -> openai.OpenAI:
    return client(sim, request.param)


def test_parse_with_a_pydantic_model_returns_a_populated_output_parsed(sdk: openai.OpenAI) -> None:
    parsed = sdk.responses.parse(model="gpt-4o", input="forecast for Oslo", text_format=Forecast)
    forecast = parsed.output_parsed
    assert isinstance(forecast, Forecast)
    assert forecast.city and forecast.unit in Unit and forecast.readings and isinstance(forecast.readings[0], Reading)
    assert parsed.text.format.type == "json_schema" and parsed.text.format.name == "Forecast"


def test_the_json_schema_answer_and_its_echo_match_the_published_schema(sdk: openai.OpenAI) -> None:
    schema = Forecast.model_json_schema()
    fmt = {"type": "json_schema", "name": "forecast", "schema": schema}  # strict not sent: not enforced
    body = raw_body(sdk, model="gpt-4o", input="forecast", text={"format": fmt})
    assert_published(body)
    assert body["text"] == {"format": {**fmt, "strict": False}, "verbosity": "medium"}
    [message] = body["output"]
    Forecast.model_validate_json(message["content"][0]["text"])
    assert body["status"] == "completed" and body["usage"]["output_tokens"] > 0


def test_a_streamed_parse_delivers_the_parsed_object_in_the_final_response(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model="gpt-4o", input="forecast", text_format=Forecast) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert isinstance(final.output_parsed, Forecast)
    assert "".join(deltas) == final.output_text and len(deltas) > 1


def test_json_object_answers_a_non_empty_json_object(sdk: openai.OpenAI) -> None:
    response = sdk.responses.create(model="gpt-4o", input="answer in json", text={"format": {"type": "json_object"}})
    value = json.loads(response.output_text)
    assert isinstance(value, dict) and value
    assert response.text.format.type == "json_object"


@pytest.mark.parametrize(
    ("fmt", "param"),
    [
        # strict: every object needs additionalProperties false ...
        (
            {
                "type": "json_schema",
                "name": "a",
                "strict": True,
                "schema": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
            },
            "text.format.schema",
        ),
        # ... and every property listed in required
        (
            {
                "type": "json_schema",
                "name": "b",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"x": {"type": "string"}},
                    "required": [],
                    "additionalProperties": False,
                },
            },
            "text.format.schema",
        ),
        ({"type": "json_schema", "name": "c", "schema": {"type": "banana"}}, "text.format.schema"),
        ({"type": "json_schema", "schema": {"type": "object"}}, "text.format.name"),
        ({"type": "json_schema", "name": "d"}, "text.format.schema"),
        ({"type": "yaml"}, "text.format.type"),
    ],
)
def test_formats_azure_refuses_get_a_400_naming_the_field(sdk: openai.OpenAI, fmt, param) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="gpt-4o", input="x", text={"format": fmt})
    assert err.value.body["param"] == param and err.value.body["type"] == "invalid_request_error"


def test_max_output_tokens_reached_is_an_incomplete_response_cut_at_the_budget(sdk: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(12)}}
    fmt = {"type": "json_schema", "name": "wide", "schema": schema}
    body = raw_body(sdk, model="gpt-4o", input="x", max_output_tokens=16, text={"format": fmt})
    assert_published(body)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["completed_at"] is None and body["max_output_tokens"] == 16
    [message] = body["output"]
    assert message["status"] == "incomplete" and body["usage"]["output_tokens"] == 16
    with pytest.raises(json.JSONDecodeError):  # the JSON stops where the budget did
        json.loads(message["content"][0]["text"])
    plain = sdk.responses.create(model="gpt-4o", input="x", max_output_tokens=16)  # 12 words fit
    assert plain.status == "completed" and plain.incomplete_details is None


def test_a_streamed_answer_that_runs_out_of_tokens_ends_with_response_incomplete(sdk: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(12)}}
    events = raw_events(
        sdk,
        model="gpt-4o",
        input="x",
        max_output_tokens=16,
        text={"format": {"type": "json_schema", "name": "w", "schema": schema}},
    )
    assert_published(events=events)
    assert events[-1]["type"] == "response.incomplete" and "response.completed" not in [e["type"] for e in events]
    final = events[-1]["response"]
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert len(deltas) == 16 and "".join(deltas) == final["output"][0]["content"][0]["text"]
    assert sdk.responses.retrieve(final["id"]).status == "incomplete"  # stored as it ended


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("temperature", 5, "decimal_above_max_value"),
        ("temperature", -1, "decimal_below_min_value"),
        ("top_p", 1.5, "decimal_above_max_value"),
        ("max_output_tokens", 8, "invalid_value"),
        ("temperature", "hot", "invalid_type"),
    ],
)
def test_out_of_range_values_get_azures_400(sdk: openai.OpenAI, field: str, value: object, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="gpt-4o", input="x", **{field: value})  # type: ignore[arg-type]
    assert err.value.body["param"] == field and err.value.body["code"] == code


def test_a_bad_input_item_gets_a_400_naming_it(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="gpt-4o", input=[{"role": "robot", "content": "beep"}])  # type: ignore[list-item]
    assert err.value.body["param"] == "input[0].role"
