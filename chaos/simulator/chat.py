"""Chat completions, plain and streamed, in Azure's shapes (docs/wire-notes.md sections 1, 6, 17).

`chat` validates the request (chat_request.py) and answers it one of two ways:
- a plain request (no tools, n 1, no logprobs, stop, JSON format or seed, no filtered completion)
  from a JSON template filled in with a few per-request values: the hot path bench/simulator
  measures;
- anything else from the choices chat_choices.py generates, streamed by chat_stream.py; not
  streamed, one choice without logprobs or a filter flag (a tool call, a JSON document, a seeded
  or stopped text) fills the same template (its tool-call form for tool calls), and the rest is
  rendered by chat_reply.py.

A plain stream starts with the annotation-only chunk Azure sends (empty id and model, prompt filter
results, no choices), then the role, content one token at a time, the finish reason, the usage
chunk when `stream_options.include_usage` is set, and `[DONE]`.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import orjson

from . import asgi, chat_choices, chat_reply, chat_request, chat_stream, filters, ops, tokens
from .chat_request import ChatRequest
from .model import DeploymentSpec
from .region import Call

FINGERPRINT = chat_reply.FINGERPRINT
DEFAULT_MAX_TOKENS_ESTIMATE = 1024  # what the quota charges when a request sets no max_tokens
CONTENT_FILTER_RESULTS = filters.SAFE_COMPLETION
PROMPT_FILTER_RESULTS = filters.SAFE_PROMPT


def _completion_shape(v: Callable[[str], Any], tool_calls: bool = False) -> dict[str, Any]:
    """A chat completion as Azure sends it; `v(name)` stands for each per-request value. With
    `tool_calls` the message calls tools (`content` null), as chat_reply.completion renders it."""
    message = {"role": "assistant", "content": v("content"), "refusal": None, "annotations": []}
    if tool_calls:
        message = {**message, "content": None, "tool_calls": v("tool_calls")}
    return {
        "id": v("id"),
        "object": "chat.completion",
        "created": v("created"),
        "model": v("model"),
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "finish_reason": v("finish"),
                "logprobs": None,
                "message": message,
                "content_filter_results": CONTENT_FILTER_RESULTS,
            }
        ],
        "usage": {
            "prompt_tokens": v("prompt_tokens"),
            "completion_tokens": v("completion_tokens"),
            "total_tokens": v("total_tokens"),
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
            "completion_tokens_details": {
                "accepted_prediction_tokens": 0,
                "audio_tokens": 0,
                "reasoning_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "prompt_filter_results": PROMPT_FILTER_RESULTS,
    }


def _template(shape: Callable[[Callable[[str], Any]], dict[str, Any]], holes: tuple[str, ...]) -> str:
    """The shape encoded once as JSON with a `%s` hole for each per-request value, in the order
    `holes` names them: rendering a reply is one positional string format instead of encoding a
    nested dict per request (the hot path of bench/simulator)."""
    text = json.dumps(shape(lambda name: f"@@{name}@@"), separators=(",", ":")).replace("%", "%%")
    found = tuple(re.findall(r'"@@(\w+)@@"', text))
    if found != holes:  # the shape changed: render_completion would fill the wrong holes
        raise RuntimeError(f"the completion template's holes are {found}, not {holes}")
    return re.sub(r'"@@(\w+)@@"', "%s", text)


_COMPLETION_TEMPLATE = _template(
    _completion_shape,
    ("id", "created", "model", "finish", "content", "prompt_tokens", "completion_tokens", "total_tokens"),
)
_TOOL_CALLS_TEMPLATE = _template(
    lambda v: _completion_shape(v, tool_calls=True),
    ("id", "created", "model", "finish", "tool_calls", "prompt_tokens", "completion_tokens", "total_tokens"),
)
_string = encode_basestring_ascii  # a JSON string literal, quotes included


def _pieces(template: str) -> tuple[bytes, ...]:
    """The template cut at its holes, as bytes: a reply is one join of short pieces, not a format
    scan of the whole kilobyte and its encoding (about 6,000 instructions a reply; bench/simulator)."""
    return tuple(piece.replace("%%", "%").encode() for piece in template.split("%s"))


_COMPLETION_PIECES = _pieces(_COMPLETION_TEMPLATE)
_TOOL_CALLS_PIECES = _pieces(_TOOL_CALLS_TEMPLATE)


def render_completion(
    completion_id: str,
    created: int,
    model_version: str,
    finish: str,
    content: str,
    prompt_tokens: int,
    completion_tokens: int,
    tool_calls: bytes | None = None,
) -> bytes:
    """A non-streamed chat completion's JSON bytes, from the template: its message says `content`,
    or, given `tool_calls` (the JSON of the message's `tool_calls` array), calls those tools."""
    if tool_calls is None:
        p0, p1, p2, p3, p4, p5, p6, p7, p8 = _COMPLETION_PIECES
        message = _string(content).encode()
    else:
        p0, p1, p2, p3, p4, p5, p6, p7, p8 = _TOOL_CALLS_PIECES
        message = tool_calls
    return b"".join(
        (
            p0,
            _string(completion_id).encode(),
            p1,
            b"%d" % created,
            p2,
            _string(model_version).encode(),
            p3,
            _string(finish).encode(),
            p4,
            message,
            p5,
            b"%d" % prompt_tokens,
            p6,
            b"%d" % completion_tokens,
            p7,
            b"%d" % (prompt_tokens + completion_tokens),
            p8,
        )
    )


async def chat(call: Call) -> None:
    body = ops.body_object(call)
    deployment = ops.deployment(call, "chatCompletion", embedding=False)
    fields = chat_request.plain(body, deployment)
    if fields is None or call.effects.completion_filter is not None:
        request = chat_request.parse(body, deployment)
        if not request.plain or call.effects.completion_filter is not None:
            await _answer(call, body, request, deployment)
            return
        fields = request.messages, request.max_tokens, request.stream, request.include_usage
    messages, max_tokens, stream, include_usage = fields
    prompt_tokens = tokens.messages_tokens(messages)
    call.admit(prompt_tokens + (max_tokens or DEFAULT_MAX_TOKENS_ESTIMATE))

    region = call.region
    reply_tokens = region.spec.reply_tokens
    count = min(reply_tokens, max_tokens) if max_tokens else reply_tokens
    words = tokens.reply_words(region.rng, count)
    finish = "length" if max_tokens is not None and max_tokens < reply_tokens else "stop"
    ttft_s = region.spec.latency.sample_ttft_s(region.rng)
    per_token_s = region.spec.latency.sample_per_token_s(region.rng)
    completion_id = "chatcmpl-" + call.request_id.replace("-", "")[:29]
    created = int(time.time())
    call.usage = (prompt_tokens, count)
    if not stream:
        delay = ttft_s + per_token_s * count
        if delay > 0:
            await region.sleep(delay)
        body_bytes = render_completion(
            completion_id,
            created,
            call.effects.model_version or deployment.model_version,
            finish,
            "".join(words),
            prompt_tokens,
            count,
        )
        await call.reply(200, asgi.RawJson(body_bytes))
        return
    base = {
        "id": completion_id,
        "created": created,
        "model": call.effects.model_version or deployment.model_version,
        "system_fingerprint": FINGERPRINT,
    }
    usage = None
    if include_usage:
        usage = chat_reply.usage(prompt_tokens, count)
    await _stream(call, base, words, finish, usage, ttft_s, per_token_s)


async def _answer(call: Call, body: dict[str, object], request: ChatRequest, deployment: DeploymentSpec) -> None:
    """Every request the template does not cover: tools, n, logprobs, stop, JSON formats, seed, a
    filtered completion."""
    region = call.region
    prompt_tokens = tokens.messages_tokens(request.messages) + request.tools_tokens
    # Azure charges the estimate for every choice: prompt + max_tokens x n
    call.admit(prompt_tokens + (request.max_tokens or DEFAULT_MAX_TOKENS_ESTIMATE) * request.n)
    rng = chat_choices.generator(request, body, deployment.name, region.rng)
    choices = chat_choices.generate(request, rng, region.spec.reply_tokens, call.effects.completion_filter)
    ttft_s = region.spec.latency.sample_ttft_s(region.rng)
    per_token_s = region.spec.latency.sample_per_token_s(region.rng)
    completion_id = "chatcmpl-" + call.request_id.replace("-", "")[:29]
    created = int(time.time())
    model_version = call.effects.model_version or deployment.model_version
    choice = choices[0]
    completion_tokens = choice.tokens if len(choices) == 1 else sum(c.tokens for c in choices)
    call.usage = (prompt_tokens, completion_tokens)
    if request.stream:
        base = {"id": completion_id, "created": created, "model": model_version, "system_fingerprint": FINGERPRINT}
        await chat_stream.stream(call, base, request, choices, prompt_tokens, ttft_s, per_token_s)
        return
    longest = choice.tokens if len(choices) == 1 else max(c.tokens for c in choices)
    delay = ttft_s + per_token_s * longest  # choices are generated side by side
    if delay > 0:
        await region.sleep(delay)
    if len(choices) == 1 and not request.logprobs and choice.flag is None:  # what the template says
        calls = tool_calls_json(choice) if choice.calls else None
        body_bytes = render_completion(
            completion_id,
            created,
            model_version,
            choice.finish,
            "".join(choice.pieces),
            prompt_tokens,
            completion_tokens,
            calls,
        )
    else:
        base = {"id": completion_id, "created": created, "model": model_version, "system_fingerprint": FINGERPRINT}
        body_bytes = orjson.dumps(chat_reply.completion(base, request, choices, prompt_tokens))
    await call.reply(200, asgi.RawJson(body_bytes))


def tool_calls_json(choice: chat_choices.Choice) -> bytes:
    """The JSON of the message's `tool_calls` array, as chat_reply.tool_calls builds it: each call's
    id, then the rest of it, encoded once per function and arguments (a quarter of building the
    dicts and encoding them, on the tool-call hot path)."""
    calls, arguments = choice.calls, choice.arguments
    if len(calls) == 1:
        return b'[{"id":' + _string(calls[0].id).encode() + _call_rest(calls[0].tool.name, arguments[0]) + b"]"
    parts = [
        b'{"id":' + _string(call.id).encode() + _call_rest(call.tool.name, text)
        for call, text in zip(calls, arguments, strict=True)
    ]
    return b"[" + b",".join(parts) + b"]"


@functools.lru_cache(maxsize=1024)  # the same functions with the same arguments, request after request
def _call_rest(name: str, arguments: str) -> bytes:
    """A tool call's JSON after its id: `,"type":"function","function":{...}}`."""
    return b',"type":"function","function":{"name":%s,"arguments":%s}}' % (
        _string(name).encode(),
        _string(arguments).encode(),
    )


async def _stream(
    call: Call,
    base: dict[str, Any],
    words: list[str],
    finish: str,
    usage: dict[str, Any] | None,
    ttft_s: float,
    per_token_s: float,
) -> None:
    send, sleep = call.send, call.region.sleep
    await chat_stream.open_stream(call)
    if ttft_s > 0:
        await sleep(ttft_s)

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        if delta.get("content"):
            choice["content_filter_results"] = CONTENT_FILTER_RESULTS
        return {**base, "object": "chat.completion.chunk", "choices": [choice], "usage": None}

    await asgi.send_event(send, chunk({"role": "assistant", "content": "", "refusal": None}))
    # the slow_stream fault: extra delay between chunks, or a stream that stops mid-way
    delay_s = per_token_s + call.effects.chunk_delay_s
    stop_after = call.effects.stop_after_chunks
    for i, word in enumerate(words):
        if i and delay_s > 0:
            await sleep(delay_s)
        if stop_after is not None and i >= stop_after:
            call.region.reset_connection(call.scope.get("client"), graceful=True)  # the answer just stops
            return
        await asgi.send_event(send, chunk({"content": word}))
    await asgi.send_event(send, chunk({}, finish))
    if usage is not None:
        await asgi.send_event(send, {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    await asgi.send_event(send, "[DONE]", last=True)
