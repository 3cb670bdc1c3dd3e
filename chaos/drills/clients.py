"""The clients a drill can put under load, behind one small interface.

- "bundled": aoai-watch's AsyncFailoverClient (and RealtimeSession for realtime loads).
- "naive": the plain openai SDK on the primary region with its default retries, and one realtime
  socket with no reconnect: the baseline a drill suite must fail.
- "module:factory": your own. `factory(regions, options)` gets the drill's regions
  (`list[RegionConfig]`, keys in the environment variables they name) and its `[client]` options
  (a dict of seconds), and returns an object with the async openai surface
  (`chat.completions.create`, `responses.create`); for realtime loads it may also have
  `async realtime_ask(text) -> str`. Every request should pass `extra_headers` through: the drill
  tags each call with `x-ms-client-request-id` to count attempts server-side.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openai
import websockets

from ...failover import AsyncFailoverClient, RealtimeSession
from ...failover.config import RegionConfig
from ...probes.answers import WrongAnswer, mismatch
from ...probes.kinds.tools import TOOL

__all__ = ["CallOutcome", "CorruptedToolCall", "DrillClient", "WrongAnswer", "build_client"]

PROMPT = [{"role": "user", "content": "Say something short."}]
# The `tools` shape: an agent's turn. The model is offered one function and asked about it by name;
# it must call it with arguments the schema accepts, and answer in text once given the result.
WEATHER_TOOL = TOOL  # the `tools` probe's function: one definition of the agent's tool
AGENT_PROMPT = [{"role": "user", "content": "What is the weather in Stockholm? Use get_weather."}]
# The `structured` shape: a json_schema answer the caller parses.
TICKET_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "ticket",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "priority": {"type": "string", "enum": ["low", "medium", "high"]},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["title", "priority", "tags"],
            "additionalProperties": False,
        },
    },
}
STRUCTURED_PROMPT = [{"role": "user", "content": "File a ticket: the East US 2 deployment answers 503."}]


class CorruptedToolCall(WrongAnswer):
    """A tool call whose arguments do not parse or do not match its function's schema: what a
    spliced stream (two answers' fragments glued together) produces. The drill counts these apart
    (`corrupted_tool_calls`): a failed call is an outage, a corrupted one is a bug."""


def _parsed_arguments(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except ValueError:
        raise CorruptedToolCall(f"the tool call's arguments are not JSON: {str(text)[:80]!r}") from None


def _whole_tool_calls(result: Any) -> tuple[str | None, list[_ToolCall], int]:
    """A non-streamed answer's finish reason, tool calls and tokens."""
    choice = result.choices[0]
    calls = [_ToolCall(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []]
    return choice.finish_reason, calls, _total_tokens(result)


def _parsed(text: str | None, what: str) -> Any:
    try:
        return json.loads(text or "")
    except ValueError:
        raise WrongAnswer(f"{what} is not JSON: {str(text)[:80]!r}") from None


@dataclass
class CallOutcome:
    tokens: int = 0
    region: str | None = None  # when the client knows (realtime); else the server log says
    requests: int = 1  # requests one call of this shape is made of, each tagged with the call's id


@dataclass(frozen=True)
class _ToolCall:
    """One tool call, from a whole message or assembled from stream fragments."""

    id: str
    name: str
    arguments: str


def _total_tokens(result: Any) -> int:
    return getattr(result.usage, "total_tokens", 0) or 0


class DrillClient:
    """Adapts a client with the async openai surface to the drill's request shapes."""

    def __init__(self, client: Any, model: str, realtime: Any = None, close: Callable[[], Any] | None = None) -> None:
        self.client = client
        self.model = model
        self.realtime = realtime
        self._close = close

    async def chat(self, call_id: str) -> CallOutcome:
        result = await self.client.chat.completions.create(
            model=self.model, messages=PROMPT, max_tokens=8, extra_headers={"x-ms-client-request-id": call_id}
        )
        return CallOutcome(tokens=_total_tokens(result))

    async def stream(self, call_id: str) -> CallOutcome:
        stream = await self.client.chat.completions.create(
            model=self.model,
            messages=PROMPT,
            max_tokens=8,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers={"x-ms-client-request-id": call_id},
        )
        tokens, finished = 0, False
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].finish_reason:
                finished = True
            if getattr(chunk, "usage", None) is not None:
                tokens = chunk.usage.total_tokens
        if not finished:
            raise ConnectionError("the stream ended without a finish reason")
        return CallOutcome(tokens=tokens)

    async def tools(self, call_id: str) -> CallOutcome:
        """One agent turn: the model calls the tool, the tool's result goes back, the model answers
        in text. Both requests carry the call's id (a call of this shape is two requests)."""
        return await self._agent_turn(call_id, stream=False)

    async def stream_tools(self, call_id: str) -> CallOutcome:
        """The `tools` turn with the tool call streamed: its arguments arrive in fragments the
        caller assembles, so a client that splices two answers' fragments yields a corrupted call."""
        return await self._agent_turn(call_id, stream=True)

    async def _agent_turn(self, call_id: str, stream: bool) -> CallOutcome:
        headers = {"x-ms-client-request-id": call_id}
        if stream:
            finish, calls, tokens = await self._streamed_tool_calls(AGENT_PROMPT, headers)
        else:
            finish, calls, tokens = _whole_tool_calls(
                await self.client.chat.completions.create(
                    model=self.model, messages=AGENT_PROMPT, tools=[WEATHER_TOOL], max_tokens=64, extra_headers=headers
                )
            )
        if finish != "tool_calls" or not calls:
            raise WrongAnswer(f"expected a get_weather call, got finish_reason {finish!r}")
        for call in calls:
            arguments = _parsed_arguments(call.arguments)
            problem = mismatch(arguments, WEATHER_TOOL["function"]["parameters"])
            if call.name != "get_weather" or problem is not None:
                why = problem or f"it calls {call.name!r}"
                raise CorruptedToolCall(f"the tool call does not fit get_weather's schema ({why}): {call.arguments!r}")
        follow_up = [
            *AGENT_PROMPT,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in calls
                ],
            },
            *({"role": "tool", "tool_call_id": c.id, "content": '{"temperature_c": 4}'} for c in calls),
        ]
        second = await self.client.chat.completions.create(
            model=self.model, messages=follow_up, tools=[WEATHER_TOOL], max_tokens=64, extra_headers=headers
        )
        if second.choices[0].finish_reason != "stop" or not second.choices[0].message.content:
            raise WrongAnswer(f"expected a text answer after the tool result, got {second.choices[0].finish_reason!r}")
        return CallOutcome(tokens=tokens + _total_tokens(second), requests=2)

    async def _streamed_tool_calls(
        self, messages: Any, headers: dict[str, str]
    ) -> tuple[str | None, list[_ToolCall], int]:
        """Stream the first request and assemble its tool calls by index, as agent frameworks do."""
        stream = await self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            tools=[WEATHER_TOOL],
            max_tokens=64,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers,
        )
        parts: dict[int, dict[str, str]] = {}
        finish, tokens = None, 0
        async for chunk in stream:
            if getattr(chunk, "usage", None) is not None:
                tokens = chunk.usage.total_tokens
            for choice in chunk.choices or []:
                finish = choice.finish_reason or finish
                for delta in choice.delta.tool_calls or []:
                    part = parts.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                    part["id"] = delta.id or part["id"]
                    if delta.function is not None:
                        part["name"] += delta.function.name or ""
                        part["arguments"] += delta.function.arguments or ""
        if finish is None:
            raise ConnectionError("the stream ended without a finish reason")
        return finish, [_ToolCall(**parts[i]) for i in sorted(parts)], tokens

    async def structured(self, call_id: str) -> CallOutcome:
        """A json_schema answer, parsed and checked against the schema."""
        result = await self.client.chat.completions.create(
            model=self.model,
            messages=STRUCTURED_PROMPT,
            response_format=TICKET_FORMAT,
            max_tokens=128,
            extra_headers={"x-ms-client-request-id": call_id},
        )
        ticket = _parsed(result.choices[0].message.content, "the structured answer")
        if mismatch(ticket, TICKET_FORMAT["json_schema"]["schema"]) is not None:
            raise WrongAnswer(f"the answer does not match the ticket schema: {result.choices[0].message.content!r}")
        return CallOutcome(tokens=_total_tokens(result))

    async def responses_turn(self, call_id: str, text: str, previous_id: str | None) -> tuple[CallOutcome, str]:
        kwargs: dict[str, Any] = {"previous_response_id": previous_id} if previous_id else {}
        result = await self.client.responses.create(
            model=self.model,
            input=text,
            max_output_tokens=16,
            extra_headers={"x-ms-client-request-id": call_id},
            **kwargs,
        )
        return CallOutcome(tokens=_total_tokens(result)), result.id

    async def realtime_ask(self, call_id: str) -> CallOutcome:
        if self.realtime is None:
            raise TypeError("this client has no realtime support (realtime_ask)")
        await self.realtime.ask("Say OK.")
        return CallOutcome(region=getattr(self.realtime, "region", None))

    async def close(self) -> None:
        if self.realtime is not None and hasattr(self.realtime, "close"):
            await self.realtime.close()
        if self._close is not None:
            result = self._close()
            if hasattr(result, "__await__"):
                await result


