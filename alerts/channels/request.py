"""What a channel builds (`Request`) from what it is given (`Target`): the secrets read from the
environment at delivery time, never stored, logged or shown (`Target.secrets` lists them for masking)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Request", "Target", "json_body"]


@dataclass(frozen=True)
class Target:
    """`secret`: the channel's URL (the routing key for pagerduty); `signing_secret`: the webhook's
    HMAC secret; `endpoint`: pagerduty's Events API URL; `source`: who sends (the prober's name)."""

    secret: str = field(repr=False)
    endpoint: str = ""
    signing_secret: str | None = field(default=None, repr=False)
    source: str = "aoai-watch"

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.secret, self.signing_secret) if s]


@dataclass(frozen=True)
class Request:
    url: str = field(repr=False)
    body: bytes
    headers: dict[str, str] = field(default_factory=dict, repr=False)


def json_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
