"""The fault catalogue: one module per fault, registered by name in `REGISTRY`, and the wrapper
that runs the ones firing for a request (`run_faults`).

To add a fault: a new module with a `Fault` subclass decorated with `@register`, imported below,
and a test in tests/chaos/test_faults.py that checks it from the client side.
"""

from . import (  # noqa: F401 - importing registers each fault
    black_hole,
    capacity,
    content_filter,
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
    stream_stall,
    ws_drop,
)
from .apply import FaultSite, FaultVerdict, reply_headers, run_faults
from .base import (
    REGISTRY,
    ActiveFault,
    BlackHole,
    Effects,
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
    "Effects",
    "Fault",
    "FaultParamError",
    "FaultSet",
    "FaultSite",
    "FaultVerdict",
    "Params",
    "Reply",
    "RequestContext",
    "ResetConnection",
    "register",
    "reply_headers",
    "run_faults",
]
