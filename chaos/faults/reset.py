"""`reset`: read the request, then drop the connection with a TCP reset (RST), no response."""

from __future__ import annotations

from .base import ActiveFault, Fault, Reply, RequestContext, ResetConnection, register


@register
class Reset(Fault):
    name = "reset"

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        raise ResetConnection
