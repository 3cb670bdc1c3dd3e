"""The fault wrapper: let the faults firing for one request act, in the order they were set, and
turn what they did into one verdict for whoever serves the request (a simulated region, the realtime
socket, the chaos proxy). Scope, odds and expiry are `FaultSet.firing`'s; this module only runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .base import BlackHole, Effects, FaultSet, Reply, RequestContext, ResetConnection

__all__ = ["FaultSite", "FaultVerdict", "reply_headers", "run_faults"]

# None: every fault let the request through; a Reply: answer with it; ResetConnection or
# BlackHole (the class itself): break the connection that way.
FaultVerdict = Reply | type[ResetConnection] | type[BlackHole] | None


class FaultSite(Protocol):
    """Where a request arrived, as the wrapper needs it (the simulator's `RegionState` is one)."""

    @property
    def name(self) -> str:
        """The region name faults are scoped by."""
        ...

    @property
    def faults(self) -> FaultSet: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def sleep(self) -> Callable[[float], Awaitable[None]]: ...

    def model_of(self, deployment: str | None) -> str | None:
        """The model a deployment serves here; None when it is unknown."""
        ...

    def response_age_s(self, response_id: str) -> float | None:
        """Seconds since a stored response was stored; None when it is not stored."""
        ...


async def run_faults(
    site: FaultSite,
    deployment: str | None,
    path: str,
    request_id: str,
    stage: str,
    method: str = "POST",
    body: Any = None,
    effects: Effects | None = None,
) -> FaultVerdict:
    """Let the faults firing for one request at `stage` act, in the order they were set: None when
    all let it through, else the first Reply, or ResetConnection / BlackHole when one breaks the
    connection. Faults that change the answer write `effects` (pass the same one to both stages)."""
    firing = site.faults.firing(site.name, deployment, stage)
    if not firing:
        return None
    ctx = RequestContext(
        region=site.name,
        deployment=deployment,
        model=site.model_of(deployment),
        path=path,
        request_id=request_id,
        now=site.clock(),
        sleep=site.sleep,
        method=method,
        body=body,
        effects=effects if effects is not None else Effects(),
        stored_age_s=site.response_age_s,
    )
    for active in firing:
        try:
            reply = await active.fault.intercept(ctx, active)
        except (ResetConnection, BlackHole) as signal:
            return type(signal)
        if reply is not None:
            return reply
        ctx.now = site.clock()
    return None


def reply_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    """A fault reply's headers as ASGI wants them: lower-case names, bytes."""
    return [(k.lower().encode(), str(v).encode()) for k, v in reply.headers.items()]
