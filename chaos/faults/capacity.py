"""`capacity`: 429 "high demand" capacity errors, unrelated to your quota: Azure's capacity message
with `retry_after_s` (default 20) in the `retry-after` header and the message."""

from __future__ import annotations

from typing import Any

from .. import wire
from .base import ActiveFault, Fault, Params, Reply, RequestContext, register


@register
class Capacity(Fault):
    name = "capacity"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.retry_after_s = p.integer("retry_after_s", 20, minimum=0, maximum=86_400)
        p.done()

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        return Reply(
            429, wire.rate_limited("capacity", self.retry_after_s or 0), {"retry-after": str(self.retry_after_s)}
        )
