"""Log probabilities of an answer's tokens, in the spec's `ChatCompletionTokenLogprob` shape.

Each token gets `{"token", "logprob", "bytes", "top_logprobs": [...]}`; `top_logprobs` lists the
token itself first, then the most likely alternatives, each `{"token", "logprob", "bytes"}`, in
decreasing probability. Values are derived from the token and its position only (no generator
draws), so asking for logprobs never changes the answer's text.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

_ALTERNATIVES = (
    " the",
    " a",
    " and",
    " region",
    " probe",
    " to",
    " of",
    ".",
    ",",
    " in",
    " is",
    " that",
    " it",
    " for",
    " on",
    " with",
    " as",
    " was",
    " at",
    " by",
    " an",
)


def _logprob(token: str, position: int) -> float:
    """A probability between about 0.55 and 1 for the chosen token, as its natural log."""
    spread = (zlib.crc32(token.encode()) + 7919 * position) % 1000 / 1000.0
    return round(math.log(1.0 - 0.45 * spread), 6)


def entry(token: str, position: int, top: int) -> dict[str, Any]:
    """The logprobs entry of the token at `position`, with `top` alternatives (0 to 20)."""
    logprob = _logprob(token, position)
    entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode())}
    alternatives: list[dict[str, Any]] = []
    if top:
        alternatives.append({"token": token, "logprob": logprob, "bytes": list(token.encode())})
        # what is left of the probability mass, shared out in halves: each alternative less likely
        rest = max(1.0 - math.exp(logprob), 1e-4)  # never log(0)
        start = (zlib.crc32(token.encode()) + position) % len(_ALTERNATIVES)
        for k in range(len(_ALTERNATIVES)):
            if len(alternatives) >= top:
                break
            other = _ALTERNATIVES[(start + k) % len(_ALTERNATIVES)]
            if other == token:
                continue
            rest /= 2.0
            alternatives.append({"token": other, "logprob": round(math.log(rest), 6), "bytes": list(other.encode())})
    entry["top_logprobs"] = alternatives
    return entry


def choice_logprobs(tokens: Sequence[str], top: int) -> dict[str, Any]:
    """A choice's `logprobs` object: one entry per token of its content, no refusal."""
    return {"content": [entry(t, i, top) for i, t in enumerate(tokens)], "refusal": None}
