"""`http_error`: answer with an outage status (`status`, default 503) and Azure's body for it."""

from __future__ import annotations

from typing import Any

from .. import wire
from .base import Fault, Params, Reply, register


@register
class HttpError(Fault):
    name = "http_error"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.status = p.integer("status", 503, minimum=400, maximum=599)
        p.done()

    async def intercept(self, ctx, active):  # type: ignore[no-untyped-def]
        return Reply(self.status, wire.http_error(self.status, ctx.request_id))
