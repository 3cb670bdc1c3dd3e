"""`Answer`: one answer a simulated region gave, as its log keeps it (drills, `GET /requests`, the
Azure Monitor metrics and logs are all computed from these)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Answer"]


class Answer(NamedTuple):
    """One answer. A NamedTuple, not a dataclass: one is built on every request (see `Call.record`).

    `status` 0 means the connection ended instead of being answered: cut by a fault or the port
    closing, or left by the client first (a timeout, a hedge won elsewhere); tokens are 0 unless it
    was a 200."""

    arrived: float  # epoch seconds the request arrived: what drills judge against
    deployment: str | None  # the deployment name the request asked for, when it named one
    status: int
    client_request_id: str | None  # the caller's x-ms-client-request-id
    request_id: str | None  # the apim-request-id the region answered with
    operation: str | None  # the route name ("chat", "responses_create", ...); None for unknown paths
    prompt_tokens: int
    completion_tokens: int
    response_ms: float  # time from arrival to the answer starting (Azure's time to response)
    stream: bool
