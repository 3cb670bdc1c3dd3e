"""`ws_drop`: realtime WebSockets that die: each connection opened while the fault is in force is
cut (TCP reset) `after_s` seconds after it opens; `jitter_ms` adds a random pause of up to that
much before each server event."""

from __future__ import annotations

from typing import Any

from .base import ActiveFault, Fault, FaultParamError, Params, Reply, RequestContext, register


@register
class WsDrop(Fault):
    name = "ws_drop"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.after_s = p.number("after_s", minimum=0.0, maximum=86_400)
        self.jitter_ms = p.number("jitter_ms", 0, maximum=60_000)
        p.done()
        if self.after_s is None and not self.jitter_ms:
            raise FaultParamError("ws_drop: give after_s, jitter_ms, or both")

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        if not ctx.path.endswith("/realtime"):
            return None
        if self.after_s is not None:
            ctx.effects.ws_drop_after_s = self.after_s
        if self.jitter_ms:
            ctx.effects.ws_jitter_s = self.jitter_ms / 1000.0
        return None
