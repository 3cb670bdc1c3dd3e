"""The Responses event stream: every event in the shape the published `ResponseStreamEvent`
schema gives it, numbered by `sequence_number` from 0.

    response.created, response.in_progress       the response with status in_progress, no output
                                                 and no `usage` (the schema's usage is not nullable)
    per output item, in order:
      response.output_item.added                 the item in_progress, empty arguments / content
      message:  response.content_part.added, response.output_text.delta (one per token),
                response.output_text.done, response.content_part.done
      function_call: response.function_call_arguments.delta (one per token),
                response.function_call_arguments.done (with `name` and the whole arguments)
      response.output_item.done                  the finished item
    response.completed, or response.incomplete   the finished response (stored first, when it is)

The slow_stream fault's effects apply to the token deltas: `chunk_delay_s` more between them,
`stop_after_chunks` cuts the connection after that many (no done events, nothing stored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import asgi
from .region import Call
from .responses_output import Item, Output

__all__ = ["stream"]


async def stream(
    call: Call,
    pending: dict[str, Any],
    output: Output,
    final: dict[str, Any],
    ttft_s: float,
    per_token_s: float,
    store: Callable[[], None] | None,
) -> None:
    """Send the whole sequence for `output`; `pending` is the in-progress response, `final` the
    finished one, `store` (when the response is stored) runs just before the final event."""
    region, send = call.region, call.send
    number = 0
    tokens_sent = 0
    stop_after = call.effects.stop_after_chunks
    pause_s = per_token_s + call.effects.chunk_delay_s

    async def emit(kind: str, **fields: Any) -> None:
        nonlocal number
        await asgi.send_event(send, {"type": kind, "sequence_number": number, **fields})
        number += 1

    async def deltas(item: Item, index: int, kind: str, extra: dict[str, Any]) -> bool:
        """One delta per token; False when the slow_stream fault cut the connection."""
        nonlocal tokens_sent
        for part in item.parts:
            pause = ttft_s if tokens_sent == 0 else pause_s
            if pause > 0:
                await region.sleep(pause)
            if stop_after is not None and tokens_sent >= stop_after:
                region.reset_connection(call.scope.get("client"), graceful=True)
                return False
            await emit(kind, item_id=item.id, output_index=index, **extra, delta=part)
            tokens_sent += 1
        return True

    call.record(200, stream=True)
    await asgi.start_stream(send, call.headers)
    await emit("response.created", response=pending)
    await emit("response.in_progress", response=pending)
    for index, item in enumerate(output.items):
        await emit("response.output_item.added", output_index=index, item=item.wire("in_progress", empty=True))
        if item.kind == "function_call":
            if not await deltas(item, index, "response.function_call_arguments.delta", {}):
                return
            await emit(
                "response.function_call_arguments.done",
                item_id=item.id,
                output_index=index,
                name=item.name,
                arguments=item.text,
            )
        else:
            ids = {"item_id": item.id, "output_index": index, "content_index": 0}
            await emit("response.content_part.added", **ids, part=item.content_part(""))
            if not await deltas(item, index, "response.output_text.delta", {"content_index": 0, "logprobs": []}):
                return
            await emit("response.output_text.done", **ids, text=item.text, logprobs=[])
            await emit("response.content_part.done", **ids, part=item.content_part(item.text))
        await emit("response.output_item.done", output_index=index, item=item.wire())
    if store is not None:
        store()
    kind = "response.completed" if output.reason is None else "response.incomplete"
    await emit(kind, response=final)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
