"""Token counts and generated text, cheap and deterministic.

The simulator does not need exact tokenisation (Azure's own quota charge is an estimate too): about
four characters a token plus a few tokens of framing per message, the usual rule of thumb for
o200k/cl100k. Replies are words drawn from a seeded generator, one token each.
"""

from __future__ import annotations

import random
from typing import Any

_WORDS = (
    "the",
    "region",
    "answered",
    "within",
    "its",
    "budget",
    "and",
    "every",
    "probe",
    "recorded",
    "latency",
    "tokens",
    "cost",
    "while",
    "failover",
    "kept",
    "calls",
    "alive",
    "across",
    "quota",
    "windows",
    "steady",
    "healthy",
    "stream",
)


def text_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _content_text(content: Any) -> str:
    """Text of a chat/responses `content`: a string or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text", ""), str)
        )
    return ""


def messages_tokens(messages: list[Any]) -> int:
    """Prompt tokens of a chat `messages` list (or Responses input items): 4 per message + text + 3."""
    total = 3
    for m in messages:
        if isinstance(m, dict):
            # text_tokens written out, and a string content taken as it is: this runs on every chat
            content = m.get("content", "")
            text = content if isinstance(content, str) else _content_text(content)
            name = m.get("name", "")
            total += 4 + (len(text) + 3) // 4 + ((len(str(name)) + 3) // 4 if name != "" else 0)
    return total


# A fixed shuffled cycle of words: a reply is a slice of it at a seeded offset (one draw per reply,
# no per-word work: replies are on the simulator's hot path).
_CYCLE = [_WORDS[(i * 7 + i // len(_WORDS)) % len(_WORDS)] for i in range(997)]
_SPACED = [" " + w for w in _CYCLE + _CYCLE]
_FIRST = [w.capitalize() for w in _CYCLE]


def reply_words(rng: random.Random, count: int) -> list[str]:
    """`count` words (at most 997), each a token: the first capitalised, the last ending a sentence,
    the others led by a space so that joining them gives the text."""
    count = max(1, min(count, len(_CYCLE)))
    start = int(rng.random() * len(_CYCLE))
    words = _SPACED[start : start + count]
    words[0] = _FIRST[start]
    words[-1] += "."
    return words
