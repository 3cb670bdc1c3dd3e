"""The streamed chat completion for the answers the template does not cover (see chat_reply.py).

The sequence, per Azure's wire (docs/wire-notes.md sections 6 and 17):
1. the annotation-only chunk (empty id, object and model, prompt filter results, no choices);
2. per choice, the role chunk: `{"role": "assistant", "content": "", "refusal": null}`
   (`content` null when the choice calls tools);
3. the content, a chunk per token, choices interleaved (chunk `i` of every choice, then `i + 1`),
   each with the token's `logprobs` entry when asked; or, for a choice that calls tools, per call
   (`index` 0, 1, ...) a first delta `{"index", "id", "type": "function", "function": {"name",
   "arguments": ""}}` and then the arguments in fragments `{"index", "function": {"arguments"}}`;
4. per choice, a chunk with an empty delta and its `finish_reason` (`content_filter` with the
   flagged category in `content_filter_results` when the fault filtered it);
5. the usage chunk (`choices: []`) when `stream_options.include_usage` is set; `[DONE]`.

The slow_stream fault's effects apply as on the template path: extra delay between chunks, or a
connection cut after a number of content chunks.
"""

from __future__ import annotations

from typing import Any

from . import asgi, filters
from .chat_choices import Choice, split
from .chat_logprobs import entry
from .chat_reply import filter_results, usage
from .chat_request import ChatRequest
from .region import Call

_NO_FILTER: dict[str, Any] = {}  # Azure's tool-call argument chunks carry empty filter results


def _deltas(choice: Choice, request: ChatRequest) -> list[tuple[dict[str, Any], Any, dict[str, Any]]]:
    """The content chunks of one choice: (delta, logprobs, content_filter_results) each."""
    if choice.calls:
        out: list[tuple[dict[str, Any], Any, dict[str, Any]]] = []
        for k, (call, arguments) in enumerate(zip(choice.calls, choice.arguments, strict=True)):
            first = {
                "index": k,
                "id": call.id,
                "type": "function",
                "function": {"name": call.tool.name, "arguments": ""},
            }
            out.append(({"tool_calls": [first]}, None, _NO_FILTER))
            for fragment in split(arguments) if arguments else []:
                out.append(({"tool_calls": [{"index": k, "function": {"arguments": fragment}}]}, None, _NO_FILTER))
        return out
    return [
        (
            {"content": piece},
            {"content": [entry(piece, i, request.top_logprobs)], "refusal": None} if request.logprobs else None,
            filters.SAFE_COMPLETION,
        )
        for i, piece in enumerate(choice.pieces)
        if piece
    ]


# Azure's first chunk: the prompt's filter annotations alone (empty id and model, no choices)
ANNOTATION_CHUNK = {
    "id": "",
    "object": "",
    "created": 0,
    "model": "",
    "prompt_filter_results": filters.SAFE_PROMPT,
    "choices": [],
    "usage": None,
}


async def open_stream(call: Call) -> None:
    """Start a chat stream as Azure does, for every chat stream (the plain path's too): record the
    200, send the event-stream head, then the annotation-only chunk."""
    call.record(200, stream=True)
    await asgi.start_stream(call.send, call.headers)
    await asgi.send_event(call.send, ANNOTATION_CHUNK)


async def stream(
    call: Call,
    base: dict[str, Any],
    request: ChatRequest,
    choices: list[Choice],
    prompt_tokens: int,
    ttft_s: float,
    per_token_s: float,
) -> None:
    send, sleep = call.send, call.region.sleep
    await open_stream(call)
    if ttft_s > 0:
        await sleep(ttft_s)

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {**base, "object": "chat.completion.chunk", "choices": [choice], "usage": None}

    for choice in choices:
        role = {"role": "assistant", "content": None if choice.calls else "", "refusal": None}
        await asgi.send_event(
            send, chunk({"index": choice.index, "delta": role, "finish_reason": None, "logprobs": None})
        )
    deltas = [_deltas(choice, request) for choice in choices]
    delay_s = per_token_s + call.effects.chunk_delay_s
    stop_after = call.effects.stop_after_chunks
    sent = 0
    for step in range(max((len(d) for d in deltas), default=0)):
        if step and delay_s > 0:
            await sleep(delay_s)
        for choice, steps in zip(choices, deltas, strict=True):
            if step >= len(steps):
                continue
            if stop_after is not None and sent >= stop_after:
                call.region.reset_connection(call.scope.get("client"), graceful=True)  # the answer just stops
                return
            delta, logprobs, results = steps[step]
            await asgi.send_event(
                send,
                chunk(
                    {
                        "index": choice.index,
                        "delta": delta,
                        "finish_reason": None,
                        "logprobs": logprobs,
                        "content_filter_results": results,
                    }
                ),
            )
            sent += 1
    for choice in choices:
        last: dict[str, Any] = {"index": choice.index, "delta": {}, "finish_reason": choice.finish, "logprobs": None}
        if choice.flag is not None:
            last["content_filter_results"] = filter_results(choice)
        await asgi.send_event(send, chunk(last))
    if request.include_usage:
        counted = usage(prompt_tokens, sum(c.tokens for c in choices))
        await asgi.send_event(send, {**base, "object": "chat.completion.chunk", "choices": [], "usage": counted})
    await asgi.send_event(send, "[DONE]", last=True)
