"""The outcome vocabulary: the eleven words an attempt can end in (docs/design.md, "Core nouns"),
the sets the SLOs and the retry rules are made of, and their renderings as SQL and as a PromQL regex.

Every layer speaks these words: the failover client's events and failures, the probes' rows, the
store's and the dashboard's SQL. Nothing else spells an outcome list out.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["GOOD", "OUTCOMES", "RETRYABLE", "SUCCESSFUL", "Outcome", "promql_regex", "sql_list"]


class Outcome(StrEnum):
    """How one attempt ended. A `StrEnum`: each member is its word, so rows and JSON hold plain text."""

    OK = "ok"
    SLOW = "slow"  # answered in full, but over the latency threshold
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx and other unexpected statuses
    TIMEOUT = "timeout"  # no answer in time, or 408
    CONNECT_ERROR = "connect_error"  # refused, reset, DNS, TLS
    AUTH_ERROR = "auth_error"  # 401/403, or no credential
    NOT_FOUND = "not_found"  # 404: the deployment is not there (configuration, not Azure)
    CONTENT_FILTER = "content_filter"  # Azure's content filter refused it (Azure worked)
    BAD_RESPONSE = "bad_response"  # an answer that is not Azure's, or a request Azure refused (400/422)
    STATE_LOST = "state_lost"  # stored Responses state is gone (previous_response_not_found)


OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)

# Answered in full: the latency SLI's valid events.
SUCCESSFUL: frozenset[Outcome] = frozenset({Outcome.OK, Outcome.SLOW})
# Availability's good events: Azure did its part (a missing deployment or a filtered prompt is the
# caller's); everything else burns the error budget.
GOOD: frozenset[Outcome] = SUCCESSFUL | {Outcome.NOT_FOUND, Outcome.CONTENT_FILTER}
# Transient: the same request may succeed on another attempt (after a pause, or elsewhere).
RETRYABLE: frozenset[Outcome] = frozenset(
    {Outcome.RATE_LIMITED, Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.CONNECT_ERROR}
)


def sql_list(outcomes: Iterable[Outcome]) -> str:
    """A set of outcomes as a SQL list literal in vocabulary order, for `outcome IN ...`:
    `sql_list(SUCCESSFUL)` is `('ok', 'slow')`. Safe to format into SQL: the words are fixed."""
    chosen = set(outcomes)
    return "(" + ", ".join(f"'{o.value}'" for o in OUTCOMES if o in chosen) + ")"


def promql_regex(outcomes: Iterable[Outcome]) -> str:
    """A set of outcomes as a PromQL label regex in vocabulary order, for `outcome=~"..."`:
    `promql_regex(SUCCESSFUL)` is `ok|slow` (the Prometheus rules of alerts/prometheus.py)."""
    chosen = set(outcomes)
    return "|".join(o.value for o in OUTCOMES if o in chosen)
