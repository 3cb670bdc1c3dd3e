"""Secrets out of everything a server sends back, before it is stored, logged or raised.

A hostile or broken server may echo the key it was sent (into an error `code`, a message, an
`apim-request-id`). Every configured key is removed, as configured and stripped of surrounding
whitespace (a key read from a file keeps its trailing newline), and so is anything shaped like a
bearer token, a JWT or an `api-key=...` pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MASK", "Redactor", "redact"]

MASK = "***"
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_KEY_PAIR = re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")
_MIN_SECRET_CHARS = 4  # shorter "secrets" would mask ordinary words


class Redactor:
    """Removes a fixed set of secrets (and token-shaped text) from any string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {v for s in secrets if s for v in (s, s.strip())}
        # longest first, so a key is never half-masked by a shorter secret inside it
        self._secrets = sorted((v for v in variants if len(v) >= _MIN_SECRET_CHARS), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = _BEARER.sub(f"Bearer {MASK}", text)
        text = _JWT.sub(MASK, text)
        return _KEY_PAIR.sub(lambda m: m.group(1) + MASK, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret in `secrets` and anything shaped like a key or token masked."""
    return Redactor(secrets)(text)
