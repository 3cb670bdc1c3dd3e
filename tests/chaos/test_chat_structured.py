"""Structured outputs on chat completions through the real openai SDK on both URL styles:
`response_format` json_schema (strict honoured) and json_object, parsed by `parse()` and the
stream helper, and the schemas Azure refuses."""

from __future__ import annotations

import json
from enum import StrEnum

import jsonschema
import openai
import pydantic
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.chat_clients import client, user

pytestmark = pytest.mark.usefixtures("chat_sim")


class Colour(StrEnum):
    red = "red"
    blue = "blue"


class Address(pydantic.BaseModel):
    street: str
    postcode: str


class Person(pydantic.BaseModel):
    name: str
    age: int
    colour: Colour
    address: Address
    nicknames: list[str]
    partner: Person | None


def test_parse_returns_a_populated_pydantic_object(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.parse(
        model="gpt-4o", messages=user("Describe someone."), response_format=Person
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    person = choice.message.parsed
    assert isinstance(person, Person)
    assert person.name and isinstance(person.age, int) and person.colour in Colour
    assert person.address.street and person.nicknames
    assert json.loads(choice.message.content) == person.model_dump(mode="json")


def test_stream_helper_parses_the_streamed_json(chat_sim: SimulatorThread, style: str) -> None:
    with client(chat_sim, style).chat.completions.stream(
        model="gpt-4o", messages=user("Describe someone."), response_format=Person
    ) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(deltas) > 3  # the JSON arrives in pieces
    assert isinstance(final.choices[0].message.parsed, Person)


def test_json_schema_instance_is_valid_against_a_hand_written_schema(chat_sim: SimulatorThread, style: str) -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "integer", "minimum": 10}, "minItems": 3},
            "mode": {"enum": ["fast", "slow"]},
            "ratio": {"type": "number", "exclusiveMaximum": 1},
            "when": {"type": "string", "format": "date-time"},
        },
        "required": ["items", "mode", "ratio", "when"],
        "additionalProperties": False,
    }
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o",
        messages=user("x"),
        response_format={"type": "json_schema", "json_schema": {"name": "report", "schema": schema, "strict": True}},
    )
    jsonschema.validate(json.loads(completion.choices[0].message.content), schema)


def test_json_object_answers_a_json_object(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("Answer in JSON."), response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


def test_streamed_json_object_adds_up_to_a_json_object(chat_sim: SimulatorThread, style: str) -> None:
    stream = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("Answer in JSON."), response_format={"type": "json_object"}, stream=True
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert isinstance(json.loads(text), dict)


def test_json_object_without_the_word_json_in_the_messages_is_refused(chat_sim: SimulatorThread, style: str) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client(chat_sim, style).chat.completions.create(
            model="gpt-4o", messages=user("Answer."), response_format={"type": "json_object"}
        )
    assert refused.value.param == "messages"
    assert "must contain the word 'json'" in refused.value.message


def test_strict_schema_with_an_open_object_is_refused(chat_sim: SimulatorThread, style: str) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    with pytest.raises(openai.BadRequestError) as refused:
        client(chat_sim, style).chat.completions.create(
            model="gpt-4o",
            messages=user("x"),
            response_format={"type": "json_schema", "json_schema": {"name": "thing", "schema": schema, "strict": True}},
        )
    assert refused.value.status_code == 400 and refused.value.param == "response_format"
    assert refused.value.body["message"].startswith("Invalid schema for response_format 'thing': In context=(), ")
    assert "'additionalProperties' is required to be supplied and to be false" in refused.value.message


def test_same_open_schema_is_accepted_without_strict(chat_sim: SimulatorThread, style: str) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o",
        messages=user("x"),
        response_format={"type": "json_schema", "json_schema": {"name": "thing", "schema": schema}},
    )
    assert json.loads(completion.choices[0].message.content)["a"]


def test_length_cuts_the_json_and_parse_raises_length_finish(chat_sim: SimulatorThread, style: str) -> None:
    with pytest.raises(openai.LengthFinishReasonError):
        client(chat_sim, style).chat.completions.parse(
            model="gpt-4o", messages=user("x"), response_format=Person, max_tokens=5
        )
