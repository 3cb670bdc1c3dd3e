"""`black_hole`: accept the request and never answer; only the client's timeout ends it."""

from __future__ import annotations

from .base import BlackHole, Fault, register


@register
class BlackHoleFault(Fault):
    name = "black_hole"

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        raise BlackHole
