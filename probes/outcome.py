"""A failed probe's outcome, from exception types and status codes (failover.classify does the
openai SDK's tree and the status table; this adds WebSockets, timeouts and the composite), and
error text with secrets removed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import openai
import websockets.exceptions as ws_errors

from ..failover.classify import classify, outcome_for_status, retry_after_s
from ..failover.errors import AllRegionsFailed
from ..failover.outcomes import Outcome
from ..failover.redact import redact
from .answers import WrongAnswer

__all__ = ["ProbeFailure", "classify_failure", "error_text", "redact"]


@dataclass(frozen=True)
class ProbeFailure:
    """How a failed probe ended, and what its row records of the answer (if there was one)."""

    outcome: Outcome
    status_code: int | None = None
    retry_after_s: float | None = None
    headers: Any = None


def classify_failure(exc: BaseException) -> ProbeFailure:
    if isinstance(exc, TimeoutError):
        return ProbeFailure(Outcome.TIMEOUT)
    if isinstance(exc, WrongAnswer):  # Azure said 200, but not to what was asked
        return ProbeFailure(Outcome.BAD_RESPONSE, 200)
    if isinstance(exc, ws_errors.InvalidStatus):
        response = exc.response
        headers = response.headers
        message = response.body.decode("utf-8", "replace") if response.body else None
        outcome = outcome_for_status(response.status_code)
        retry_after = retry_after_s(headers, message) if outcome is Outcome.RATE_LIMITED else None
        return ProbeFailure(outcome, response.status_code, retry_after, headers)
    if isinstance(exc, ws_errors.ConnectionClosed | ws_errors.InvalidHandshake | OSError):
        return ProbeFailure(Outcome.CONNECT_ERROR)
    if isinstance(exc, openai.APIStatusError):
        failure = classify(exc)
        return ProbeFailure(failure.outcome, exc.status_code, failure.retry_after_s, exc.response.headers)
    if isinstance(exc, AllRegionsFailed):
        # the composite failed: report the commonest way its regions failed
        outcomes = Counter(f.outcome for f in exc.failures.values() if f.outcome is not None)
        return ProbeFailure(outcomes.most_common(1)[0][0] if outcomes else Outcome.SERVER_ERROR)
    return ProbeFailure(classify(exc).outcome)


def error_text(exc: BaseException) -> str:
    """The failure as a row's error text, unmasked and whole: `ProbeResult.mask_text` masks it,
    then bounds it (bounding first could cut a key in half, out of the mask's reach)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
