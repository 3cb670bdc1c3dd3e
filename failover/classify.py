"""What a failed attempt means, from exception types and status codes (never from message text,
except the one number Azure sometimes hides in a 429 message).

    openai.APIError
     ├── APIStatusError (has .status_code, .response, .body)
     │     400/422 ........... bad_request   -> raise at once, no other region can fix it
     │     400 previous_response_not_found -> state_lost (replay the conversation)
     │     401/403 ........... auth          -> fail over, region misconfigured
     │     404 ............... not_found     -> fail over, region misconfigured
     │     408 ............... timeout       -> fail over, counts toward the breaker
     │     429 ............... rate_limited  -> fail over, Retry-After opens the breaker
     │     5xx, other ........ server_error  -> fail over, counts toward the breaker
     ├── APITimeoutError ..... timeout
     └── APIConnectionError .. connect_error (refused, reset, DNS, TLS)
    anything else from parsing a reply: bad_response -> fail over
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass
from typing import Any

import openai

__all__ = ["Failure", "classify", "retry_after_s"]

RAISE = "raise"  # the caller's problem: re-raise the SDK's exception
MISCONFIGURED = "misconfigured"  # this region cannot serve this call; others may
THROTTLED = "throttled"  # this region asks for a pause
FAULTY = "faulty"  # this region is failing; counts toward its breaker
STATE_LOST = "state_lost"  # stored Responses state is gone; replay the conversation

_MESSAGE_SECONDS = re.compile(r"(?:retry after|try again in)\s+(\d+(?:\.\d+)?)\s*seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    """One failed attempt: its kind (DESIGN's outcome words), what it means for routing, details."""

    kind: str
    effect: str
    status: int | None = None
    retry_after_s: float | None = None
    code: str | None = None
    summary: str = ""  # short, secret-free text for AllRegionsFailed and events


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc)
    if isinstance(exc, openai.APITimeoutError):
        return Failure("timeout", FAULTY, summary="timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        detail = type(cause).__name__ if cause is not None else "connection error"
        return Failure("connect_error", FAULTY, summary=f"connection failed ({detail})")
    if isinstance(exc, TimeoutError):
        return Failure("timeout", FAULTY, summary="timed out")
    if isinstance(exc, CredentialError):
        return Failure("auth_error", MISCONFIGURED, summary=str(exc))
    return Failure("bad_response", FAULTY, summary=f"unreadable response ({type(exc).__name__})")


class CredentialError(Exception):
    """Getting an Entra token failed or took too long (the message never holds the token)."""


def _from_status(exc: openai.APIStatusError) -> Failure:
    status = exc.status_code
    code = _error_code(exc.body)
    summary = f"HTTP {status}" + (f" {code}" if code else "")
    if status == 400 and code == "previous_response_not_found":
        return Failure("state_lost", STATE_LOST, status, code=code, summary=summary)
    if status in (400, 422) or (400 <= status < 500 and status not in (401, 403, 404, 408, 409, 429)):
        return Failure(
            "content_filter" if code == "content_filter" else "bad_request", RAISE, status, code=code, summary=summary
        )
    if status in (401, 403):
        return Failure("auth_error", MISCONFIGURED, status, code=code, summary=summary)
    if status == 404:
        return Failure("not_found", MISCONFIGURED, status, code=code, summary=summary)
    if status == 408:
        return Failure("timeout", FAULTY, status, code=code, summary=summary)
    if status == 429:
        seconds = retry_after_s(exc.response.headers, _error_message(exc.body))
        return Failure(
            "rate_limited",
            THROTTLED,
            status,
            retry_after_s=seconds,
            code=code,
            summary=summary + (f", retry after {seconds:g} s" if seconds is not None else ""),
        )
    return Failure("server_error", FAULTY, status, code=code, summary=summary)


def retry_after_s(headers: Any, message: str | None = None, now: float | None = None) -> float | None:
    """Azure's pause request: `retry-after-ms`, then `retry-after` (seconds or an HTTP date), then
    the number in the message ("Please retry after 8 seconds"). None when there is none."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is not None:
        try:
            value = float(raw)
            if value >= 0:
                return value
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw).timestamp()
                return max(0.0, when - (time.time() if now is None else now))
            except (TypeError, ValueError, IndexError, OverflowError):
                pass
    if message:
        match = _MESSAGE_SECONDS.search(message)
        if match:
            return float(match.group(1))
    return None


def _error_code(body: Any) -> str | None:
    # openai sets .body to body["error"] when there is one, else to the whole JSON (or None)
    if isinstance(body, dict):
        code = body.get("code")
        if code is None and isinstance(body.get("error"), dict):
            code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


def _error_message(body: Any) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        if message is None and isinstance(body.get("error"), dict):
            message = body["error"].get("message")
        return message if isinstance(message, str) else None
    return None
