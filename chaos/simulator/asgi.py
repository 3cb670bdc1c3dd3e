"""The few ASGI primitives the simulator needs, without a web framework on the hot path.

A framework would answer bad input with its own shapes (FastAPI's 422 `detail`); Azure never does,
so every byte the simulator sends is chosen here or in the handlers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Header = tuple[bytes, bytes]
Headers = list[Header]

JSON_TYPE = (b"content-type", b"application/json")
SSE_TYPE = (b"content-type", b"text/event-stream; charset=utf-8")


class BodyTooLarge(Exception):
    """The request body is over the limit; nothing past the limit was kept."""


class ClientGone(Exception):
    """The client disconnected before the body was read."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header `name` (lower-case bytes), decoded, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def read_body(declared: str | bytes | None, receive: Receive, limit_bytes: int) -> bytes:
    """The whole request body, refusing before reading when Content-Length (`declared`, the
    header's text or raw bytes) says it is too big, and stopping as soon as a chunked body passes
    the limit (never more than the limit in memory)."""
    if declared is not None and declared.isdigit() and int(declared) > limit_bytes:
        raise BodyTooLarge
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body: bytes = message.get("body", b"")
    if len(body) > limit_bytes:
        raise BodyTooLarge
    if not message.get("more_body", False):
        return body  # the whole body in one message: what a small request always is
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class RawJson(bytes):
    """JSON already encoded (the hot chat path renders from a template)."""


def encode(body: Any) -> tuple[bytes, tuple[bytes, bytes]]:
    """Body bytes and their content-type: dicts/lists as JSON, str as text, bytes as they are."""
    if isinstance(body, RawJson):
        return body, JSON_TYPE
    if isinstance(body, bytes):
        return body, (b"content-type", b"application/octet-stream")
    if isinstance(body, str):
        content_type = b"text/html; charset=utf-8" if body.lstrip().startswith("<") else b"text/plain; charset=utf-8"
        return body.encode(), (b"content-type", content_type)
    return json.dumps(body, separators=(",", ":")).encode(), JSON_TYPE


async def send_response(
    send: Send, status: int, body: Any, headers: Iterable[Header], extra: Iterable[Header] = ()
) -> None:
    """One whole response: `body` encoded as `encode` does, then `headers` and `extra` (two lists, so
    a caller's common headers and one answer's own need not be joined first)."""
    payload, content_type = encode(body)
    all_headers = [content_type, (b"content-length", str(len(payload)).encode()), *headers, *extra]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": payload})


async def start_stream(send: Send, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Start a server-sent-events response (chunked transfer encoding, as Azure sends it)."""
    await send(
        {"type": "http.response.start", "status": 200, "headers": [SSE_TYPE, (b"cache-control", b"no-cache"), *headers]}
    )


async def send_event(send: Send, data: Any, last: bool = False) -> None:
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    await send({"type": "http.response.body", "body": f"data: {text}\n\n".encode(), "more_body": not last})


async def wait_for_disconnect(receive: Receive) -> None:
    """Hold the request open until the client goes away (a black hole)."""
    while (await receive())["type"] != "http.disconnect":
        pass
