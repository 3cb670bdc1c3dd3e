"""chaos/simulator/schema.py: instances the caller's schema accepts, and the schemas Azure refuses."""

from __future__ import annotations

import json
from typing import Literal

import jsonschema
import pytest
from aoai_watch.chaos.simulator import schema
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel


class Address(BaseModel):
    street: str
    postcode: str | None = None


class Person(BaseModel):
    name: str
    age: int
    role: Literal["admin", "user"]
    tags: list[str]
    address: Address
    friends: list[Person] = []
    score: float | None


class Node(BaseModel):
    label: str
    next: Node | None  # required in the strict form: the chain ends with a null


SCHEMAS = {
    "a required, nullable self-reference (strict pydantic)": to_strict_json_schema(Node),
    "pydantic, recursive through $defs": Person.model_json_schema(),
    "the SDK's strict form": to_strict_json_schema(Person),
    "bounded integer": {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 9, "multipleOf": 3}},
        "required": ["n"],
    },
    "exclusive bounds": {"type": "object", "properties": {"x": {"type": "number", "exclusiveMinimum": 0}}},
    "exclusive upper bounds": {
        "type": "object",
        "properties": {
            "ratio": {"type": "number", "exclusiveMaximum": 1},
            "narrow": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "count": {"type": "integer", "exclusiveMaximum": 1},
        },
        "required": ["ratio", "narrow", "count"],
    },
    "enum array with minItems": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 2},
    "formats and nullable unions": {
        "type": "object",
        "properties": {"when": {"type": ["string", "null"], "format": "date-time"}, "id": {"format": "uuid"}},
        "required": ["when"],
        "additionalProperties": False,
    },
    "string lengths": {"type": "string", "minLength": 40, "maxLength": 41},
    "allOf merge": {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "boolean"}}, "required": ["b"]},
        ]
    },
    "nested arrays of objects": {
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"k": {"type": "string"}, "v": {"type": "array", "items": {"type": "integer"}}},
                    "required": ["k", "v"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["rows"],
        "additionalProperties": False,
    },
    "const": {"type": "object", "properties": {"kind": {"const": "fixed"}}, "required": ["kind"]},
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_instance_is_valid_against_its_schema(name: str) -> None:
    value = json.loads(schema.instance_json(SCHEMAS[name]))
    jsonschema.validate(value, SCHEMAS[name])


def test_pydantic_reads_the_instance_back_populated() -> None:
    person = Person.model_validate_json(schema.instance_json(to_strict_json_schema(Person)))
    assert person.tags and person.address.street and person.role == "admin"


def test_a_cycle_no_finite_instance_satisfies_is_cut_without_an_error() -> None:
    endless = {"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}
    assert json.loads(schema.instance_json(endless))["next"]  # built to a bounded depth, not a RecursionError


def test_a_free_form_object_is_never_empty() -> None:
    assert json.loads(schema.instance_json({"type": "object"})) != {}


def test_the_instance_is_built_once_per_distinct_schema() -> None:
    first = schema.instance_json({"type": "object", "properties": {"q": {"type": "string"}}})
    again = schema.instance_json({"properties": {"q": {"type": "string"}}, "type": "object"})  # same, reordered
    assert again is first


def test_strict_schemas_follow_the_structured_outputs_rules() -> None:
    assert schema.schema_problem(to_strict_json_schema(Person), strict=True) is None
    assert "additionalProperties" in str(schema.schema_problem(Person.model_json_schema(), strict=True))
    missing = {"type": "object", "properties": {"a": {"type": "string"}}, "required": [], "additionalProperties": False}
    assert "Missing 'a'" in str(schema.schema_problem(missing, strict=True))
    assert 'type: "array"' in str(schema.schema_problem({"type": "array"}, strict=True))
    assert schema.schema_problem(Person.model_json_schema(), strict=False) is None


def test_invalid_schemas_are_refused_in_any_mode() -> None:
    assert "'objekt'" in str(schema.schema_problem({"type": "object", "properties": {"a": {"type": "objekt"}}}, False))
    assert schema.schema_problem(["not", "an", "object"], strict=False) is not None
