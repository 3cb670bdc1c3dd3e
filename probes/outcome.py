"""A failed probe's outcome, from exception types and status codes (failover.classify does the
openai SDK's tree; this adds WebSockets and timeouts), and error text with secrets removed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import openai
import websockets.exceptions as ws_errors

from ..failover.classify import classify, retry_after_s
from ..failover.errors import AllRegionsFailed

__all__ = ["Failure", "classify_failure", "outcome_for_status", "redact"]

# failover.classify's kinds that are not DESIGN outcome words
_KIND_TO_OUTCOME = {"bad_request": "bad_response"}


@dataclass(frozen=True)
class Failure:
    outcome: str
    status_code: int | None = None
    retry_after_s: float | None = None
    headers: Any = None


def outcome_for_status(status: int) -> str:
    if status in (401, 403):
        return "auth_error"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "bad_response"


def classify_failure(exc: BaseException) -> Failure:
    if isinstance(exc, TimeoutError):
        return Failure("timeout")
    if isinstance(exc, ws_errors.InvalidStatus):
        response = exc.response
        headers = response.headers
        message = response.body.decode("utf-8", "replace") if response.body else None
        return Failure(
            outcome_for_status(response.status_code),
            response.status_code,
            retry_after_s(headers, message) if response.status_code == 429 else None,
            headers,
        )
    if isinstance(exc, ws_errors.ConnectionClosed | ws_errors.InvalidHandshake | OSError):
        return Failure("connect_error")
    if isinstance(exc, openai.APIStatusError):
        failure = classify(exc)
        return Failure(
            _KIND_TO_OUTCOME.get(failure.kind, failure.kind),
            exc.status_code,
            failure.retry_after_s,
            exc.response.headers,
        )
    if isinstance(exc, AllRegionsFailed):
        # the composite failed: report the commonest way its regions failed
        kinds = Counter(f.kind for f in exc.failures.values() if f.kind != "skipped")
        kind = kinds.most_common(1)[0][0] if kinds else "server_error"
        return Failure(_KIND_TO_OUTCOME.get(kind, kind))
    failure = classify(exc)
    return Failure(_KIND_TO_OUTCOME.get(failure.kind, failure.kind))


_PATTERNS = (
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"(?i)(api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret and anything shaped like a key or token replaced by ***."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _PATTERNS[0].sub("Bearer ***", text)
    text = _PATTERNS[1].sub("***", text)
    return _PATTERNS[2].sub(lambda m: m.group(1) + "***", text)


def error_text(exc: BaseException, secrets: Iterable[str], limit: int = 500) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redact(text, secrets)[:limit]
