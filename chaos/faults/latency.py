"""`latency`: hold each request `ms` milliseconds before the region handles it normally."""

from __future__ import annotations

from typing import Any

from .base import Fault, Params, register


@register
class Latency(Fault):
    name = "latency"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.ms = p.number("ms", required=True, maximum=3_600_000)
        p.done()

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        await ctx.sleep(self.ms / 1000.0)
        return None
