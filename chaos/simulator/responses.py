"""The Responses API with stored state: create (optionally chained with `previous_response_id`),
GET and DELETE by id, cancel. Stored responses live in the region that made them, so a chain
cannot continue in another region; an unknown parent is Azure's `previous_response_not_found`."""

from __future__ import annotations

import time
from typing import Any

from .. import wire
from . import asgi, ops, tokens
from .region import Call, Refusal


def _input_items(raw: Any) -> list[dict[str, Any]] | None:
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if isinstance(raw, list) and raw and all(isinstance(i, dict) for i in raw):
        return raw
    return None


async def create(call: Call) -> None:
    body = ops.body_object(call)
    deployment = ops.deployment(call, "responses", embedding=False)
    items = _input_items(body.get("input"))
    ops.require(items is not None, "'input' must be a string or a non-empty array of input items.", "input")
    assert items is not None
    max_tokens = ops.optional_int(body, "max_output_tokens", minimum=16)
    region = call.region
    history: list[dict[str, Any]] = []
    parent_id = body.get("previous_response_id")
    if parent_id is not None:
        parent = region.responses.get(parent_id) if isinstance(parent_id, str) else None
        if parent is None:
            raise Refusal(400, wire.previous_response_not_found(str(parent_id)))
        history = parent["conversation"]
    instructions = body.get("instructions")
    prompt = ([{"role": "system", "content": instructions}] if isinstance(instructions, str) else []) + history + items
    input_tokens = tokens.messages_tokens(prompt)
    call.admit(input_tokens + (max_tokens or 1024))

    count = min(region.spec.reply_tokens, max_tokens) if max_tokens else region.spec.reply_tokens
    words = tokens.reply_words(region.rng, count)
    text = "".join(words)
    ttft_s = region.spec.latency.sample_ttft_s(region.rng)
    per_token_s = region.spec.latency.sample_per_token_s(region.rng)
    stream = body.get("stream") is True
    if not stream and ttft_s + per_token_s * count > 0:
        await region.sleep(ttft_s + per_token_s * count)
    hex_id = call.request_id.replace("-", "")
    output = {
        "id": f"msg_{hex_id}",
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }
    response = {
        "id": f"resp_{hex_id}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": instructions,
        "max_output_tokens": max_tokens,
        "model": call.effects.model_version or deployment.model_version,
        "output": [output],
        "parallel_tool_calls": True,
        "previous_response_id": parent_id,
        "reasoning": {"effort": None},
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "metadata": body.get("metadata") or {},
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": count,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + count,
        },
    }
    conversation = [*history, *items, {"role": "assistant", "content": text}]
    call.usage = (input_tokens, count)
    if stream:
        await _stream(call, response, words, ttft_s, per_token_s, conversation)
        return
    if response["store"]:
        region.store_response({"response": response, "conversation": conversation})
    await call.reply(200, response)


async def _stream(
    call: Call,
    response: dict[str, Any],
    words: list[str],
    ttft_s: float,
    per_token_s: float,
    conversation: list[dict[str, Any]],
) -> None:
    """The Responses event sequence: created, in_progress, output item and content part added, one
    `response.output_text.delta` per token, the matching done events, completed. The response is
    stored once it completes, as Azure does."""
    region, send = call.region, call.send
    item = response["output"][0]
    ids = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    number = 0

    async def emit(event: dict[str, Any]) -> None:
        nonlocal number
        await asgi.send_event(send, {"type": event.pop("type"), "sequence_number": number, **event})
        number += 1

    call.record(200, stream=True)
    await asgi.start_stream(send, call.headers)
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    await emit({"type": "response.created", "response": pending})
    await emit({"type": "response.in_progress", "response": pending})
    await emit(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        }
    )
    empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    await emit({"type": "response.content_part.added", **ids, "part": empty_part})
    stop_after = call.effects.stop_after_chunks
    for i, word in enumerate(words):
        pause = ttft_s if i == 0 else per_token_s + call.effects.chunk_delay_s
        if pause > 0:
            await region.sleep(pause)
        if stop_after is not None and i >= stop_after:
            region.reset_connection(call.scope.get("client"), graceful=True)
            return
        await emit({"type": "response.output_text.delta", **ids, "delta": word, "logprobs": []})
    text = "".join(words)
    await emit({"type": "response.output_text.done", **ids, "text": text, "logprobs": []})
    await emit({"type": "response.content_part.done", **ids, "part": item["content"][0]})
    await emit({"type": "response.output_item.done", "output_index": 0, "item": item})
    if response["store"]:
        region.store_response({"response": response, "conversation": conversation})
    await emit({"type": "response.completed", "response": response})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _stored(call: Call) -> dict[str, Any]:
    found = call.region.responses.get(call.path_params["response_id"])
    if found is None:
        raise Refusal(404, wire.response_not_found(call.path_params["response_id"]))
    return found


async def get(call: Call) -> None:
    found = _stored(call)
    await call.reply(200, found["response"])


async def delete(call: Call) -> None:
    found = _stored(call)
    del call.region.responses[call.path_params["response_id"]]
    await call.reply(200, {"id": found["response"]["id"], "object": "response.deleted", "deleted": True})


async def cancel(call: Call) -> None:
    _stored(call)
    await call.reply(400, wire.invalid_request("Only responses created with background=true can be cancelled."))
