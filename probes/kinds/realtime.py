"""`realtime`: open the realtime WebSocket (GA path), wait for `session.created`, send one text
request; connect time (to session.created), time to the first text delta, to `response.done`,
and the longest gap between two events the server sent (`max_gap_ms`).
The model version is what `session.created` reports in `session.model` (Azure: the model and its
version, `gpt-realtime-2025-08-28`); a `session.model` that is only the deployment's name reports no
version, and is recorded as none (docs/wire-notes.md section 8).
A refused upgrade is classified by its HTTP status; a socket that drops is a `connect_error`."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ..context import ProbeContext, header_value

NAME = "realtime"
MODEL_SETTING = "realtime_model"
ON_BY_DEFAULT = False  # needs a realtime deployment, which most regions lack


class RealtimeError(Exception):
    """The server sent an `error` event."""


def url(endpoint: str, deployment: str) -> str:
    scheme = "wss" if endpoint.startswith("https://") else "ws"
    host = endpoint.split("://", 1)[1]
    return f"{scheme}://{host}/openai/v1/realtime?model={quote(deployment)}"


def reported_version(model: object, deployment: str) -> str | None:
    """The model version a `session.model` reports: None when it is missing or names the deployment
    (that would read as a version change against chat's `gpt-4o-2024-08-06` on every cycle)."""
    return model if isinstance(model, str) and model and model != deployment else None


async def _next(ws: Any, ctx: ProbeContext) -> dict[str, Any]:
    message = await ws.recv()
    ctx.stream_event()
    event = json.loads(message)
    if not isinstance(event, dict):
        raise ValueError(f"the server sent a realtime event that is not a JSON object ({type(event).__name__})")
    if event.get("type") == "error":
        raise RealtimeError(str(event.get("error", {}).get("code") or "error event"))
    return event


async def run(ctx: ProbeContext) -> None:
    from ...failover.realtime import connect_websocket  # here: websockets and openai load only to probe

    key_or_token, header = await ctx.credential()
    async with connect_websocket(
        url(ctx.target.region.endpoint, ctx.target.deployment),
        additional_headers={header: key_or_token},
        open_timeout=None,
        max_size=2**22,
    ) as ws:
        ctx.result.request_id = header_value(ws.response.headers, "apim-request-id") if ws.response else None
        event = await _next(ws, ctx)
        if event.get("type") != "session.created":
            raise RealtimeError(f"expected session.created first, got {event.get('type')}")
        ctx.result.connect_ms = ctx.elapsed_ms()
        ctx.result.model_version = reported_version((event.get("session") or {}).get("model"), ctx.target.deployment)
        await ws.send(
            json.dumps(
                {
                    "type": "conversation.item.create",
                    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say OK."}]},
                }
            )
        )
        await ws.send(json.dumps({"type": "response.create", "response": {"output_modalities": ["text"]}}))
        while True:
            event = await _next(ws, ctx)
            kind = event.get("type")
            if kind in ("response.output_text.delta", "response.text.delta") and ctx.result.ttft_ms is None:
                ctx.result.ttft_ms = ctx.elapsed_ms()
            if kind == "response.done":
                usage = (event.get("response") or {}).get("usage") or {}
                ctx.result.prompt_tokens = usage.get("input_tokens")
                ctx.result.completion_tokens = usage.get("output_tokens")
                return
