"""`rbac_propagation`: a caller with a valid token (or key) gets Azure's 401 PermissionDenied for
`seconds`, as while a new "Cognitive Services OpenAI User" assignment propagates. Runs after the
credential check, so a bad credential still gets its own 401."""

from __future__ import annotations

from typing import Any

from .. import wire
from .base import ActiveFault, Fault, Params, Reply, RequestContext, register


@register
class RbacPropagation(Fault):
    name = "rbac_propagation"
    stage = "after_auth"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.seconds = p.number("seconds", required=True, minimum=0.001)
        p.done()

    def implied_duration_s(self) -> float | None:
        return self.seconds

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        return Reply(401, wire.PERMISSION_DENIED)
