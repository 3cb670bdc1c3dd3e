"""The parts of OpenAI's published `Response` and `ResponseStreamEvent` schemas the simulator's
Responses answers must satisfy, transcribed for the tests (required fields, types, enums,
nullability) from the components of the same names in openai/openai-openapi `openapi.json`:
https://github.com/openai/openai-openapi/blob/f85dbe223d40e1a31cba812ab2d755c7e98a92a3/openapi.json
(`Response`, `ModelResponseProperties`, `ResponseProperties`, `ResponseUsage`, `OutputMessage`,
`OutputTextContent`, `FunctionToolCall`, `FunctionTool`, `ToolChoiceParam`,
`TextResponseFormatConfiguration`, and the `Response*Event` schemas).

Not the whole document: only what these answers use. Kept here as data so a test fails with the
schema's own words (jsonschema's message) when a field the schema requires goes missing.
"""

from __future__ import annotations

from typing import Any

import jsonschema

_STRING = {"type": "string"}
_INT = {"type": "integer"}
_NULLABLE_INT = {"type": ["integer", "null"]}
_STATUS_ITEM = {"enum": ["in_progress", "completed", "incomplete"]}

USAGE = {
    "type": "object",
    "required": ["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"],
    "properties": {
        "input_tokens": _INT,
        "input_tokens_details": {
            "type": "object",
            "required": ["cached_tokens", "cache_write_tokens"],
            "properties": {"cached_tokens": _INT, "cache_write_tokens": _INT},
        },
        "output_tokens": _INT,
        "output_tokens_details": {
            "type": "object",
            "required": ["reasoning_tokens"],
            "properties": {"reasoning_tokens": _INT},
        },
        "total_tokens": _INT,
    },
}
OUTPUT_TEXT = {
    "type": "object",
    "required": ["type", "text", "annotations", "logprobs"],
    "properties": {
        "type": {"const": "output_text"},
        "text": _STRING,
        "annotations": {"type": "array"},
        "logprobs": {"type": "array"},
    },
}
MESSAGE = {
    "type": "object",
    "required": ["id", "type", "role", "content", "status"],
    "properties": {
        "id": _STRING,
        "type": {"const": "message"},
        "role": {"const": "assistant"},
        "content": {"type": "array", "items": OUTPUT_TEXT},
        "status": _STATUS_ITEM,
    },
}
FUNCTION_CALL = {
    "type": "object",
    "required": ["type", "call_id", "name", "arguments"],
    "properties": {
        "id": _STRING,
        "type": {"const": "function_call"},
        "call_id": _STRING,
        "name": _STRING,
        "arguments": _STRING,
        "status": _STATUS_ITEM,
    },
}
OUTPUT_ITEM = {"oneOf": [MESSAGE, FUNCTION_CALL]}
FUNCTION_TOOL = {
    "type": "object",
    "required": ["type", "name", "strict", "parameters"],
    "properties": {
        "type": {"const": "function"},
        "name": _STRING,
        "description": {"type": ["string", "null"]},
        "parameters": {"type": ["object", "null"]},
        "strict": {"type": ["boolean", "null"]},
    },
}
TOOL_CHOICE = {
    "oneOf": [
        {"enum": ["none", "auto", "required"]},
        {
            "type": "object",
            "required": ["type", "name"],
            "properties": {"type": {"const": "function"}, "name": _STRING},
        },
        {
            "type": "object",
            "required": ["type", "mode", "tools"],
            "properties": {"type": {"const": "allowed_tools"}, "mode": {"enum": ["auto", "required"]}},
        },
    ]
}
TEXT_FORMAT = {
    "oneOf": [
        {"type": "object", "required": ["type"], "properties": {"type": {"const": "text"}}},
        {"type": "object", "required": ["type"], "properties": {"type": {"const": "json_object"}}},
        {
            "type": "object",
            "required": ["type", "schema", "name"],
            "properties": {
                "type": {"const": "json_schema"},
                "name": _STRING,
                "description": _STRING,
                "schema": {"type": "object"},
                "strict": {"type": ["boolean", "null"]},
            },
        },
    ]
}
RESPONSE = {
    "type": "object",
    "required": [
        "id",
        "object",
        "created_at",
        "error",
        "incomplete_details",
        "instructions",
        "model",
        "tools",
        "output",
        "parallel_tool_calls",
        "metadata",
        "tool_choice",
        "temperature",
        "top_p",
    ],
    "properties": {
        "id": _STRING,
        "object": {"const": "response"},
        "status": {"enum": ["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]},
        "created_at": {"type": "number"},
        "completed_at": {"type": ["number", "null"]},
        "error": {"type": ["object", "null"]},
        "incomplete_details": {
            "oneOf": [
                {"type": "null"},
                {"type": "object", "properties": {"reason": {"enum": ["max_output_tokens", "content_filter"]}}},
            ]
        },
        "instructions": {"type": ["string", "array", "null"]},
        "model": _STRING,
        "tools": {
            "type": "array",
            "items": {"if": {"properties": {"type": {"const": "function"}}}, "then": FUNCTION_TOOL},
        },
        "output": {"type": "array", "items": OUTPUT_ITEM},
        "parallel_tool_calls": {"type": "boolean"},
        "metadata": {"type": ["object", "null"], "additionalProperties": _STRING},
        "tool_choice": TOOL_CHOICE,
        "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
        "top_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "max_output_tokens": _NULLABLE_INT,
        "previous_response_id": {"type": ["string", "null"]},
        "background": {"type": ["boolean", "null"]},
        "text": {"type": "object", "properties": {"format": TEXT_FORMAT}},
        "truncation": {"enum": ["auto", "disabled", None]},
        "usage": USAGE,  # a ResponseUsage, never null: absent until the response is done
        "user": _STRING,
        "safety_identifier": {"type": ["string", "null"]},
        "reasoning": {"type": ["object", "null"]},
    },
}


def _event(kind: str, required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "sequence_number", *required],
        "properties": {"type": {"const": kind}, "sequence_number": _INT, **properties},
    }


_ITEM_IDS = {"item_id": _STRING, "output_index": _INT, "content_index": _INT}
EVENTS: dict[str, dict[str, Any]] = {
    "response.created": _event("response.created", ["response"], response=RESPONSE),
    "response.in_progress": _event("response.in_progress", ["response"], response=RESPONSE),
    "response.completed": _event("response.completed", ["response"], response=RESPONSE),
    "response.incomplete": _event("response.incomplete", ["response"], response=RESPONSE),
    "response.output_item.added": _event(
        "response.output_item.added", ["output_index", "item"], output_index=_INT, item=OUTPUT_ITEM
    ),
    "response.output_item.done": _event(
        "response.output_item.done", ["output_index", "item"], output_index=_INT, item=OUTPUT_ITEM
    ),
    "response.content_part.added": _event(
        "response.content_part.added", [*_ITEM_IDS, "part"], **_ITEM_IDS, part=OUTPUT_TEXT
    ),
    "response.content_part.done": _event(
        "response.content_part.done", [*_ITEM_IDS, "part"], **_ITEM_IDS, part=OUTPUT_TEXT
    ),
    "response.output_text.delta": _event(
        "response.output_text.delta", [*_ITEM_IDS, "delta", "logprobs"], **_ITEM_IDS, delta=_STRING
    ),
    "response.output_text.done": _event(
        "response.output_text.done", [*_ITEM_IDS, "text", "logprobs"], **_ITEM_IDS, text=_STRING
    ),
    "response.function_call_arguments.delta": _event(
        "response.function_call_arguments.delta",
        ["item_id", "output_index", "delta"],
        item_id=_STRING,
        output_index=_INT,
        delta=_STRING,
    ),
    "response.function_call_arguments.done": _event(
        "response.function_call_arguments.done",
        ["item_id", "name", "output_index", "arguments"],
        item_id=_STRING,
        name=_STRING,
        output_index=_INT,
        arguments=_STRING,
    ),
}

_RESPONSE_VALIDATOR = jsonschema.Draft202012Validator(RESPONSE)
_EVENT_VALIDATORS = {kind: jsonschema.Draft202012Validator(s) for kind, s in EVENTS.items()}


def response_problems(body: dict[str, Any]) -> list[str]:
    """What the published Response schema says is wrong with `body` ([] when it is valid)."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in _RESPONSE_VALIDATOR.iter_errors(body)]


def event_problems(event: dict[str, Any]) -> list[str]:
    """Likewise for one stream event; an event type the schema does not list is a problem too."""
    validator = _EVENT_VALIDATORS.get(event.get("type", ""))
    if validator is None:
        return [f"unknown event type {event.get('type')!r}"]
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(event)]
