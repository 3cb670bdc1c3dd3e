"""The stream_stall fault's effect on the wire: a `send` that lets `after_events` stream events
through, then holds the next one for `stall_s` seconds, sending nothing (the connection stays
open), closes the connection without a finish and swallows everything the handler still writes.

Events are counted as they go out, whatever wrote them: an HTTP body message that starts with
`data:` (chat and Responses streams write one event per message) or a realtime `websocket.send`.
The response head and a non-streamed body are not events and are never held.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from . import asgi

__all__ = ["stalling"]


def _is_event(message: dict[str, Any]) -> bool:
    if message["type"] == "websocket.send":
        return True
    return message["type"] == "http.response.body" and bytes(message.get("body", b"")).startswith(b"data:")


def stalling(
    send: asgi.Send,
    after_events: int,
    stall_s: float,
    sleep: Callable[[float], Awaitable[None]],
    close: Callable[[], None],
) -> asgi.Send:
    """`send`, stalled after `after_events` events; `close` ends the connection (a FIN after what
    was written) once the stall is over."""
    sent = 0
    stalled = False

    async def send_stalled(message: dict[str, Any]) -> None:
        nonlocal sent, stalled
        if stalled:
            return  # the connection is gone: what the handler still writes goes nowhere
        if _is_event(message):
            if sent >= after_events:
                stalled = True
                if stall_s > 0:
                    await sleep(stall_s)
                close()
                return
            sent += 1
        await send(message)

    return send_stalled
