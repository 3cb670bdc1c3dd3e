"""`black_hole`: accept the request and never answer; only the client's timeout ends it."""

from __future__ import annotations

from .base import ActiveFault, BlackHole, Fault, Reply, RequestContext, register


@register
class BlackHoleFault(Fault):
    name = "black_hole"

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        raise BlackHole
