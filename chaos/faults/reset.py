"""`reset`: read the request, then drop the connection with a TCP reset (RST), no response."""

from __future__ import annotations

from .base import Fault, ResetConnection, register


@register
class Reset(Fault):
    name = "reset"

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        raise ResetConnection
