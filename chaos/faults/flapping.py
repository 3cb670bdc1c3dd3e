"""`flapping`: a region that alternates down and up: from the fault's start, every `period_s` it
answers `status` (default 503) for the first `down_s` seconds (default half the period) and
serves normally for the rest."""

from __future__ import annotations

from typing import Any

from .. import wire
from .base import Fault, FaultParamError, Params, Reply, register


@register
class Flapping(Fault):
    name = "flapping"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.period_s = p.number("period_s", required=True, minimum=0.01)
        self.down_s = p.number("down_s", None, minimum=0.0)
        self.status = p.integer("status", 503, minimum=400, maximum=599)
        p.done()
        if self.down_s is None:
            self.down_s = self.period_s / 2
        if self.down_s >= self.period_s:
            raise FaultParamError("flapping: down_s must be shorter than period_s")

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        phase = (ctx.now - active.started_at) % self.period_s
        if phase < self.down_s:
            return Reply(self.status, wire.http_error(self.status, ctx.request_id))
        return None
