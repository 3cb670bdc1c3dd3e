"""`slow_stream`: a streamed answer that crawls or dies. `chunk_delay_ms` adds that much between
content chunks; `stop_after_chunks` cuts the connection after that many content chunks (no finish,
no usage, no [DONE]): the failure a client meets after it has already shown the first words."""

from __future__ import annotations

from typing import Any

from .base import ActiveFault, Fault, FaultParamError, Params, Reply, RequestContext, register


@register
class SlowStream(Fault):
    name = "slow_stream"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        self.chunk_delay_ms = p.number("chunk_delay_ms", 0, maximum=600_000)
        self.stop_after_chunks = p.integer("stop_after_chunks", minimum=0)
        p.done()
        if not self.chunk_delay_ms and self.stop_after_chunks is None:
            raise FaultParamError("slow_stream: give chunk_delay_ms, stop_after_chunks, or both")

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        if self.chunk_delay_ms:
            ctx.effects.chunk_delay_s = self.chunk_delay_ms / 1000.0
        if self.stop_after_chunks is not None:
            ctx.effects.stop_after_chunks = self.stop_after_chunks
        return None