class NaiveRealtime:
    """One realtime socket to the primary, opened once, never reopened."""

    def __init__(self, region: RegionConfig, key: str, model: str) -> None:
        scheme = "wss" if region.endpoint.startswith("https://") else "ws"
        self.url = f"{scheme}://{region.endpoint.split('://', 1)[1]}/openai/v1/realtime?model={model}"
        self.key = key
        self.region = region.name
        self.ws: Any = None

    async def ask(self, text: str) -> str:
        if self.ws is None:
            self.ws = await websockets.connect(self.url, additional_headers={"api-key": self.key})
            await self.ws.recv()  # session.created
        await self.ws.send(json.dumps({"type": "response.create"}))
        while True:
            event = json.loads(await self.ws.recv())
            if event.get("type") == "response.done":
                return ""

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def build_client(
    spec: str,
    regions: Sequence[RegionConfig],
    options: Mapping[str, float],
    model: str,
    environ: Mapping[str, str],
    realtime: bool,
) -> DrillClient:
    """`spec` is "bundled", "naive" or "module:factory"."""
    if spec == "bundled":
        client = AsyncFailoverClient(list(regions), environ=environ, **options)
        session = RealtimeSession(list(regions), model, environ=environ, **options) if realtime else None
        return DrillClient(client, model, session, client.close)
    primary = regions[0]
    key = environ.get(primary.api_key_env or "", "")
    if spec == "naive":
        client = openai.AsyncOpenAI(
            base_url=primary.base_url, api_key=key, timeout=options.get("read_timeout_s", 600.0)
        )  # default retries: 2
        deployment = primary.deployments.get(model, model)
        return DrillClient(
            _Renamed(client, deployment),
            model,
            NaiveRealtime(primary, key, deployment) if realtime else None,
            client.close,
        )
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--client takes bundled, naive or module:factory; got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    client = factory(list(regions), dict(options))
    ask = getattr(client, "realtime_ask", None)
    realtime_adapter = _AskAdapter(ask) if ask is not None else None
    return DrillClient(client, model, realtime_adapter, getattr(client, "close", None))


class _Renamed:
    """The plain SDK needs the deployment name where the failover client takes the model."""

    def __init__(self, client: openai.AsyncOpenAI, deployment: str) -> None:
        self._client, self._deployment = client, deployment
        self.chat = _Namespace(completions=_Create(client.chat.completions.create, deployment))
        self.responses = _Create(client.responses.create, deployment)


@dataclass
class _Namespace:
    completions: Any


class _Create:
    def __init__(self, create: Callable[..., Any], deployment: str) -> None:
        self._create, self._deployment = create, deployment

    def create(self, **kwargs: Any) -> Any:
        return self._create(**{**kwargs, "model": self._deployment})


class _AskAdapter:
    def __init__(self, ask: Callable[[str], Any]) -> None:
        self._ask = ask
        self.region = None

    async def ask(self, text: str) -> str:
        return await self._ask(text)
