"""The probe kinds, one module each, registered by name. A kind only speaks its protocol and fills
in what it measured; the runner owns timing, timeouts, classification and recording."""

from collections.abc import Awaitable, Callable

from ..context import ProbeContext
from . import chat, embeddings, failover, realtime, responses_chain, stream

ProbeFn = Callable[[ProbeContext], Awaitable[None]]
REGISTRY: dict[str, ProbeFn] = {
    "chat": chat.run,
    "stream": stream.run,
    "responses_chain": responses_chain.run,
    "realtime": realtime.run,
    "embeddings": embeddings.run,
    "failover": failover.run,
}
