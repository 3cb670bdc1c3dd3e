"""`RealtimeSession`: a realtime WebSocket that survives drops.

Azure's realtime sockets drop on network jitter. The session connects to the highest-priority
region whose breaker allows it, remembers the session configuration (`update_session`) and
re-sends it after every reconnect, reconnects with jittered exponential backoff, and moves to
another region once one keeps failing (the same breakers as the HTTP client). Every connect and
drop is an `AttemptEvent` (operation "realtime") on the same `on_event` hook.

A server that goes quiet is a stall: `session.created` must come within `stream_idle_timeout_s` (and
`read_timeout_s`) of the upgrade, else that connect fails over like a timeout; later, `recv()`
raises `StreamStalled` (region, deployment, gap) when no server event comes within
`stream_idle_timeout_s`, counts a timeout on the region's breaker and drops the socket (the next
call reconnects).

    async with RealtimeSession(regions, "gpt-realtime", environ=os.environ) as rt:
        await rt.update_session({"type": "realtime", "instructions": "Be brief."})
        text = await rt.ask("Hello")            # retried once on a new socket if the old one drops
        await rt.send({...}); event = await rt.recv()   # lower level; see recv() for drops

GA path by default (`/openai/v1/realtime?model=...`); `preview=True` uses
`/openai/realtime?api-version=2025-04-01-preview&deployment=...` with `OpenAI-Beta: realtime=v1`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import websockets
import websockets.asyncio.client
import websockets.exceptions
import websockets.uri

from . import events as ev
from .classify import CredentialError, outcome_for_status
from .config import RegionConfig
from .errors import AllRegionsFailed, RegionFailure, StreamStalled
from .events import AttemptEvent, Event
from .options import FailoverOptions
from .outcomes import Outcome
from .router import RegionRuntime, Router

__all__ = ["RealtimeSession"]

PREVIEW_API_VERSION = "2025-04-01-preview"
RECONNECTED = "session.reconnected"  # a synthetic event recv() returns after a reconnect


class RealtimeSession:
    def __init__(
        self,
        regions: Sequence[RegionConfig],
        model: str,
        *,
        preview: bool = False,
        on_event: Callable[[Event], None] | None = None,
        token_provider: Callable[[], Any] | Mapping[str, Callable[[], Any]] | None = None,
        environ: Mapping[str, str] | None = None,
        options: FailoverOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        **overrides: Any,
    ) -> None:
        self.options = (options or FailoverOptions()).replace(**overrides)
        self.model = model
        self.preview = preview
        self._router = Router(regions, self.options, on_event, token_provider, clock, seed, environ)
        self._regions = self._router.for_model(model)
        self._session_config: dict[str, Any] | None = None
        self._ws: Any = None
        self.region: str | None = None
        self.reconnects = 0
        self._call_id = self._router.next_call_id()
        self._attempt = 0

    # --- connection ------------------------------------------------------------------------

    def _url(self, region: RegionRuntime) -> str:
        endpoint = region.config.endpoint
        scheme = "wss" if endpoint.startswith("https://") else "ws"
        host = endpoint.split("://", 1)[1]
        deployment = quote(region.deployment(self.model) or "")
        if self.preview:
            return f"{scheme}://{host}/openai/realtime?api-version={PREVIEW_API_VERSION}&deployment={deployment}"
        return f"{scheme}://{host}/openai/v1/realtime?model={deployment}"

    async def connect(self) -> None:
        """Connect (or reconnect) within the deadline, preferring healthy regions by priority."""
        started = self._router.clock()
        deadline = started + self.options.deadline_s
        failures: dict[str, RegionFailure] = {}
        tries: dict[str, int] = {}
        while True:
            # regions not yet tried in this connect first, by priority; then the others again
            ordered = sorted(self._regions, key=lambda r: r.name in tries)
            region = next((r for r in ordered if r.usable and r.breaker.acquire()), None)
            if region is None:
                ready = min((r.breaker.ready_at() for r in self._regions if r.usable), default=None)
                now = self._router.clock()
                if ready is None or ready >= deadline:
                    raise AllRegionsFailed(
                        self.model,
                        failures
                        or {
                            r.name: RegionFailure(
                                r.name, None, r.breaker.reason or "breaker open", r.breaker.snapshot().retry_in_s
                            )
                            for r in self._regions
                        },
                        now - started,
                    )
                await asyncio.sleep(max(0.0, ready - now))
                continue
            self._attempt += 1
            attempt_started = self._router.clock()
            try:
                await self._open(region)
            except Exception as exc:
                outcome, status = _classify(exc)
                region.record_failure_outcome(outcome, status, self._router.redact(str(exc))[:200])
                shown = f"HTTP {status}" if status is not None else f"{outcome} ({type(exc).__name__})"
                failures[region.name] = RegionFailure(region.name, outcome, shown, region.breaker.snapshot().retry_in_s)
                tries[region.name] = tries.get(region.name, 0) + 1
                others = [r for r in self._regions if r.name not in tries and r.usable and r.breaker.available()]
                self._emit(region, attempt_started, outcome, status, ev.FAIL_OVER if others else ev.RETRY)
                if not others and self._router.clock() < deadline:
                    ceiling = min(
                        self.options.backoff_max_s, self.options.backoff_base_s * 2 ** (tries[region.name] - 1)
                    )
                    await asyncio.sleep(self._router.rng.uniform(0, ceiling))  # full jitter
                continue
            region.record_success()
            self._emit(region, attempt_started, Outcome.OK, 101, ev.RETURN)
            return

    async def _open(self, region: RegionRuntime) -> None:
        header, value = await region.auth_header()
        headers = {header: value}
        if self.preview:
            headers["OpenAI-Beta"] = "realtime=v1"
        ws = await asyncio.wait_for(
            connect_websocket(self._url(region), additional_headers=headers, open_timeout=None, max_size=2**24),
            self.options.connect_timeout_s,
        )
        try:
            first_within_s = min(self.options.read_timeout_s, self.options.stream_idle_timeout_s)
            first = _event(await asyncio.wait_for(ws.recv(), first_within_s))
            if first.get("type") != "session.created":
                shown = self._router.redact(str(first.get("type")))[:100]
                raise websockets.exceptions.InvalidMessage(f"expected session.created, got {shown}")
            if self._session_config is not None:  # what the caller configured survives the drop
                await ws.send(json.dumps({"type": "session.update", "session": self._session_config}))
        except BaseException:
            await ws.close()
            raise
        if self._ws is not None:
            self.reconnects += 1
        self._ws, self.region = ws, region.name

    async def _reconnect_after_drop(self, exc: BaseException) -> None:
        region = next(r for r in self._regions if r.name == self.region)
        region.record_failure_outcome(Outcome.CONNECT_ERROR, None, f"socket dropped ({type(exc).__name__})")
        self._emit(region, self._router.clock(), Outcome.CONNECT_ERROR, None, ev.RETRY, detail="socket dropped")
        await self.connect()

    def _emit(
        self,
        region: RegionRuntime,
        started: float,
        outcome: Outcome,
        status: int | None,
        decision: str,
        detail: str = "",
    ) -> None:
        self._router.emit(
            AttemptEvent(
                call_id=self._call_id,
                attempt=self._attempt,
                operation="realtime",
                region=region.name,
                deployment=region.deployment(self.model) or "",
                outcome=outcome,
                status=status,
                latency_ms=(self._router.clock() - started) * 1000.0,
                decision=decision,
                detail=detail,
            )
        )

    # --- the caller's side -----------------------------------------------------------------

    async def update_session(self, session: dict[str, Any]) -> None:
        """Send session.update now and again after every reconnect."""
        self._session_config = {**(self._session_config or {}), **session}
        await self.send({"type": "session.update", "session": session})

    async def send(self, event: dict[str, Any]) -> None:
        if self._ws is None:
            await self.connect()
        try:
            await self._ws.send(json.dumps(event))
        except websockets.exceptions.ConnectionClosed as exc:
            await self._reconnect_after_drop(exc)
            await self._ws.send(json.dumps(event))

    async def recv(self) -> dict[str, Any]:
        """The next server event. After a drop the session reconnects and returns
        `{"type": "session.reconnected", "region": ...}`: whatever was in flight is gone, so the
        caller re-sends its request."""
        if self._ws is None:
            await self.connect()
        waited_from = time.monotonic()  # real time: a stall is a socket that sends nothing
        try:
            return _event(await asyncio.wait_for(self._ws.recv(), self.options.stream_idle_timeout_s))
        except websockets.exceptions.ConnectionClosed as exc:
            await self._reconnect_after_drop(exc)
            return {"type": RECONNECTED, "region": self.region}
        except TimeoutError:
            raise self._stalled(time.monotonic() - waited_from) from None

    def _stalled(self, gap_s: float) -> StreamStalled:
        """The server sent nothing for `gap_s`: a timeout on its breaker, the socket dropped."""
        region = next(r for r in self._regions if r.name == self.region)
        region.record_failure_outcome(Outcome.TIMEOUT, None, f"stream stalled: no event for {gap_s:.2f} s")
        self._emit(region, self._router.clock(), Outcome.TIMEOUT, None, ev.RAISE, detail="stream stalled")
        ws, self._ws = self._ws, None
        with contextlib.suppress(Exception):  # no closing handshake: a quiet server would not answer it
            ws.transport.abort()
        return StreamStalled(region.name, region.deployment(self.model) or "", gap_s)

    async def ask(self, text: str, timeout_s: float | None = None) -> str:
        """Send one user message and return the text of the answer; if the socket drops before
        `response.done`, ask again once on the new connection."""
        for attempt in range(2):
            await self.send(
                {
                    "type": "conversation.item.create",
                    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
                }
            )
            await self.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
            parts: list[str] = []
            while True:
                event = await asyncio.wait_for(self.recv(), timeout_s or self.options.read_timeout_s)
                event_type = event.get("type")
                if event_type == RECONNECTED:
                    break
                if event_type in ("response.output_text.delta", "response.text.delta"):
                    parts.append(event.get("delta", ""))
                elif event_type == "response.done":
                    return "".join(parts)
                elif event_type == "error":
                    error = event.get("error")
                    code = error.get("code") if isinstance(error, dict) else None
                    raise RuntimeError(f"realtime error event: {self._router.redact(str(code))[:200]}")
            if attempt == 1:
                break
        raise ConnectionError("the realtime socket dropped twice during one request")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def __aenter__(self) -> RealtimeSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def breaker_states(self) -> dict[str, Any]:
        return self._router.breaker_states()


class connect_websocket(websockets.asyncio.client.connect):
    """`websockets.connect`, except that a redirect to another origin is refused, not followed:
    websockets strips only `Authorization` and cookies there, so our `api-key` header would reach a
    host nobody configured. Azure never redirects a realtime upgrade."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        target = super().process_redirect(exc)
        if isinstance(target, str):
            old, new = self.ws_uri, websockets.uri.parse_uri(target)
            if (old.secure, old.host, old.port) != (new.secure, new.host, new.port):
                return websockets.exceptions.SecurityError(
                    f"refused a redirect to another origin ({new.host}:{new.port}): credentials never go there"
                )
        return target


def _event(frame: str | bytes) -> dict[str, Any]:
    """One server event: a JSON object, else ValueError (classified as bad_response)."""
    event = json.loads(frame)
    if not isinstance(event, dict):
        raise ValueError(f"the server sent a realtime event that is not a JSON object ({type(event).__name__})")
    return event


def _classify(exc: BaseException) -> tuple[Outcome, int | None]:
    if isinstance(exc, websockets.exceptions.InvalidStatus):
        status = exc.response.status_code
        return outcome_for_status(status), status
    if isinstance(exc, TimeoutError):
        return Outcome.TIMEOUT, None
    if isinstance(exc, CredentialError):
        return Outcome.AUTH_ERROR, None
    return Outcome.CONNECT_ERROR, None
