"""`stream_stall`: a streamed answer that stops sending without closing. After `after_events`
events (SSE `data:` events on HTTP, server events on a realtime socket) the region sends nothing
for `stall_s` seconds, then closes the connection without a finish (no finish chunk, no
`response.completed`, no `[DONE]`): the "stream that hangs for minutes, then an incomplete chunked
read" users report. Non-streamed answers are not touched."""

from __future__ import annotations

from typing import Any

from .base import ActiveFault, Fault, FaultParamError, Params, Reply, RequestContext, register

MAX_STALL_S = 3600.0


@register
class StreamStall(Fault):
    name = "stream_stall"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.after_events = p.integer("after_events", minimum=0, maximum=1_000_000)
        self.stall_s = p.number("stall_s", maximum=MAX_STALL_S)
        p.done()  # unknown keys first: a typo reads as a typo, not as a missing key
        for key, value in (("after_events", self.after_events), ("stall_s", self.stall_s)):
            if value is None:
                raise FaultParamError(f"{self.name}: params.{key} is required")

    def needs_simulator(self) -> str | None:
        return (
            "stream_stall needs the simulator: it counts the events the simulator writes, and the chaos "
            "proxy forwards the upstream's bytes untouched; use slow_stream there"
        )

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        ctx.effects.stall_after_events = self.after_events
        ctx.effects.stall_s = self.stall_s or 0.0
        return None
