"""`n`, `logprobs` / `top_logprobs`, `stop`, `max_tokens`, `seed` and usage on chat completions,
through the real openai SDK on both URL styles, streamed and not."""

from __future__ import annotations

import math

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from openai.lib.streaming.chat import ChatCompletionStreamState

from tests.chaos.chat_clients import client, user

pytestmark = pytest.mark.usefixtures("chat_sim")


def streamed(sim: SimulatorThread, style: str, **kwargs: object):  # type: ignore[no-untyped-def]
    """The stream's chunks and the completion the SDK's stream state assembles from them."""
    chunks = list(
        client(sim, style).chat.completions.create(
            model="gpt-4o", stream=True, stream_options={"include_usage": True}, **kwargs
        )  # type: ignore[call-overload]
    )
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(chunk)
    return chunks, state.get_final_completion()


def test_n_gives_that_many_choices_each_its_own_text_and_usage_counts_them_all(
    chat_sim: SimulatorThread, style: str
) -> None:
    completion = client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("hi"), n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    texts = [c.message.content for c in completion.choices]
    assert len(set(texts)) == 3 and all(texts)
    assert completion.usage.completion_tokens == sum(len(t.split()) for t in texts)  # a word is a token


def test_streamed_n_interleaves_the_choices(chat_sim: SimulatorThread, style: str) -> None:
    chunks, final = streamed(chat_sim, style, messages=user("hi"), n=2)
    indices = [c.choices[0].index for c in chunks if c.choices and c.choices[0].delta.content]
    assert indices[:4] == [0, 1, 0, 1]
    assert [c.finish_reason for c in final.choices] == ["stop", "stop"]
    assert chunks[-1].usage.completion_tokens == sum(len(c.message.content.split()) for c in final.choices)


def test_logprobs_per_token_in_the_spec_shape(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(
        model="gpt-4o", messages=user("hi"), logprobs=True, top_logprobs=3
    )
    choice = completion.choices[0]
    entries = choice.logprobs.content
    assert "".join(e.token for e in entries) == choice.message.content
    for e in entries:
        assert e.logprob <= 0 and bytes(e.bytes) == e.token.encode()
        assert len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token
        assert e.top_logprobs[0].logprob == e.logprob
        ranked = [t.logprob for t in e.top_logprobs]
        assert ranked == sorted(ranked, reverse=True)
        assert sum(math.exp(t.logprob) for t in e.top_logprobs) <= 1.0 + 1e-9
    assert choice.logprobs.refusal is None


def test_logprobs_without_top_logprobs_have_empty_alternatives(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("hi"), logprobs=True)
    assert all(e.top_logprobs == [] for e in completion.choices[0].logprobs.content)


def test_streamed_logprobs_come_with_each_content_chunk(chat_sim: SimulatorThread, style: str) -> None:
    chunks, final = streamed(chat_sim, style, messages=user("hi"), logprobs=True, top_logprobs=2)
    content = [c for c in chunks if c.choices and c.choices[0].delta.content]
    for chunk in content:
        (entry,) = chunk.choices[0].logprobs.content
        assert entry.token == chunk.choices[0].delta.content and len(entry.top_logprobs) == 2
    assert len(final.choices[0].logprobs.content) == len(content)


def test_the_same_seed_gives_the_same_answer_on_both_paths_and_regions(chat_sim: SimulatorThread) -> None:
    def ask(style: str, region: str, seed: int) -> str:
        sdk = client(chat_sim, style, region)
        return (
            sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=seed).choices[0].message.content
        )

    first = ask("v1", "eastus2", 42)
    assert ask("v1", "eastus2", 42) == first
    assert ask("legacy", "swedencentral", 42) == first
    assert len({ask("v1", "eastus2", seed) for seed in range(5)}) > 1  # another seed, another answer


def test_seeded_stream_says_what_the_seeded_completion_says(chat_sim: SimulatorThread, style: str) -> None:
    whole = client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=9, n=2)
    _, final = streamed(chat_sim, style, messages=user("tell me"), seed=9, n=2)
    assert [c.message.content for c in final.choices] == [c.message.content for c in whole.choices]


def test_stop_cuts_the_text_before_the_first_stop_sequence(chat_sim: SimulatorThread, style: str) -> None:
    sdk = client(chat_sim, style)
    text = sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=3).choices[0].message.content
    words = text.split(" ")
    stops = [" " + words[4], " " + words[2]]  # the earlier of the two wins
    cut = sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=3, stop=stops)
    expected = text[: text.index(stops[1])]
    assert cut.choices[0].message.content == expected and cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens == 2
    _, final = streamed(chat_sim, style, messages=user("tell me"), seed=3, stop=words[2])
    assert final.choices[0].message.content == text[: text.index(words[2])]


def test_max_tokens_reached_finishes_with_length(chat_sim: SimulatorThread, style: str) -> None:
    sdk = client(chat_sim, style)
    full = sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=5).choices[0].message.content
    for key in ("max_tokens", "max_completion_tokens"):
        short = sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), seed=5, **{key: 4})
        assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 4
        assert full.startswith(short.choices[0].message.content)  # the same tokens, fewer of them
    chunks = list(sdk.chat.completions.create(model="gpt-4o", messages=user("tell me"), n=2, max_tokens=4, stream=True))
    finishes = [
        (c.choices[0].index, c.choices[0].finish_reason) for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == [(0, "length"), (1, "length")]  # (the SDK's stream state refuses to assemble a cut answer)
    for index in (0, 1):
        pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].index == index]
        assert len([p for p in pieces if p]) == 4


def test_plain_answers_keep_the_template_shape(chat_sim: SimulatorThread, style: str) -> None:
    completion = client(chat_sim, style).chat.completions.create(model="gpt-4o", messages=user("hi"), max_tokens=30)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.logprobs is None and len(completion.choices) == 1
    assert completion.usage.completion_tokens == len(choice.message.content.split())
