"""The choices of a chat completion: what each says (text, a JSON document or tool calls) and why it ends.

Deterministic for a given generator. A request with `seed` gets its own generator, seeded from the
seed and the parts of the request that say what to answer (deployment, messages, tools, tool
choice, response format, sampling knobs), so the same request with the same seed gets the same
answer in any region and on either URL style. Parameters that only say where to stop (`max_tokens`,
`stop`, `n`, `stream`, `logprobs`) are left out of that seed: with them a seeded answer is a prefix
of the unbounded one, as a model sampling the same tokens would give.

Each choice draws in turn from the generator, so choice 0 of `n: 3` is the answer of `n: 1`.
How a choice ends (`finish_reason`):
- `tool_calls`: the functions `tools.choose` picked, arguments valid against their schemas;
- `stop`: natural end, or cut before the first `stop` sequence (the sequence is not included);
- `length`: `max_tokens` reached; a JSON document or tool arguments are cut there too and are then
  not valid JSON (the spec: "the message content may be partially cut off if finish_reason is
  length");
- `content_filter`: the content_filter fault flagged the output (`flag`): the text stops half way;
  a filtered answer is text (or the JSON document), never tool calls.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from . import tokens, tools
from .chat_request import ChatRequest
from .filters import Flag
from .tools import PlannedCall

TOKEN_CHARS = 4  # JSON content and tool arguments are cut into pieces of this many characters, a token each
# the request fields a seeded answer depends on (see the module docstring)
_SEED_FIELDS = (
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
)


@dataclass(slots=True)  # not frozen (read-only by convention): a frozen __init__ cost a microsecond a choice
class Choice:
    """One choice. `pieces` is its content token by token ([] when it calls tools); `arguments`
    holds each call's arguments JSON (cut short when `finish` is `length`)."""

    index: int
    pieces: Sequence[str]
    calls: list[PlannedCall]
    arguments: list[str]
    finish: str
    tokens: int
    flag: Flag | None = None

    @property
    def content(self) -> str | None:
        return None if self.calls else "".join(self.pieces)


def generator(request: ChatRequest, body: Mapping[str, Any], deployment: str, shared: random.Random) -> random.Random:
    """The generator an answer draws from: the region's shared one, or for a seeded request its own."""
    if request.seed is None:
        return shared
    key = {name: body.get(name) for name in _SEED_FIELDS}
    key["seed"], key["deployment"] = request.seed, deployment
    return random.Random(orjson.dumps(key, option=orjson.OPT_SORT_KEYS))


def generate(request: ChatRequest, rng: random.Random, reply_tokens: int, flag: Flag | None) -> list[Choice]:
    """`request.n` choices, drawn in order from `rng`."""
    if request.n == 1:  # the common case: no comprehension
        return [_choice(0, request, rng, reply_tokens, flag)]
    return [_choice(i, request, rng, reply_tokens, flag) for i in range(request.n)]


def _choice(index: int, request: ChatRequest, rng: random.Random, reply_tokens: int, flag: Flag | None) -> Choice:
    if request.tools and flag is None:
        chosen = tools.choose(
            request.tools,
            request.tool_choice,
            request.forced,
            request.parallel,
            request.prompt,
            request.after_tool_result,
            rng,
        )
        if chosen:
            return _calls(index, tools.plan_calls(chosen, rng), request.max_tokens)
    pieces: Sequence[str]
    if request.response_format == "text":
        pieces = tokens.reply_words(rng, reply_tokens)
    else:
        pieces = split(request.document or "")
    finish = "stop"
    if request.stop:
        text = "".join(pieces)
        found = [at for at in (text.find(s) for s in request.stop) if at >= 0]
        if found:
            pieces = _before(pieces, min(found))
    limit = request.max_tokens
    if limit is not None and len(pieces) > limit:
        pieces, finish = pieces[:limit], "length"
    if flag is not None:
        pieces, finish = pieces[: max(1, len(pieces) // 2)], "content_filter"
    return Choice(index, pieces, [], [], finish, len(pieces), flag)


def _calls(index: int, planned: list[PlannedCall], limit: int | None) -> Choice:
    arguments, used = [], 0
    for call in planned:  # one loop, tokens.text_tokens written out: the tool-call hot path
        text = call.tool.arguments_json
        arguments.append(text)
        used += (len(text) + 3) // 4
    if limit is None or used <= limit:
        return Choice(index, [], planned, arguments, "tool_calls", used)
    left, cut = limit * TOKEN_CHARS, []
    for text in arguments:
        if left <= 0:
            break
        cut.append(text[:left])
        left -= len(text)
    return Choice(index, [], planned[: len(cut)], cut, "length", limit)


@functools.lru_cache(maxsize=1024)  # the same documents and arguments come back request after request
def split(text: str) -> tuple[str, ...]:
    """`text` in pieces of `TOKEN_CHARS` characters (at least one piece)."""
    return tuple(text[i : i + TOKEN_CHARS] for i in range(0, len(text), TOKEN_CHARS)) or ("",)


def _before(pieces: Sequence[str], at: int) -> list[str]:
    """The pieces that make up the first `at` characters of their text."""
    kept: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > at:
            if at > used:
                kept.append(piece[: at - used])
            break
        kept.append(piece)
        used += len(piece)
    return kept
