"""What a right answer is, for the probe kinds that ask for a shape (`tools`, `structured`): a
tool call whose arguments parse and match the function's schema, a text answer, a JSON document
the response format's schema accepts. A 200 that is not one is `WrongAnswer` (the probe's
`bad_response`, with the HTTP status it came with), never a crash: the SDK builds its objects
without validating them, so every field read here may be missing or of any type.

The schemas checked are the probes' own: objects of strings, enums, booleans, numbers and arrays.
`mismatch` checks exactly the keywords they use (type, properties, required,
additionalProperties, enum, items) and no more.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["WrongAnswer", "json_document", "mismatch", "text_answer", "tool_calls"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


class WrongAnswer(Exception):
    """A 200 that does not answer what was asked (no tool call, arguments or JSON the schema
    refuses, no text after the tool result). The message says what came instead."""


def mismatch(value: Any, schema: Mapping[str, Any], where: str = "$") -> str | None:
    """The first way `value` breaks `schema` ("$.unit: 'kelvin' is not one of ..."), None if none."""
    kind = schema.get("type")
    if kind is not None:
        wanted = _TYPES[kind]
        # JSON's true is no number, and 1.0 is no integer's stand-in for a string
        if not isinstance(value, wanted) or (isinstance(value, bool) and kind != "boolean"):
            return f"{where}: expected {kind}, got {type(value).__name__}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: {_short(value)} is not one of {', '.join(map(str, schema['enum']))}"
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        missing = [key for key in schema.get("required", ()) if key not in value]
        if missing:
            return f"{where}: missing {', '.join(missing)}"
        if schema.get("additionalProperties") is False:
            extra = [key for key in value if key not in properties]
            if extra:
                return f"{where}: unexpected {', '.join(map(str, extra))}"
        for key, item in value.items():
            if key in properties:
                found = mismatch(item, properties[key], f"{where}.{key}")
                if found:
                    return found
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found = mismatch(item, schema["items"], f"{where}[{i}]")
            if found:
                return found
    return None


def json_document(text: Any, what: str) -> Any:
    """`text` parsed as JSON, or WrongAnswer naming `what` and the start of what came."""
    if not isinstance(text, str):
        raise WrongAnswer(f"{what} is not text ({type(text).__name__})")
    try:
        return json.loads(text)
    except ValueError:
        raise WrongAnswer(f"{what} is not JSON: {_short(text)}") from None


def _choice(completion: Any) -> Any:
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise WrongAnswer("the answer has no choices")
    return choices[0]


def tool_calls(completion: Any, tool: Mapping[str, Any]) -> list[Any]:
    """The answer's tool calls, each one of `tool` (a chat `tools` entry) with arguments its
    schema accepts; WrongAnswer for an answer in text, another function, or arguments that do not
    parse or match."""
    choice = _choice(completion)
    calls = getattr(getattr(choice, "message", None), "tool_calls", None)
    if not isinstance(calls, list) or not calls:
        raise WrongAnswer(f"expected a tool call, got finish_reason {_short(getattr(choice, 'finish_reason', None))}")
    function = tool["function"]
    for call in calls:
        called = getattr(call, "function", None)
        name = getattr(called, "name", None)
        if name != function["name"]:
            raise WrongAnswer(f"expected a call of {function['name']}, got {_short(name)}")
        if not isinstance(getattr(call, "id", None), str):
            raise WrongAnswer("the tool call has no id to answer it with")
        arguments = json_document(getattr(called, "arguments", None), "the tool call's arguments")
        found = mismatch(arguments, function["parameters"])
        if found:
            raise WrongAnswer(f"the tool call's arguments do not match {function['name']}'s schema: {found}")
    return calls


def text_answer(completion: Any) -> str:
    """The answer's text; WrongAnswer when it has none (a tool call again, an empty message)."""
    choice = _choice(completion)
    content = getattr(getattr(choice, "message", None), "content", None)
    if not isinstance(content, str) or not content.strip():
        raise WrongAnswer(f"expected a text answer, got finish_reason {_short(getattr(choice, 'finish_reason', None))}")
    return content


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
