"""`tools`: an agent's turn. A chat completion offered one small function with tool_choice
"required" must call it with arguments its schema accepts; the follow-up carrying the tool's
result must answer in text. Both answers are checked (probes/answers.py): a wrong shape is a
`bad_response` row, whatever the status. Tokens and cost are the two requests' sum; the latency is
the whole turn's."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..answers import text_answer, tool_calls
from ..context import ProbeContext, record_headers, record_usage

NAME = "tools"
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True
MIN_TOKENS = 64  # a call's arguments are completion tokens: max_tokens 8 would cut them short

TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
RESULT = json.dumps({"temperature": 4, "unit": "celsius"})  # what the "tool" returns


async def run(ctx: ProbeContext) -> None:
    # a fresh nonce every time, so no prompt cache can answer for the service
    asked = [
        {
            "role": "user",
            "content": f"What is the weather in Stockholm? Use get_weather. Probe {uuid.uuid4().hex[:12]}.",
        }
    ]
    max_tokens = max(MIN_TOKENS, ctx.max_tokens)
    raw = await ctx.client.chat.completions.with_raw_response.create(
        model=ctx.target.deployment, messages=asked, tools=[TOOL], tool_choice="required", max_tokens=max_tokens
    )
    record_headers(ctx.result, raw.headers)
    first = raw.parse()
    ctx.result.model_version = first.model
    record_usage(ctx.result, first.usage)
    calls = tool_calls(first, TOOL)
    follow_up = [
        *asked,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.function.name, "arguments": c.function.arguments},
                }
                for c in calls
            ],
        },
        *({"role": "tool", "tool_call_id": c.id, "content": RESULT} for c in calls),
    ]
    raw = await ctx.client.chat.completions.with_raw_response.create(
        model=ctx.target.deployment, messages=follow_up, tools=[TOOL], tool_choice="auto", max_tokens=max_tokens
    )
    record_headers(ctx.result, raw.headers)
    second = raw.parse()
    record_usage(ctx.result, second.usage)
    text_answer(second)
