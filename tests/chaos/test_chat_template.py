"""chaos/simulator/chat.py's template: the single-choice answers it renders (a text or a JSON
document, tool calls written by `tool_calls_json`) are the objects chat_reply.completion builds."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from aoai_watch.chaos.simulator import chat, chat_choices, chat_reply, chat_request
from aoai_watch.chaos.simulator.model import DeploymentSpec

from tests.chaos.chat_clients import WEATHER, user

DEPLOYMENT = DeploymentSpec.for_model("gpt-4o", "gpt-4o")
SCHEMA = {
    "type": "object",
    "properties": {"region": {"type": "string"}, "ok": {"type": "boolean"}},
    "required": ["region", "ok"],
    "additionalProperties": False,
}
# (what the request sets, the choice's finish_reason, how many tools it calls)
CASES: dict[str, tuple[dict[str, Any], str, int]] = {
    "tool call": ({"tools": [WEATHER], "tool_choice": "required"}, "tool_calls", 1),
    "two parallel tool calls": (
        {
            "messages": user("get_weather, then get_time"),
            "tools": [WEATHER, {"type": "function", "function": {"name": "get_time"}}],
        },
        "tool_calls",
        2,
    ),
    "tool arguments cut by max_tokens": ({"tools": [WEATHER], "tool_choice": "required", "max_tokens": 3}, "length", 1),
    "json_schema": (
        {"response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": SCHEMA}}},
        "stop",
        0,
    ),
    "json_object": ({"messages": user("answer in json"), "response_format": {"type": "json_object"}}, "stop", 0),
    "seeded text": ({"seed": 3}, "stop", 0),
    "text cut at a stop sequence": ({"stop": ["e"], "seed": 3}, "stop", 0),
}


@pytest.mark.parametrize("case", CASES)
def test_the_template_renders_what_chat_reply_builds(case: str) -> None:
    extra, finish, calls_made = CASES[case]
    body = {"model": "gpt-4o", "messages": user("hi"), **extra}
    request = chat_request.parse(body, DEPLOYMENT)
    [choice] = chat_choices.generate(request, random.Random(7), 24, None)
    assert (choice.finish, len(choice.calls)) == (finish, calls_made)  # the case is on the path it names
    calls = chat.tool_calls_json(choice) if choice.calls else None
    rendered = chat.render_completion(
        "chatcmpl-1", 1700000000, "2024-11-20", choice.finish, "".join(choice.pieces), 42, choice.tokens, calls
    )
    base = {"id": "chatcmpl-1", "created": 1700000000, "model": "2024-11-20", "system_fingerprint": chat.FINGERPRINT}
    assert json.loads(rendered) == chat_reply.completion(base, request, [choice], 42)
