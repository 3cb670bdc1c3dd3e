"""`state_loss`: stored Responses vanish for the region while it otherwise stays healthy.

`mode` "vanish" (default): a create with `previous_response_id` gets Azure's 400
`previous_response_not_found` and GET of a stored response a 404. `mode` "lag": only responses
stored less than `lag_s` (default 2) seconds ago are "not found", as reported right after creation.
The stored responses themselves are kept: clearing the fault brings them back."""

from __future__ import annotations

import re
from typing import Any

from .. import wire
from .base import Fault, Params, Reply, register

# the v1 paths and the dated preview ones: /openai/v1/responses[/{id}...], /openai/responses[/{id}...]
_RESPONSES = re.compile(r"/openai/(?:v1/)?responses(?:/(?P<response_id>[^/]+))?(?P<rest>/.*)?")


@register
class StateLoss(Fault):
    name = "state_loss"
    stage = "after_auth"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.mode = p.choice("mode", ("vanish", "lag"), "vanish")
        self.lag_s = p.number("lag_s", 2.0, minimum=0.0)
        p.done()

    def _lost(self, ctx, response_id: str) -> bool:  # type: ignore[no-untyped-def]
        if self.mode == "vanish":
            return True
        age = ctx.stored_age_s(response_id)
        return age is not None and age < self.lag_s

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        match = _RESPONSES.fullmatch(ctx.path)
        if match is None:
            return None
        response_id = match["response_id"]
        if ctx.method == "GET" and response_id is not None and match["rest"] is None:
            return Reply(404, wire.response_not_found(response_id)) if self._lost(ctx, response_id) else None
        parent = ctx.body.get("previous_response_id") if isinstance(ctx.body, dict) else None
        if ctx.method == "POST" and isinstance(parent, str) and self._lost(ctx, parent):
            return Reply(400, wire.previous_response_not_found(parent))
        return None
