"""failover.outcomes: the eleven words, the SLO sets, their SQL, and classify speaking them."""

from __future__ import annotations

import duckdb
import httpx2
import openai
import pytest
from aoai_watch.failover.classify import classify, outcome_for_status
from aoai_watch.failover.outcomes import GOOD, OUTCOMES, RETRYABLE, SUCCESSFUL, Outcome, sql_list

DESIGN_WORDS = [
    "ok",
    "slow",
    "rate_limited",
    "server_error",
    "timeout",
    "connect_error",
    "auth_error",
    "not_found",
    "content_filter",
    "bad_response",
    "state_lost",
]


def test_the_vocabulary_is_the_eleven_words_of_the_design() -> None:
    assert [o.value for o in OUTCOMES] == DESIGN_WORDS
    assert Outcome("rate_limited") is Outcome.RATE_LIMITED and Outcome.OK == "ok"  # a str, stored as its word


def test_the_sets_nest_as_the_slos_need() -> None:
    assert {Outcome.OK, Outcome.SLOW} == SUCCESSFUL
    assert SUCCESSFUL | {Outcome.NOT_FOUND, Outcome.CONTENT_FILTER} == GOOD
    assert not RETRYABLE & GOOD and Outcome.RATE_LIMITED in RETRYABLE and Outcome.AUTH_ERROR not in RETRYABLE


def test_sql_list_renders_in_vocabulary_order_and_filters_rows() -> None:
    assert sql_list(SUCCESSFUL) == "('ok', 'slow')"
    assert sql_list(GOOD) == "('ok', 'slow', 'not_found', 'content_filter')"
    con = duckdb.connect()
    con.execute("CREATE TABLE t (outcome VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[o] for o in OUTCOMES])
    (good,) = con.execute(f"SELECT count(*) FROM t WHERE outcome IN {sql_list(GOOD)}").fetchone()  # type: ignore[misc]
    assert good == len(GOOD)


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (400, None, Outcome.BAD_RESPONSE),
        (400, "content_filter", Outcome.CONTENT_FILTER),
        (400, "previous_response_not_found", Outcome.STATE_LOST),
        (401, None, Outcome.AUTH_ERROR),
        (403, None, Outcome.AUTH_ERROR),
        (404, "DeploymentNotFound", Outcome.NOT_FOUND),
        (408, None, Outcome.TIMEOUT),
        (409, None, Outcome.SERVER_ERROR),
        (422, None, Outcome.BAD_RESPONSE),
        (429, None, Outcome.RATE_LIMITED),
        (503, None, Outcome.SERVER_ERROR),
        (302, None, Outcome.BAD_RESPONSE),
    ],
)
def test_one_status_table_for_every_path(status: int, code: str | None, outcome: Outcome) -> None:
    assert outcome_for_status(status, code) is outcome


def test_classify_emits_only_vocabulary_words() -> None:
    request = httpx2.Request("POST", "https://example.invalid/openai/v1/chat/completions")
    for status in (400, 401, 404, 408, 422, 429, 500, 503):
        response = httpx2.Response(status, request=request, json={"error": {"code": "x", "message": "m"}})
        failure = classify(openai.APIStatusError("m", response=response, body={"code": "x", "message": "m"}))
        assert isinstance(failure.outcome, Outcome), status
    assert classify(ValueError("not json")).outcome is Outcome.BAD_RESPONSE
