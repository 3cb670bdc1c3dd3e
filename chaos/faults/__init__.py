"""The fault catalogue: one module per fault, registered by name in `REGISTRY`.

To add a fault: a new module with a `Fault` subclass decorated with `@register`, imported below,
and a test in tests/chaos/test_faults.py that checks it from the client side.
"""

from . import (  # noqa: F401 - importing registers each fault
    black_hole,
    capacity,
    error_format,
    flapping,
    http_error,
    latency,
    model_version,
    rate_limit,
    rbac_propagation,
    refuse,
    reset,
    slow_stream,
    state_loss,
    ws_drop,
)
from .base import (
    REGISTRY,
    ActiveFault,
    BlackHole,
    Fault,
    FaultParamError,
    FaultSet,
    Params,
    Reply,
    RequestContext,
    ResetConnection,
    register,
)

__all__ = [
    "REGISTRY",
    "ActiveFault",
    "BlackHole",
    "Fault",
    "FaultParamError",
    "FaultSet",
    "Params",
    "Reply",
    "RequestContext",
    "ResetConnection",
    "register",
]
