"""The non-streamed chat completion for the answers the template does not cover (tools, n > 1,
logprobs, stop, JSON formats, seed, a filtered completion): the same shape as chat.py's template,
with a choice per `Choice`.

A choice that calls tools has `message.content` null and `message.tool_calls`, each
`{"id": "call_...", "type": "function", "function": {"name", "arguments"}}`.
"""

from __future__ import annotations

from typing import Any

from . import filters
from .chat_choices import Choice
from .chat_logprobs import choice_logprobs
from .chat_request import ChatRequest

FINGERPRINT = "fp_ee1d74bde0"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """The `usage` object: completion tokens summed over every choice."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def tool_calls(choice: Choice) -> list[dict[str, Any]]:
    return [
        {"id": call.id, "type": "function", "function": {"name": call.tool.name, "arguments": arguments}}
        for call, arguments in zip(choice.calls, choice.arguments, strict=True)
    ]


def filter_results(choice: Choice) -> dict[str, Any]:
    """The choice's `content_filter_results`: the flagged category when the fault filtered it."""
    return filters.SAFE_COMPLETION if choice.flag is None else filters.completion_results(choice.flag)


def completion(base: dict[str, Any], request: ChatRequest, choices: list[Choice], prompt_tokens: int) -> dict[str, Any]:
    """The whole `chat.completion` object; `base` holds id, created, model and fingerprint."""
    rendered = []
    for choice in choices:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": choice.content,
            "refusal": None,
            "annotations": [],
        }
        if choice.calls:
            message["tool_calls"] = tool_calls(choice)
        rendered.append(
            {
                "index": choice.index,
                "finish_reason": choice.finish,
                "logprobs": choice_logprobs(choice.pieces, request.top_logprobs) if request.logprobs else None,
                "message": message,
                "content_filter_results": filter_results(choice),
            }
        )
    return {
        **base,
        "object": "chat.completion",
        "choices": rendered,
        "usage": usage(prompt_tokens, sum(c.tokens for c in choices)),
        "prompt_filter_results": filters.SAFE_PROMPT,
    }
