"""`rate_limit`: forced 429s in Azure's formats, with a Retry-After that may be honest or not.

params:
- `retry_after_s`: the `retry-after` header and the number in the message. Default: honest, the
  seconds left in the fault (rounded up), or 10 when it has no duration. Give 1 on a 30 s fault to
  lie, 86400 for an exhausted quota.
- `retry_after_ms`: also send `retry-after-ms` with this value (provisioned deployments do).
- `omit_headers`: send neither header; only the message carries a number.
- `flavour`: the message shape: tokens, requests, newer, short, capacity (wire.RATE_LIMIT_FLAVOURS).
"""

from __future__ import annotations

import math
from typing import Any

from .. import wire
from .base import ActiveFault, Fault, Params, Reply, RequestContext, register


@register
class RateLimit(Fault):
    name = "rate_limit"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.retry_after_s = p.integer("retry_after_s", minimum=0, maximum=10**7)
        self.retry_after_ms = p.integer("retry_after_ms", minimum=0, maximum=10**10)
        self.omit_headers = p.flag("omit_headers")
        self.flavour = p.choice("flavour", tuple(wire.RATE_LIMIT_FLAVOURS), "tokens")
        p.done()

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        seconds = self.retry_after_s
        if seconds is None:
            left = active.remaining_s(ctx.now)
            seconds = 10 if math.isinf(left) else max(1, math.ceil(left))
        headers: dict[str, str] = {}
        if not self.omit_headers:
            headers["retry-after"] = str(seconds)
            if self.retry_after_ms is not None:
                headers["retry-after-ms"] = str(self.retry_after_ms)
        body = wire.rate_limited(
            self.flavour, seconds, model=ctx.model or "gpt-4o", region_display=wire.region_display_name(ctx.region)
        )
        return Reply(429, body, headers)
