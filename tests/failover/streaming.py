"""Shared by the stream tests: drive one streamed call through the sync or the async client with
the same code, and put a streamed tool call back together."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AsyncFailoverClient, FailoverClient

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder, regions

MODES = ("sync", "async")
WEATHER_PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city", "days"],
    "additionalProperties": False,
}
CHAT_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_PARAMS}}
RESPONSES_TOOL = {"type": "function", "name": "get_weather", "parameters": WEATHER_PARAMS}
TOOL_CALL = {
    "chat.completions": {"messages": MESSAGES, "tools": [CHAT_TOOL], "tool_choice": "required"},
    "responses": {"input": "ping", "tools": [RESPONSES_TOOL], "tool_choice": "required"},
}
TEXT = {"chat.completions": {"messages": MESSAGES}, "responses": {"input": "ping"}}


def _resource(client: Any, operation: str) -> Any:
    return client.chat.completions if operation == "chat.completions" else client.responses


class Drained:
    """What the caller of one streamed call saw: the chunks, in order, and the region."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []
        self.region: str | None = None


def drain(
    mode: str,
    sim: SimulatorThread,
    rec: Recorder,
    operation: str,
    seen: Drained,
    on_chunk: Callable[[Any], None] | None = None,
    **options: Any,
) -> Drained:
    """Create the stream (`operation`'s tool call unless `text=True`) with the sync or async client
    and read it to its end, calling `on_chunk` with each chunk; `seen` fills as it goes, so a test
    still sees what arrived when the stream raises."""
    kwargs = dict((TEXT if options.pop("text", False) else TOOL_CALL)[operation])
    options = {"read_timeout_s": 5, "deadline_s": 20, "backoff_base_s": 0.05, "backoff_max_s": 0.2, **options}
    built = {"environ": {"SIM_KEY": KEY}, "on_event": rec, "seed": 1, **options}

    def take(chunk: Any) -> None:
        seen.chunks.append(chunk)
        if on_chunk is not None:
            on_chunk(chunk)

    if mode == "sync":
        with FailoverClient(regions(sim), **built) as client:
            stream = _resource(client, operation).create(model="gpt-4o", stream=True, **kwargs)
            seen.region = stream.region
            for chunk in stream:
                take(chunk)
        return seen

    async def run() -> None:
        async with AsyncFailoverClient(regions(sim), **built) as client:
            stream = await _resource(client, operation).create(model="gpt-4o", stream=True, **kwargs)
            seen.region = stream.region
            async for chunk in stream:
                take(chunk)

    asyncio.run(run())
    return seen


def is_fragment(operation: str, chunk: Any) -> bool:
    """A piece of a tool call: a chat `delta.tool_calls`, or a Responses function-call event."""
    if operation == "chat.completions":
        return bool(chunk.choices and chunk.choices[0].delta.tool_calls)
    return chunk.type in ("response.output_item.added", "response.function_call_arguments.delta")


def tool_calls(operation: str, chunks: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """The streamed tool calls, put together from their fragments: (name, parsed arguments) each
    (json.loads raises on arguments that do not parse: a spliced call would not)."""
    names: dict[int, str] = {}
    arguments: dict[int, str] = {}
    for chunk in chunks:
        if operation == "chat.completions":
            for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                if call.function.name:
                    names[call.index] = call.function.name
                arguments[call.index] = arguments.get(call.index, "") + (call.function.arguments or "")
        elif chunk.type == "response.output_item.added" and chunk.item.type == "function_call":
            names[chunk.output_index] = chunk.item.name
            arguments[chunk.output_index] = ""
        elif chunk.type == "response.function_call_arguments.delta":
            arguments[chunk.output_index] += chunk.delta
    return [(names[i], json.loads(arguments[i])) for i in sorted(names)]
