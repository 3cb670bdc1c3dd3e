"""What a failed attempt means, from exception types and status codes (never from message text,
except the one number Azure sometimes hides in a 429 message; the words of Azure's wrong-key 401
only change the summary, never the outcome).

    openai.APIError
     ├── APIStatusError (has .status_code, .response, .body)
     │     400/422, other 4xx  bad_response   -> raise at once, no other region can fix it
     │     400 content_filter  content_filter -> raise at once
     │     400 previous_response_not_found -> state_lost (replay the conversation)
     │     401/403 ........... auth_error    -> fail over, region misconfigured
     │     404 ............... not_found     -> fail over, region misconfigured
     │     408 ............... timeout       -> fail over, counts toward the breaker
     │     429 ............... rate_limited  -> fail over, Retry-After opens the breaker
     │     409, 5xx .......... server_error  -> fail over, counts toward the breaker
     ├── APITimeoutError ..... timeout
     └── APIConnectionError .. connect_error (refused, reset, DNS, TLS)
    errors.StreamStalled .... timeout (a stream that stopped sending, before or after its first output)
    guard.ResponseRejected .. bad_response (not Azure's answer: content type, size, shape)
    httpx2.TimeoutException . timeout (a stream's body, read after the SDK returned)
    anything else from parsing a reply: bad_response -> fail over

The words are failover.outcomes' vocabulary; `effect` says what each failure means for routing.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx2
import openai

from .errors import StreamStalled
from .guard import ResponseRejected
from .outcomes import Outcome

__all__ = ["Failure", "classify", "outcome_for_status", "retry_after_s"]

RAISE = "raise"  # the caller's problem: re-raise the SDK's exception
MISCONFIGURED = "misconfigured"  # this region cannot serve this call; others may
THROTTLED = "throttled"  # this region asks for a pause
FAULTY = "faulty"  # this region is failing; counts toward its breaker
STATE_LOST = "state_lost"  # stored Responses state is gone; replay the conversation

# Azure's 401 for a wrong or missing key (docs/wire-notes.md section 2): the key is wrong, or the endpoint
_KEY_REFUSED = "Access denied due to invalid subscription key"
_MESSAGE_SECONDS = re.compile(r"(?:retry after|try again in)\s+(\d+(?:\.\d+)?)\s*seconds?", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    """One failed attempt: its outcome, what it means for routing (`effect`), details."""

    outcome: Outcome
    effect: str
    status: int | None = None
    retry_after_s: float | None = None
    code: str | None = None
    summary: str = ""  # short, secret-free text for AllRegionsFailed and events
    key_refused: bool = False  # a 401 with Azure's wrong-key message: the region's key is wrong


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, StreamStalled):
        return Failure(Outcome.TIMEOUT, FAULTY, summary=f"stream stalled: no event for {exc.gap_s:.2f} s")
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc)
    if isinstance(exc, openai.APITimeoutError):
        return Failure(Outcome.TIMEOUT, FAULTY, summary="timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        detail = type(cause).__name__ if cause is not None else "connection error"
        return Failure(Outcome.CONNECT_ERROR, FAULTY, summary=f"connection failed ({detail})")
    if isinstance(exc, TimeoutError | httpx2.TimeoutException):  # the latter: a stream's body, read later
        return Failure(Outcome.TIMEOUT, FAULTY, summary="timed out")
    if isinstance(exc, ResponseRejected):
        return Failure(Outcome.BAD_RESPONSE, FAULTY, summary=str(exc))
    if isinstance(exc, CredentialError):
        return Failure(Outcome.AUTH_ERROR, MISCONFIGURED, summary=exc.problem)
    return Failure(Outcome.BAD_RESPONSE, FAULTY, summary=f"unreadable response ({type(exc).__name__})")


class CredentialError(Exception):
    """A region's credential cannot be had: its key variable is unset, or getting an Entra token
    failed or took too long. `str()` is "region <region>: <problem>"; neither holds a secret."""

    def __init__(self, region: str, problem: str) -> None:
        self.region, self.problem = region, problem
        super().__init__(f"region {region}: {problem}")


def outcome_for_status(status: int, code: str | None = None) -> Outcome:
    """The outcome an HTTP error status means (with Azure's error `code`, when the body had one).
    The one status table: the SDK's errors and the WebSocket handshakes both go through it."""
    if status == 400 and code == "previous_response_not_found":
        return Outcome.STATE_LOST
    if status in (401, 403):
        return Outcome.AUTH_ERROR
    if status == 404:
        return Outcome.NOT_FOUND
    if status == 408:
        return Outcome.TIMEOUT
    if status == 429:
        return Outcome.RATE_LIMITED
    if status < 400 or (status < 500 and status != 409):
        return Outcome.CONTENT_FILTER if code == "content_filter" else Outcome.BAD_RESPONSE
    return Outcome.SERVER_ERROR


# what an error status means for routing; a 4xx not listed is the caller's (RAISE)
_STATUS_EFFECT = {
    Outcome.STATE_LOST: STATE_LOST,
    Outcome.AUTH_ERROR: MISCONFIGURED,
    Outcome.NOT_FOUND: MISCONFIGURED,
    Outcome.TIMEOUT: FAULTY,
    Outcome.RATE_LIMITED: THROTTLED,
    Outcome.SERVER_ERROR: FAULTY,
}


def _from_status(exc: openai.APIStatusError) -> Failure:
    status = exc.status_code
    code = _error_code(exc.body)
    # Azure's key 401 has code "401": "HTTP 401 401" says nothing twice
    summary = f"HTTP {status}" + (f" {code}" if code and code != str(status) else "")
    outcome = outcome_for_status(status, code)
    message = _error_message(exc.body) or ""
    key_refused = status == 401 and message.startswith(_KEY_REFUSED)
    if key_refused:
        summary += ": wrong key (Azure: invalid subscription key or wrong API endpoint)"
    seconds = None
    if outcome is Outcome.RATE_LIMITED:
        seconds = retry_after_s(exc.response.headers, message)
        if seconds is not None:
            summary += f", retry after {seconds:g} s"
    effect = _STATUS_EFFECT.get(outcome, RAISE)
    return Failure(outcome, effect, status, retry_after_s=seconds, code=code, summary=summary, key_refused=key_refused)


def retry_after_s(headers: Any, message: str | None = None, now: float | None = None) -> float | None:
    """Azure's pause request: `retry-after-ms`, then `retry-after` (seconds or an HTTP date), then
    the number in the message ("Please retry after 8 seconds"). None when there is none; a value
    that is not a finite number of seconds >= 0 (`inf`, `nan`, `-5`) counts as none."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        value = _seconds(raw_ms, scale=1000.0)
        if value is not None:
            return value
    raw = headers.get("retry-after")
    if raw is not None:
        value = _seconds(raw)
        if value is not None:
            return value
        try:
            when = email.utils.parsedate_to_datetime(raw).timestamp()
            return max(0.0, when - (time.time() if now is None else now))
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    if message:
        match = _MESSAGE_SECONDS.search(message)
        if match:
            return _seconds(match.group(1))
    return None


def _seconds(raw: str, scale: float = 1.0) -> float | None:
    try:
        value = float(raw) / scale
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


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
