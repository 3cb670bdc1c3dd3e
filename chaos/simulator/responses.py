"""The Responses API with stored state: create (optionally chained with `previous_response_id`),
GET and DELETE by id, cancel; on the v1 paths (`/openai/v1/responses...`) and the dated preview
paths the SDK's `AzureOpenAI` builds (`/openai/responses...?api-version=`).

Stored responses live in the region that made them, so a chain cannot continue in another region;
an unknown parent is Azure's `previous_response_not_found`. The request's parts are read by one
module each: `responses_input` (items, function call pairing, tokens), `responses_tools`
(function tools and tool_choice), `responses_format` (text.format); the answer is planned by
`responses_output` and streamed by `responses_stream`.

What the answer is: function calls when `tools.choose` picks any (arguments valid against each
function's schema), else one assistant message: the structured output's JSON for a
`text.format` json_schema / json_object, plain words otherwise.
"""

from __future__ import annotations

import time
from typing import Any

from .. import wire
from . import invalid, ops, responses_format, responses_input, responses_tools, tokens, tools
from .region import Call, Refusal
from .responses_output import Item, Output, fragments, response_object
from .responses_stream import stream as send_stream

DEFAULT_MAX_OUTPUT_ESTIMATE = 1024  # what the quota charges when a request sets no max_output_tokens


def _optional_number(body: dict[str, Any], key: str, low: float, high: float, default: float) -> float:
    """The number at `key` within [low, high] (`default` when absent); 400 as the service words it."""
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid.wrong_type(key, "a number", value)
    if value > high:
        raise invalid.refuse(
            f"Invalid '{key}': decimal above maximum value. Expected a value <= {high:g}, but got {value:g} instead.",
            key,
            "decimal_above_max_value",
        )
    if value < low:
        raise invalid.refuse(
            f"Invalid '{key}': decimal below minimum value. Expected a value >= {low:g}, but got {value:g} instead.",
            key,
            "decimal_below_min_value",
        )
    return value


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid.wrong_type(key, "a string", value)
    return value


def _metadata(body: dict[str, Any]) -> dict[str, str]:
    raw = body.get("metadata")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 16 or not all(isinstance(v, str) for v in raw.values()):
        raise invalid.refuse("'metadata' must be an object of at most 16 string values.", "metadata")
    return {str(k): v for k, v in raw.items()}


def _echo(
    call: Call,
    body: dict[str, Any],
    model: str,
    setup: responses_tools.ToolSetup,
    text_setup: responses_format.TextSetup,
) -> dict[str, Any]:
    """The Response's fields that echo the request, as the published schema requires them."""
    truncation = body.get("truncation") or "disabled"
    ops.require(truncation in ("auto", "disabled"), "'truncation' must be 'auto' or 'disabled'.", "truncation")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise invalid.wrong_type("instructions", "a string", instructions)
    reasoning = body.get("reasoning")
    response = {
        "id": "resp_" + call.request_id.replace("-", ""),
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "content_filters": None,  # Azure's: null until the response is done
        "error": None,
        "incomplete_details": None,
        "instructions": instructions,
        "max_output_tokens": ops.optional_int(body, "max_output_tokens", minimum=16),
        "max_tool_calls": ops.optional_int(body, "max_tool_calls"),
        "model": model,
        "output": [],
        "parallel_tool_calls": setup.parallel,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": _optional_string(body, "prompt_cache_key"),
        "reasoning": reasoning if isinstance(reasoning, dict) else {"effort": None, "summary": None},
        "safety_identifier": _optional_string(body, "safety_identifier"),
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": _optional_number(body, "temperature", 0.0, 2.0, 1.0),
        "text": text_setup.echo,
        "tool_choice": setup.choice_echo,
        "tools": setup.tools_echo,
        "top_logprobs": _optional_number(body, "top_logprobs", 0, 20, 0),
        "top_p": _optional_number(body, "top_p", 0.0, 1.0, 1.0),
        "truncation": truncation,
        "metadata": _metadata(body),
    }
    user = _optional_string(body, "user")
    if user is not None:  # a string in the schema, not nullable: shown only when sent
        response["user"] = user
    return response


def _answer(
    call: Call, hex_id: str, turn: responses_input.Turn, setup: responses_tools.ToolSetup, json_text: str | None
) -> Output:
    """The function calls `tools.choose` picks, else one message (structured JSON or words)."""
    rng = call.region.rng
    chosen = tools.choose(
        setup.functions, setup.choice, setup.forced, setup.parallel, turn.prompt, turn.after_tool_result, rng
    )
    if chosen:
        planned = tools.plan_calls(chosen, rng)
        return Output(
            [
                Item("function_call", f"fc_{hex_id}{i:02x}", fragments(p.tool.arguments_json), p.id, p.tool.name)
                for i, p in enumerate(planned)
            ]
        )
    parts = fragments(json_text) if json_text is not None else tokens.reply_words(rng, call.region.spec.reply_tokens)
    return Output([Item("message", f"msg_{hex_id}", parts)])


async def create(call: Call) -> None:
    body = ops.body_object(call)
    deployment = ops.deployment(call, "responses", embedding=False)
    turn = responses_input.parse(body.get("input"))
    setup = responses_tools.parse(body)
    text_setup = responses_format.parse(body)
    response = _echo(call, body, call.effects.model_version or deployment.model_version, setup, text_setup)
    region = call.region
    history: list[dict[str, Any]] = []
    parent_id = body.get("previous_response_id")
    if parent_id is not None:
        parent = region.responses.get(parent_id) if isinstance(parent_id, str) else None
        if parent is None:
            raise Refusal(400, wire.previous_response_not_found(str(parent_id)))
        history = parent["conversation"]
    responses_input.require_calls_answered(history, turn.items)
    input_tokens = responses_input.count_tokens(response["instructions"], [*history, *turn.items], setup.tools_echo)
    max_tokens = response["max_output_tokens"]
    call.admit(input_tokens + (max_tokens or DEFAULT_MAX_OUTPUT_ESTIMATE))

    hex_id = call.request_id.replace("-", "")
    output = _answer(call, hex_id, turn, setup, text_setup.json_text)
    output.limit(max_tokens, call.effects.completion_filter)
    ttft_s = region.spec.latency.sample_ttft_s(region.rng)
    per_token_s = region.spec.latency.sample_per_token_s(region.rng)
    call.usage = (input_tokens, output.tokens)
    chars = responses_input.prompt_chars(response["instructions"], turn.items)
    final = response_object(response, output, input_tokens, chars, int(time.time()))
    record = {
        "response": final,
        "conversation": [*history, *turn.items, *(item.conversation_entry() for item in output.items)],
    }
    store = (lambda: region.store_response(record)) if response["store"] else None
    if body.get("stream") is True:
        await send_stream(call, response, output, final, ttft_s, per_token_s, store)
        return
    if ttft_s + per_token_s * output.tokens > 0:
        await region.sleep(ttft_s + per_token_s * output.tokens)
    if store is not None:
        store()
    await call.reply(200, final)


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
