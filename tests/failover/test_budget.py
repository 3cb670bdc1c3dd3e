"""The conversation budget helper: system messages kept, recent turns whole, tool calls intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover import budget
from aoai_watch.failover.budget import TokenEstimateWarning, count_tokens, trim_to_budget


def words(text: str) -> int:
    return len(text.split())  # an injected counter: one token per word, easy to reason about


CONVERSATION = [
    {"role": "system", "content": "be brief"},  # 4 + 3 = 7 ("system be brief")
    {"role": "user", "content": "one two three"},  # 4 + 4 = 8
    {"role": "assistant", "content": "four five"},  # 4 + 3 = 7
    {"role": "user", "content": "weather in Oslo"},  # 4 + 4 = 8
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "Oslo"}}],
    },  # 4 + 3
    {"role": "tool", "tool_call_id": "c1", "content": "rain"},  # 4 + 2 = 6
    {"role": "assistant", "content": "It rains"},  # 4 + 3 = 7
]


def test_everything_fits() -> None:
    assert trim_to_budget(CONVERSATION, 1000, counter=words) == CONVERSATION
    assert count_tokens(CONVERSATION, counter=words) == 3 + 7 + 8 + 7 + 8 + 7 + 6 + 7


def test_oldest_turns_go_first_and_system_stays() -> None:
    kept = trim_to_budget(CONVERSATION, 3 + 7 + 7 + 7 + 6 + 8, counter=words)
    assert [m["role"] for m in kept] == ["system", "user", "assistant", "tool", "assistant"]
    assert kept[1]["content"] == "weather in Oslo"


def test_a_tool_call_is_never_separated_from_its_result() -> None:
    # room for the last answer and the tool result, but not the call: both go
    kept = trim_to_budget(CONVERSATION, 3 + 7 + 7 + 6 + 4, counter=words)
    assert [m["role"] for m in kept] == ["system", "assistant"]
    assert all(m.get("role") != "tool" for m in kept)


def test_system_messages_over_budget_is_an_error() -> None:
    with pytest.raises(ValueError, match="system messages alone take 10 tokens"):
        trim_to_budget(CONVERSATION, 9, counter=words)


@pytest.fixture
def fresh_vocabulary_lookup():  # type: ignore[no-untyped-def]
    """budget._exact_counter is lru_cached per process: without a clear, an encoder found (or not) by
    an earlier test, under another TIKTOKEN_CACHE_DIR, would answer here, and this test's empty cache
    would stay remembered for later ones."""
    budget._exact_counter.cache_clear()
    yield
    budget._exact_counter.cache_clear()


def test_without_tiktoken_counts_are_estimates_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_vocabulary_lookup: None
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # an empty cache: no vocabulary here
    with pytest.warns(TokenEstimateWarning):
        estimate = count_tokens([{"role": "user", "content": "x" * 400}], model="gpt-4o")
    assert estimate == 3 + 4 + (len("user  " + "x" * 400) + 3) // 4
    with pytest.warns(TokenEstimateWarning):
        assert trim_to_budget(CONVERSATION, 20)[0]["role"] == "system"
