"""Failure classification: what each status, body and transport error means, and where a
Retry-After comes from."""

from __future__ import annotations

import httpx2
import openai
import pytest
from aoai_watch.failover.classify import FAULTY, MISCONFIGURED, RAISE, STATE_LOST, THROTTLED, classify, retry_after_s

from tests.failover.helpers import status_error


@pytest.mark.parametrize(
    "status, body, outcome, effect",
    [
        (400, {"error": {"code": "content_filter", "message": "filtered"}}, "content_filter", RAISE),
        (400, {"error": {"code": "previous_response_not_found", "message": "x"}}, "state_lost", STATE_LOST),
        (422, {"error": {"message": "bad"}}, "bad_response", RAISE),
        (401, {"statusCode": 401, "message": "Unauthorized."}, "auth_error", MISCONFIGURED),
        (401, {"error": {"code": "PermissionDenied", "message": "x"}}, "auth_error", MISCONFIGURED),
        (403, {"error": {"code": "403", "message": "x"}}, "auth_error", MISCONFIGURED),
        (404, {"error": {"code": "DeploymentNotFound", "message": "x"}}, "not_found", MISCONFIGURED),
        (408, None, "timeout", FAULTY),
        (429, {"error": {"code": "429", "message": "Please retry after 7 seconds."}}, "rate_limited", THROTTLED),
        (500, {"statusCode": 500, "message": "Internal server error"}, "server_error", FAULTY),
        (503, None, "server_error", FAULTY),
    ],
)
def test_classification_by_status(status: int, body: object, outcome: str, effect: str) -> None:
    failure = classify(status_error(status, body))
    assert (failure.outcome, failure.effect, failure.status) == (outcome, effect, status)


def test_transport_failures() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/x")
    assert classify(openai.APITimeoutError(request)).outcome == "timeout"
    assert classify(openai.APIConnectionError(request=request)).outcome == "connect_error"
    assert classify(ValueError("bad json")).outcome == "bad_response"


def test_retry_after_precedence_ms_then_seconds_then_message() -> None:
    assert retry_after_s({"retry-after-ms": "250", "retry-after": "9"}, "retry after 60 seconds") == 0.25
    assert retry_after_s({"retry-after": "9"}, "Please retry after 60 seconds") == 9
    assert retry_after_s({}, "Rate limit is exceeded. Try again in 50 seconds.") == 50
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, None, now=1792567670.0) == 10
    assert retry_after_s({"retry-after": "soon"}, None) is None
    failure = classify(
        status_error(
            429, {"error": {"code": "429", "message": "Please retry after 8 seconds."}}, {"retry-after-ms": "1500"}
        )
    )
    assert failure.retry_after_s == 1.5


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-5", "Infinity"])
def test_a_retry_after_that_is_not_a_finite_pause_counts_as_none(value: str) -> None:
    assert retry_after_s({"retry-after": value}) is None
    assert retry_after_s({"retry-after-ms": value}) is None
    assert retry_after_s({"retry-after": value, "retry-after-ms": "1500"}) == 1.5  # the sane one still counts
