"""The `input` of a Responses request: its items checked, paired with the function calls they
answer, counted in tokens, and read for what the answer should do.

Items are kept as sent (a string input becomes one user message), so a stored conversation is the
caller's items plus the answer's output items, which a chained follow-up extends. A
`function_call_output` must answer a `function_call` the conversation holds: one in the stored
chain (`previous_response_id`) or one the caller resends in the same input (manual chaining);
otherwise the service's 400 "No tool call found for function call output with call_id ...".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from . import tokens
from .invalid import missing, refuse, wrong_type

__all__ = ["Turn", "count_tokens", "parse", "prompt_chars", "require_calls_answered"]

_ROLES = ("assistant", "system", "developer", "user")


@dataclass(frozen=True, slots=True)
class Turn:
    """This request's input items and what they say about the answer.

    `prompt` is the text of its messages (what may name a tool); `after_tool_result` is true when
    the last item is a function call's output (the agent loop's second turn)."""

    items: list[dict[str, Any]]
    prompt: str
    after_tool_result: bool


def _require_string(item: Mapping[str, Any], key: str, where: str) -> None:
    value = item.get(key)
    if value is None:
        raise missing(f"{where}.{key}")
    if not isinstance(value, str):
        raise wrong_type(f"{where}.{key}", "a string", value)


def _check(item: Mapping[str, Any], where: str) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        if role not in _ROLES:
            raise refuse(
                f"Invalid value: {role!r}. Supported values are: 'assistant', 'system', 'developer', and 'user'.",
                f"{where}.role",
            )
        if not isinstance(item.get("content"), str | list):
            raise wrong_type(f"{where}.content", "a string or an array of content parts", item.get("content"))
    elif kind == "function_call":
        for key in ("call_id", "name", "arguments"):
            _require_string(item, key, where)
    elif kind == "function_call_output":
        _require_string(item, "call_id", where)
        if not isinstance(item.get("output"), str | list):
            raise wrong_type(f"{where}.output", "a string or an array of content parts", item.get("output"))
    # other item types (reasoning, item_reference, hosted tool calls) pass as sent


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def parse(raw: Any) -> Turn:
    """The request's `input` as items; 400 for anything the service would refuse."""
    if isinstance(raw, str):
        items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": raw}]
    elif isinstance(raw, list) and raw and all(isinstance(i, dict) for i in raw):
        items = raw
        for i, item in enumerate(items):
            _check(item, f"input[{i}]")
    else:
        raise refuse("'input' must be a string or a non-empty array of input items.", "input")
    prompt = " ".join(_text(i.get("content")) for i in items if i.get("type", "message") == "message")
    return Turn(items, prompt, items[-1].get("type") == "function_call_output")


def require_calls_answered(history: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]]) -> None:
    """400 for a function call output whose call the conversation does not hold."""
    outputs = [i for i in items if i.get("type") == "function_call_output"]
    if not outputs:
        return
    calls = {i.get("call_id") for i in (*history, *items) if i.get("type") == "function_call"}
    for output in outputs:
        if output["call_id"] not in calls:
            raise refuse(
                f"No tool call found for function call output with call_id {output['call_id']}.", "input", None
            )


def _item_text(item: Mapping[str, Any]) -> str:
    kind = item.get("type", "message")
    if kind == "function_call":
        return f"{item.get('name', '')} {item.get('arguments', '')}"
    if kind == "function_call_output":
        return _text(item.get("output"))
    return _text(item.get("content"))


def count_tokens(instructions: Any, conversation: Iterable[Mapping[str, Any]], tools: Sequence[Any]) -> int:
    """Input tokens: the instructions, every item of the conversation (4 tokens of framing each,
    as for chat messages), and the tool definitions the model reads."""
    total = 3 + (4 + tokens.text_tokens(instructions) if isinstance(instructions, str) else 0)
    for item in conversation:
        total += 4 + tokens.text_tokens(_item_text(item))
    if tools:
        total += tokens.text_tokens(orjson.dumps(tools).decode())
    return total


def prompt_chars(instructions: Any, items: Iterable[Mapping[str, Any]]) -> int:
    """Characters of text this request sends (its instructions and input items): the span the
    prompt filter judges, which Azure reports in `content_filters`' offsets."""
    return (len(instructions) if isinstance(instructions, str) else 0) + sum(len(_item_text(i)) for i in items)
