"""Chat completions, plain and streamed, in Azure's shapes (reference sections 1, 6).

A stream starts with the annotation-only chunk Azure sends (empty id and model, prompt filter
results, no choices), then the role, content one token at a time, the finish reason, the usage
chunk when `stream_options.include_usage` is set, and `[DONE]`.
"""

from __future__ import annotations

import time
from typing import Any

from . import asgi, ops, tokens
from .region import Call

DEFAULT_MAX_TOKENS_ESTIMATE = 1024  # what the quota charges when a request sets no max_tokens
_SAFE = {"filtered": False, "severity": "safe"}
CONTENT_FILTER_RESULTS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}
PROMPT_FILTER_RESULTS = [
    {
        "prompt_index": 0,
        "content_filter_results": {**CONTENT_FILTER_RESULTS, "jailbreak": {"filtered": False, "detected": False}},
    }
]


async def chat(call: Call) -> None:
    body = await ops.body_object(call)
    if body is None:
        return
    deployment = await ops.deployment(call, "chatCompletion", embedding=False)
    if deployment is None:
        return
    messages = body.get("messages")
    if not await ops.require(
        call,
        isinstance(messages, list)
        and bool(messages)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages),
        "'messages' must be a non-empty array of objects with a 'role'.",
        "messages",
    ):
        return
    max_tokens = await ops.optional_int(call, body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = await ops.optional_int(call, body, "max_tokens")
    if max_tokens is False:
        return
    stream = body.get("stream") is True
    prompt_tokens = tokens.messages_tokens(messages)
    admission = await call.admit(prompt_tokens + (max_tokens or DEFAULT_MAX_TOKENS_ESTIMATE))
    if admission is None:
        return

    region = call.region
    reply_tokens = region.spec.reply_tokens
    count = min(reply_tokens, max_tokens) if max_tokens else reply_tokens
    words = tokens.reply_words(region.rng, count)
    finish = "length" if max_tokens is not None and max_tokens < reply_tokens else "stop"
    ttft_s = region.spec.latency.sample_ttft_s(region.rng)
    per_token_s = region.spec.latency.sample_per_token_s(region.rng)
    completion_id = "chatcmpl-" + call.request_id.replace("-", "")[:29]
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": count,
        "total_tokens": prompt_tokens + count,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    base = {
        "id": completion_id,
        "created": int(time.time()),
        "model": deployment.model_version,
        "system_fingerprint": "fp_ee1d74bde0",
    }
    if not stream:
        delay = ttft_s + per_token_s * count
        if delay > 0:
            await region.sleep(delay)
        await call.reply(
            200,
            {
                **base,
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish,
                        "logprobs": None,
                        "message": {"role": "assistant", "content": "".join(words), "refusal": None, "annotations": []},
                        "content_filter_results": CONTENT_FILTER_RESULTS,
                    }
                ],
                "usage": usage,
                "prompt_filter_results": PROMPT_FILTER_RESULTS,
            },
        )
        return
    include_usage = isinstance(body.get("stream_options"), dict) and body["stream_options"].get("include_usage") is True
    await _stream(call, base, words, finish, usage if include_usage else None, ttft_s, per_token_s)


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
    call.region.served[(call.deployment_name, 200)] += 1
    await asgi.start_stream(send, call.headers)
    await asgi.send_event(
        send,
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "prompt_filter_results": PROMPT_FILTER_RESULTS,
            "choices": [],
            "usage": None,
        },
    )
    if ttft_s > 0:
        await sleep(ttft_s)

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        if delta.get("content"):
            choice["content_filter_results"] = CONTENT_FILTER_RESULTS
        return {**base, "object": "chat.completion.chunk", "choices": [choice], "usage": None}

    await asgi.send_event(send, chunk({"role": "assistant", "content": "", "refusal": None}))
    for i, word in enumerate(words):
        if i and per_token_s > 0:
            await sleep(per_token_s)
        await asgi.send_event(send, chunk({"content": word}))
    await asgi.send_event(send, chunk({}, finish))
    if usage is not None:
        await asgi.send_event(send, {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
    await asgi.send_event(send, "[DONE]", last=True)
