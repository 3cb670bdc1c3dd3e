"""Trim a chat conversation to a token budget before sending it.

Keeps every system message and the most recent turns whole, and never separates an assistant
message that calls tools from the tool results that answer it (Azure rejects a tool result without
its call). Counts are exact with tiktoken when its vocabulary is available on this machine (it
downloads otherwise, which fails offline: see docs/wire-notes.md), else estimated at
about four characters a token with a `TokenEstimateWarning`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["TokenEstimateWarning", "count_tokens", "trim_to_budget"]

_VOCABULARY_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
PER_MESSAGE_TOKENS = 4  # role and framing of each message, as OpenAI's counting guide has it
PER_REPLY_TOKENS = 3


class TokenEstimateWarning(UserWarning):
    """Token counts are estimates: tiktoken or its vocabulary is not available offline."""


def encoding_name(model: str) -> str:
    return (
        "cl100k_base"
        if model.startswith(("gpt-35", "gpt-3.5", "gpt-4-", "text-embedding")) or model == "gpt-4"
        else "o200k_base"
    )


@lru_cache(maxsize=4)
def _exact_counter(name: str) -> Callable[[str], int] | None:
    """tiktoken's encoder when both the package and its vocabulary file are on this machine."""
    try:
        import tiktoken
    except ImportError:
        return None
    cache = (
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or str(Path(tempfile.gettempdir()) / "data-gym-cache")
    )
    cached = Path(cache) / hashlib.sha1(_VOCABULARY_URLS[name].encode()).hexdigest()
    if not cached.exists():
        return None
    try:
        encoding = tiktoken.get_encoding(name)
    except Exception:
        return None
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def _estimate(text: str) -> int:
    return (len(text) + 3) // 4


def _text(message: dict[str, Any]) -> str:
    parts = [str(message.get("role", "")), str(message.get("name", "") or "")]
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        parts += [str(function.get("name", "")), str(function.get("arguments", ""))]
    return " ".join(parts)


def count_tokens(
    messages: Sequence[dict[str, Any]], model: str = "gpt-4o", counter: Callable[[str], int] | None = None
) -> int:
    """Tokens the messages take as a prompt (exact with tiktoken when available)."""
    if counter is None:
        counter = _exact_counter(encoding_name(model))
        if counter is None:
            warnings.warn(
                "tiktoken or its vocabulary is not available offline; token counts are estimates "
                "(set TIKTOKEN_CACHE_DIR to a folder holding the vocabulary for exact counts)",
                TokenEstimateWarning,
                stacklevel=2,
            )
            counter = _estimate
    return PER_REPLY_TOKENS + sum(PER_MESSAGE_TOKENS + counter(_text(m)) for m in messages)


def _units(messages: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Indexes of non-system messages grouped into units that must stay whole: an assistant
    message with tool_calls and the tool messages that follow it are one unit."""
    units: list[list[int]] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        if role == "system" or role == "developer":
            continue
        if role == "tool" and units and (messages[units[-1][0]].get("tool_calls")):
            units[-1].append(i)
        else:
            units.append([i])
    return units


def trim_to_budget(
    messages: Sequence[dict[str, Any]],
    max_tokens: int,
    model: str = "gpt-4o",
    counter: Callable[[str], int] | None = None,
) -> list[dict[str, Any]]:
    """The system messages plus as many of the most recent turns as fit in `max_tokens`, in their
    original order. Raises ValueError when the system messages alone do not fit."""
    if counter is None:
        counter = _exact_counter(encoding_name(model))
        if counter is None:
            warnings.warn(
                "tiktoken or its vocabulary is not available offline; trimming with estimated counts",
                TokenEstimateWarning,
                stacklevel=2,
            )
            counter = _estimate
    cost = [PER_MESSAGE_TOKENS + counter(_text(m)) for m in messages]
    keep = {i for i, m in enumerate(messages) if m.get("role") in ("system", "developer")}
    used = PER_REPLY_TOKENS + sum(cost[i] for i in keep)
    if used > max_tokens:
        raise ValueError(f"the system messages alone take {used} tokens, over the budget of {max_tokens}")
    for unit in reversed(_units(messages)):
        unit_cost = sum(cost[i] for i in unit)
        if used + unit_cost > max_tokens:
            break  # older turns stay out too: a conversation with a hole in it misleads the model
        keep.update(unit)
        used += unit_cost
    return [m for i, m in enumerate(messages) if i in keep]
