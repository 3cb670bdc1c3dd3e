"""`text` of a Responses request: the output format (plain text, `json_object`, or `json_schema`
structured output) and `verbosity`, checked as the service checks them and echoed the way the
Response object shows them.

Structured output is `schema.instance_json(schema)`: an instance the caller's schema accepts, built
once per distinct schema and cached, so `client.responses.parse(text_format=Model)` gets a
populated `output_parsed`. `json_object` answers a free-form, non-empty JSON object.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import schema
from .invalid import missing, refuse, wrong_type

__all__ = ["PLAIN", "TextSetup", "parse"]

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_VERBOSITY = ("low", "medium", "high")
_FREE_OBJECT: dict[str, Any] = {"type": "object"}  # what json_object mode fills: a non-empty object


@dataclass(frozen=True, slots=True)
class TextSetup:
    """The output format: `schema` for json_schema, `json_object` for free-form JSON, neither for
    plain text; `echo` is the Response's `text` field."""

    schema: Mapping[str, Any] | None
    json_object: bool
    echo: dict[str, Any]

    @property
    def json_text(self) -> str | None:
        """The JSON text the answer carries, or None for a plain-text answer."""
        if self.schema is not None:
            return schema.instance_json(self.schema)
        return schema.instance_json(_FREE_OBJECT) if self.json_object else None


PLAIN = TextSetup(None, False, {"format": {"type": "text"}, "verbosity": "medium"})


def _json_schema(raw: dict[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
    name = raw.get("name")
    if name is None:
        raise missing("text.format.name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise refuse(
            "Invalid 'text.format.name': string does not match pattern. Expected a string that matches the pattern "
            "'^[a-zA-Z0-9_-]{1,64}$'.",
            "text.format.name",
        )
    body = raw.get("schema")
    if body is None:
        raise missing("text.format.schema")
    strict = raw.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise wrong_type("text.format.strict", "a boolean", strict)
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise wrong_type("text.format.description", "a string", description)
    problem = schema.schema_problem(body, strict is True)
    if problem:
        raise refuse(
            f"Invalid schema for response_format '{name}': {problem}", "text.format.schema", "invalid_json_schema"
        )
    # the schema's `description` is a string, not nullable: shown only when the caller sent one
    echo = {"type": "json_schema", "name": name, "schema": body, "strict": strict is True}
    if description is not None:
        echo["description"] = description
    return body, echo


def parse(body: Mapping[str, Any]) -> TextSetup:
    """The request's output format; PLAIN when it sets none."""
    text = body.get("text")
    if text is None:
        return PLAIN
    if not isinstance(text, dict):
        raise wrong_type("text", "an object", text)
    verbosity = text.get("verbosity", "medium")
    if verbosity is not None and verbosity not in _VERBOSITY:
        raise refuse(
            f"Invalid value: {verbosity!r}. Supported values are: 'low', 'medium', and 'high'.", "text.verbosity"
        )
    raw = text.get("format")
    if raw is None:
        return TextSetup(None, False, {"format": {"type": "text"}, "verbosity": verbosity})
    if not isinstance(raw, dict):
        raise wrong_type("text.format", "an object", raw)
    kind = raw.get("type")
    if kind == "text":
        return TextSetup(None, False, {"format": {"type": "text"}, "verbosity": verbosity})
    if kind == "json_object":
        return TextSetup(None, True, {"format": {"type": "json_object"}, "verbosity": verbosity})
    if kind == "json_schema":
        found, echo = _json_schema(raw)
        return TextSetup(found, False, {"format": echo, "verbosity": verbosity})
    if kind is None:
        raise missing("text.format.type")
    raise refuse(
        f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object', and 'json_schema'.", "text.format.type"
    )
