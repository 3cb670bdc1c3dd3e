"""The realtime WebSocket: GA `/openai/v1/realtime?model=D` and preview
`/openai/realtime?api-version=...&deployment=D`.

A refused upgrade is an HTTP answer with Azure's body (401, 404), as a real gateway gives it. After
the upgrade the server speaks first (`session.created`), then answers `session.update`,
`conversation.item.create` and a text `response.create` with deltas and `response.done`. GA event
names (`response.output_text.delta`); the preview path uses the beta names (`response.text.delta`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .. import wire
from ..faults import BlackHole, Effects, Reply, ResetConnection, reply_headers, run_faults
from . import asgi, auth, stall, tokens
from .region import RegionState


async def serve(state: RegionState, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
    path = scope["path"]
    query = _query(scope)
    if path == "/openai/v1/realtime":
        deployment_name, preview = query.get("model"), False
    elif path == "/openai/realtime" and "api-version" in query:
        deployment_name, preview = query.get("deployment"), True
    else:
        await _refuse(send, 404, wire.RESOURCE_NOT_FOUND)
        return
    request_id = state.new_id()
    effects = Effects()
    if await _faults(state, scope, receive, send, deployment_name, request_id, "before_auth", effects):
        return
    denied = auth.check(
        state.spec.auth,
        state.spec.api_key,
        asgi.header(scope, b"api-key"),
        asgi.header(scope, b"authorization"),
        query.get("api-key"),
    )
    if denied is not None:
        await _refuse(send, 401, denied)
        return
    if await _faults(state, scope, receive, send, deployment_name, request_id, "after_auth", effects):
        return
    deployment = state.spec.deployment(deployment_name)
    if deployment is None:
        await _refuse(send, 404, wire.DEPLOYMENT_NOT_FOUND)
        return
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send(
        {
            "type": "websocket.accept",
            "headers": [(b"apim-request-id", request_id.encode()), (b"x-ms-region", state.display_name)],
        }
    )
    if effects.stall_after_events is not None:  # the stream_stall fault: server events stop, the socket stays
        client = scope.get("client")
        send = stall.stalling(
            send,
            effects.stall_after_events,
            effects.stall_s,
            state.sleep,
            lambda: state.reset_connection(client, graceful=True),
        )
    session = RealtimeSession(
        state,
        effects.model_version or deployment.model_version,
        preview,
        request_id,
        send,
        jitter_s=effects.ws_jitter_s,
    )
    drop = None
    if effects.ws_drop_after_s is not None:  # the ws_drop fault: the socket dies after N seconds
        drop = asyncio.get_running_loop().call_later(
            effects.ws_drop_after_s, state.reset_connection, scope.get("client")
        )
    try:
        await session.run(receive)
    finally:
        if drop is not None:
            drop.cancel()


def _query(scope: asgi.Scope) -> dict[str, str]:
    from urllib.parse import parse_qs

    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[0] for k, v in parse_qs(raw).items()}


async def _refuse(send: asgi.Send, status: int, body: Any, headers: Any = ()) -> None:
    payload, content_type = asgi.encode(body)
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [content_type, (b"content-length", str(len(payload)).encode()), *headers],
        }
    )
    await send({"type": "websocket.http.response.body", "body": payload})


async def _faults(
    state: RegionState,
    scope: asgi.Scope,
    receive: asgi.Receive,
    send: asgi.Send,
    deployment: str | None,
    request_id: str,
    stage: str,
    effects: Effects,
) -> bool:
    verdict = await run_faults(state, deployment, scope["path"], request_id, stage, "GET", None, effects)
    if verdict is None:
        return False
    if verdict is ResetConnection:
        state.reset_connection(scope.get("client"))
    if verdict is ResetConnection or verdict is BlackHole:
        while (await receive())["type"] != "websocket.disconnect":
            pass
    else:
        assert isinstance(verdict, Reply)
        await _refuse(send, verdict.status, verdict.body, reply_headers(verdict))
    return True


class RealtimeSession:
    """One accepted realtime connection: the session it holds and the events it answers."""

    def __init__(
        self,
        state: RegionState,
        model_version: str,
        preview: bool,
        request_id: str,
        send: asgi.Send,
        jitter_s: float = 0.0,
    ) -> None:
        self.jitter_s = jitter_s
        self.state = state
        self.preview = preview
        self.send_raw = send
        self.events = 0
        self.items: list[dict[str, Any]] = []
        self.session: dict[str, Any] = {
            "id": "sess_" + request_id.replace("-", "")[:24],
            "object": "realtime.session",
            "type": "realtime",
            # the model and version behind the deployment, as Azure reports it (`gpt-realtime-2025-08-28`),
            # not the deployment's name: docs/wire-notes.md section 8
            "model": model_version,
            "output_modalities": ["audio"],
            "instructions": "",
            "max_output_tokens": "inf",
            "tools": [],
            "tool_choice": "auto",
        }
        self.model_version = model_version

    async def emit(self, event: dict[str, Any]) -> None:
        if self.jitter_s > 0:  # the ws_drop fault's jitter between events
            await self.state.sleep(self.state.rng.uniform(0, self.jitter_s))
        self.events += 1
        event = {"event_id": f"event_{self.events:08d}", **event}
        await self.send_raw({"type": "websocket.send", "text": json.dumps(event, separators=(",", ":"))})

    async def error(self, code: str, message: str, event_id: Any = None) -> None:
        await self.emit(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": code,
                    "message": message,
                    "param": None,
                    "event_id": event_id,
                },
            }
        )

    async def run(self, receive: asgi.Receive) -> None:
        await self.emit({"type": "session.created", "session": self.session})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            try:
                event = json.loads(text or "")
            except ValueError:
                await self.error("invalid_json", "The server could not parse the event as JSON.")
                continue
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                await self.error("invalid_event", "Every client event needs a string 'type'.")
                continue
            await self.handle(event)

    async def handle(self, event: dict[str, Any]) -> None:
        event_type, event_id = event["type"], event.get("event_id")
        if event_type == "session.update":
            if isinstance(event.get("session"), dict):
                self.session.update({k: v for k, v in event["session"].items() if k not in ("id", "object")})
            await self.emit({"type": "session.updated", "session": self.session})
        elif event_type == "conversation.item.create":
            item = event.get("item") if isinstance(event.get("item"), dict) else {}
            item = {
                "id": item.get("id") or f"item_{len(self.items) + 1:06d}",
                "object": "realtime.item",
                "status": "completed",
                **item,
            }
            self.items.append(item)
            await self.emit(
                {
                    "type": "conversation.item.created" if self.preview else "conversation.item.added",
                    "previous_item_id": None,
                    "item": item,
                }
            )
            if not self.preview:
                await self.emit({"type": "conversation.item.done", "previous_item_id": None, "item": item})
        elif event_type == "response.create":
            await self.respond()
        elif event_type in (
            "input_audio_buffer.append",
            "input_audio_buffer.clear",
            "input_audio_buffer.commit",
            "response.cancel",
        ):
            pass  # accepted silently: audio is not simulated
        else:
            await self.error("unknown_event", f"Unknown event type '{event_type}'.", event_id)

    async def respond(self) -> None:
        state = self.state
        number = self.events + 1
        response_id, item_id = f"resp_{number:012d}", f"item_r{number:06d}"
        response = {
            "id": response_id,
            "object": "realtime.response",
            "status": "in_progress",
            "output": [],
            "usage": None,
        }
        await self.emit({"type": "response.created", "response": response})
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        await self.emit(
            {"type": "response.output_item.added", "response_id": response_id, "output_index": 0, "item": item}
        )
        await self.emit(
            {
                "type": "response.content_part.added",
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "text", "text": ""},
            }
        )
        words = tokens.reply_words(state.rng, state.spec.reply_tokens)
        latency = state.spec.latency
        ttft_s, per_token_s = latency.sample_ttft_s(state.rng), latency.sample_per_token_s(state.rng)
        delta_type = "response.text.delta" if self.preview else "response.output_text.delta"
        done_type = "response.text.done" if self.preview else "response.output_text.done"
        for i, word in enumerate(words):
            pause = ttft_s if i == 0 else per_token_s
            if pause > 0:
                await state.sleep(pause)
            await self.emit(
                {
                    "type": delta_type,
                    "response_id": response_id,
                    "item_id": item_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": word,
                }
            )
        text = "".join(words)
        await self.emit(
            {
                "type": done_type,
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "text": text,
            }
        )
        part = {"type": "text", "text": text}
        await self.emit(
            {
                "type": "response.content_part.done",
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": part,
            }
        )
        item = {**item, "status": "completed", "content": [part]}
        await self.emit(
            {"type": "response.output_item.done", "response_id": response_id, "output_index": 0, "item": item}
        )
        input_tokens = tokens.messages_tokens(self.items)
        await self.emit(
            {
                "type": "response.done",
                "response": {
                    **response,
                    "status": "completed",
                    "output": [item],
                    "usage": {
                        "total_tokens": input_tokens + len(words),
                        "input_tokens": input_tokens,
                        "output_tokens": len(words),
                    },
                },
            }
        )
