"""app.cached: each query's wrapper keeps its signature, and the one cache tells queries apart."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aoai_watch.app import cached, queries
from aoai_watch.failover.outcomes import Outcome
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store


def test_every_query_has_a_wrapper_with_its_signature() -> None:
    public = {
        name
        for name, fn in inspect.getmembers(queries, inspect.isfunction)
        if fn.__module__ == queries.__name__ and not name.startswith("_")
    }
    assert public == set(cached._QUERIES)
    for name in public:
        wrapper, query = getattr(cached, name), getattr(queries, name)
        assert inspect.signature(wrapper) == inspect.signature(query), name
        assert wrapper.__wrapped__ is query


def test_two_queries_with_the_same_arguments_do_not_share_an_answer(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")
    now = datetime.now(UTC).replace(tzinfo=None)
    store.write([ProbeResult("eastus2", "gpt-4o", "chat", outcome=Outcome.SERVER_ERROR, ts=now, latency_ms=10.0)])
    f = queries.Filters(now - timedelta(hours=1), now + timedelta(minutes=1))
    failures = cached.last_failures(store, f)
    limits = cached.rate_limits(store, f)
    assert list(failures["outcome"]) == ["server_error"] and limits.empty
    assert cached.has_data(store) is True


def test_arguments_go_by_position_so_one_call_has_one_key(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="by position"):
        cached.slow_probes(
            Store(tmp_path / "t.duckdb"), queries.Filters(datetime.now(), datetime.now()), threshold_ms=1
        )


@dataclasses.dataclass(frozen=True)
class View:
    """A stand-in context: what cached.view asks of one (its key), and a counter it must not hash."""

    key: tuple[object, ...]
    calls: list[int]


def _draw_counting(view: View) -> str:
    view.calls.append(1)
    return f"drawn for {view.key}"


def test_a_view_is_drawn_once_per_key_however_many_ask() -> None:
    drawn = cached.view(_draw_counting)
    calls: list[int] = []
    first = drawn(View(("db", "24h", 1), calls))
    again = drawn(View(("db", "24h", 1), calls))  # another viewer, another context object, the same view
    assert first == again == "drawn for ('db', '24h', 1)" and len(calls) == 1
    other = drawn(View(("db", "7d", 1), calls))  # another range is another view
    assert other == "drawn for ('db', '7d', 1)" and len(calls) == 2


def test_every_read_of_a_step_is_made_once_and_all_expire_with_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read without `now` in its arguments (the sidebar's choices) is renewed with the step, as
    the reads keyed by `now` are: one page load per step pays for the database, not two."""
    store = Store(tmp_path / "s.duckdb")
    store.write([ProbeResult("eastus2", "gpt-4o", "chat", outcome=Outcome.OK, latency_ms=10.0)])
    made: list[str] = []
    query = cached._QUERIES["has_data"]
    monkeypatch.setitem(cached._QUERIES, "has_data", lambda *a: made.append("read") or query(*a))
    at = [1_000]
    monkeypatch.setattr(cached, "step", lambda: at[0])
    assert cached.has_data(store) and cached.has_data(store) and len(made) == 1  # one step, one read
    at[0] += 1
    assert cached.has_data(store) and len(made) == 2  # the next step reads again
