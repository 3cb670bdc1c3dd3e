"""The Responses API with stored state: create (optionally chained with `previous_response_id`),
GET and DELETE by id, cancel. Stored responses live in the region that made them, so a chain
cannot continue in another region; an unknown parent is Azure's `previous_response_not_found`."""

from __future__ import annotations

import time
from typing import Any

from .. import wire
from . import ops, tokens
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
    ops.require(
        body.get("stream") is not True,
        "Streaming responses are not supported by the aoai-watch simulator yet.",
        "stream",
    )
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
    text = "".join(tokens.reply_words(region.rng, count))
    delay = region.spec.latency.sample_ttft_s(region.rng) + region.spec.latency.sample_per_token_s(region.rng) * count
    if delay > 0:
        await region.sleep(delay)
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
        "model": deployment.model_version,
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
    if response["store"]:
        conversation = [*history, *items, {"role": "assistant", "content": text}]
        region.store_response({"response": response, "conversation": conversation})
    await call.reply(200, response)


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
