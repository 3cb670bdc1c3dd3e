"""`model_version`: a silent model update: answers report `version` in their `model` field (chat,
responses, embeddings, realtime) while everything else stays the same."""

from __future__ import annotations

from typing import Any

from .base import ActiveFault, Fault, FaultParamError, Params, Reply, RequestContext, register


@register
class ModelVersion(Fault):
    name = "model_version"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        p._read.add("version")
        self.version = p.raw.get("version")
        p.done()
        if not isinstance(self.version, str) or not self.version:
            raise FaultParamError('model_version: params.version is required, e.g. "gpt-4o-2024-11-20"')

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        ctx.effects.model_version = self.version
        return None
