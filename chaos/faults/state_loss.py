"""`state_loss`: stored Responses vanish for the region: a create with `previous_response_id`
gets Azure's 400 `previous_response_not_found`, and GET of a stored response a 404, while the
region otherwise stays healthy. (The stored responses themselves are kept: clearing the fault
brings them back, as when a lookup was only failing intermittently.)"""

from __future__ import annotations

from .. import wire
from .base import Fault, Reply, register


@register
class StateLoss(Fault):
    name = "state_loss"
    stage = "after_auth"

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        if not ctx.path.startswith("/openai/v1/responses"):
            return None
        if ctx.method == "GET" and ctx.path.count("/") == 4:
            return Reply(404, wire.response_not_found(ctx.path.rsplit("/", 1)[1]))
        parent = ctx.body.get("previous_response_id") if isinstance(ctx.body, dict) else None
        if ctx.method == "POST" and isinstance(parent, str):
            return Reply(400, wire.previous_response_not_found(parent))
        return None
