"""The failover client: streams, Responses replay, async parity, Entra tokens, secrets."""

from __future__ import annotations

import asyncio
import logging
import time

import openai
import pytest
from aoai_watch.chaos.simulator import LatencyModel, RegionSpec, SimulatorThread, default_region, mint_token
from aoai_watch.failover import AllRegionsFailed, AsyncFailoverClient, FailoverClient, RegionConfig

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder, make, regions


def test_stream_fails_over_before_the_first_token(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    rec = Recorder()
    stream = make(sim, rec).chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert stream.region == "swedencentral"
    assert chunks[0].choices == []  # Azure's annotation chunk is passed through
    assert chunks[-1].usage.completion_tokens == 12
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text.split()) == 12
    assert rec.path() == [("eastus2", "server_error", "fail_over"), ("swedencentral", "ok", "return")]


def test_stream_fails_over_when_the_connection_dies_before_content(sim: SimulatorThread) -> None:
    sim.add_fault("reset", "eastus2")
    stream = make(sim).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    assert stream.region == "swedencentral" and sum(1 for _ in stream) > 3


@pytest.fixture
def slow_sim():  # type: ignore[no-untyped-def]
    slow = LatencyModel(ttft_ms=50, per_token_ms=150, jitter_sigma=0)
    specs = [
        RegionSpec(name=n, deployments=default_region(n, KEY).deployments, api_key=KEY, latency=slow)
        for n in ("eastus2", "swedencentral")
    ]
    with SimulatorThread(specs, seed=3) as sim:
        yield sim


def test_after_the_first_token_a_failure_is_raised_never_spliced(slow_sim: SimulatorThread) -> None:
    rec = Recorder()
    client = FailoverClient(regions(slow_sim), environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=3)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(Exception) as err:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
                if len(received) == 1:
                    slow_sim.add_fault("refuse", "eastus2")  # drops the open connection mid-answer
    assert stream.region == "eastus2"
    assert 1 <= len(received) < 12
    assert not isinstance(err.value, AllRegionsFailed)
    assert [a.region for a in rec.attempts] == ["eastus2"]  # nothing was sent to swedencentral


def test_responses_chain_continues_on_another_region_with_the_whole_conversation(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    first = client.responses.create(model="gpt-4o", input="My number is 42.")
    second = client.responses.create(model="gpt-4o", input="And yours?", previous_response_id=first.id)
    sim.add_fault("http_error", "eastus2", {"status": 503})
    third = client.responses.create(model="gpt-4o", input="Sum them.", previous_response_id=second.id)
    assert [a.region for a in rec.attempts] == ["eastus2", "eastus2", "eastus2", "swedencentral"]
    assert third.previous_response_id is None  # the foreign id was not sent to swedencentral
    # swedencentral billed the whole conversation as input: 3 user turns and 2 assistant answers
    assert third.usage.input_tokens > second.usage.input_tokens
    # and the chain goes on from swedencentral, where the new response is stored
    fourth = client.responses.create(model="gpt-4o", input="Thanks.", previous_response_id=third.id)
    assert fourth.previous_response_id == third.id


def test_responses_state_lost_on_the_same_region_is_replayed_there(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    first = client.responses.create(model="gpt-4o", input="Remember this.")
    sim.reset()  # the region forgets its stored responses but stays healthy
    again = client.responses.create(model="gpt-4o", input="What was it?", previous_response_id=first.id)
    assert rec.path()[1:] == [("eastus2", "state_lost", "replay"), ("eastus2", "ok", "return")]
    assert again.usage.input_tokens > first.usage.input_tokens
    assert client.breaker_states()["eastus2"].state == "closed"  # losing state is not an outage


def test_unknown_previous_response_id_is_the_callers_error(sim: SimulatorThread) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        make(sim).responses.create(model="gpt-4o", input="x", previous_response_id="resp_not_from_this_client")
    assert err.value.code == "previous_response_not_found"


def test_async_client_has_the_same_behaviour(sim: SimulatorThread) -> None:
    async def run() -> None:
        rec = Recorder()
        client = AsyncFailoverClient(
            regions(sim), environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=0.5, backoff_base_s=0.05, deadline_s=3
        )
        sim.add_fault("black_hole", "eastus2")
        raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
        assert raw.headers["x-ms-region"] == "Sweden Central"
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        assert stream.region == "swedencentral"
        assert [c async for c in stream]
        first = await client.responses.create(model="gpt-4o", input="hi")
        follow = await client.responses.create(model="gpt-4o", input="more", previous_response_id=first.id)
        assert follow.previous_response_id == first.id
        sim.add_fault("http_error", "eastus2", {"status": 400})
        sim.clear_fault(sim.call(_first_fault_id(sim)))
        results = await asyncio.gather(
            *[client.embeddings.create(model="text-embedding-3-small", input=str(i)) for i in range(5)]
        )
        assert len(results) == 5
        sim.add_fault("http_error", "swedencentral", {"status": 503})
        with pytest.raises(AllRegionsFailed):
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        await client.close()
        assert rec.path()[:2] == [("eastus2", "timeout", "fail_over"), ("swedencentral", "ok", "return")]

    asyncio.run(run())


async def _first_fault_id(sim: SimulatorThread) -> str:
    return sim.simulator.faults.active()[0].id


@pytest.fixture(scope="module")
def entra_sim():  # type: ignore[no-untyped-def]
    base = default_region("westus3", None, latency_scale=0)
    specs = [
        RegionSpec(name="westus3", deployments=base.deployments, auth="entra", latency=base.latency),
        default_region("swedencentral", KEY, latency_scale=0),
    ]
    with SimulatorThread(specs, seed=2) as sim:
        yield sim


def entra_regions(sim: SimulatorThread) -> list[RegionConfig]:
    return [
        RegionConfig("westus3", sim.urls["westus3"], 1, "entra", None, {"gpt-4o": "gpt-4o"}),
        RegionConfig("swedencentral", sim.urls["swedencentral"], 2, "api-key", "SIM_KEY", {"gpt-4o": "gpt-4o"}),
    ]


def test_entra_token_is_fetched_per_attempt_and_refreshed_when_it_expires(entra_sim: SimulatorThread) -> None:
    issued: list[str] = []

    def provider() -> str:
        token = mint_token(expires_in_s=1, n=len(issued))
        issued.append(token)
        return token

    rec = Recorder()
    client = FailoverClient(entra_regions(entra_sim), environ={"SIM_KEY": KEY}, token_provider=provider, on_event=rec)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    time.sleep(1.1)  # the first token has expired by now
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert len(issued) >= 2 and issued[0] != issued[-1]
    assert [a.region for a in rec.attempts] == ["westus3", "westus3"]


def test_a_hanging_credential_is_bounded_and_the_call_fails_over(entra_sim: SimulatorThread) -> None:
    def hanging() -> str:
        time.sleep(5)
        return mint_token()

    rec = Recorder()
    client = FailoverClient(
        entra_regions(entra_sim),
        environ={"SIM_KEY": KEY},
        token_provider=hanging,
        credential_timeout_s=0.3,
        on_event=rec,
    )
    started = time.monotonic()
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert time.monotonic() - started < 2
    assert rec.path()[0][:2] == ("westus3", "auth_error") and rec.path()[-1] == ("swedencentral", "ok", "return")
    assert "no Entra token within 0.3 s" in rec.attempts[0].detail


def test_expired_token_gets_azures_401_and_fails_over(entra_sim: SimulatorThread) -> None:
    rec = Recorder()
    client = FailoverClient(
        entra_regions(entra_sim),
        environ={"SIM_KEY": KEY},
        token_provider=lambda: mint_token(expires_in_s=-5),
        on_event=rec,
    )
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert rec.path()[0] == ("westus3", "auth_error", "fail_over")


def test_missing_key_variable_makes_the_region_unusable_not_the_client(sim: SimulatorThread) -> None:
    rec = Recorder()
    configs = regions(sim)
    configs[0] = RegionConfig("eastus2", sim.urls["eastus2"], 1, "api-key", "NOT_SET_ANYWHERE", {"gpt-4o": "gpt-4o"})
    client = FailoverClient(configs, environ={"SIM_KEY": KEY}, on_event=rec)
    assert (
        client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES).headers["x-ms-region"]
        == "Sweden Central"
    )
    sim.add_fault("http_error", "swedencentral", {"status": 500})
    with pytest.raises(AllRegionsFailed, match="NOT_SET_ANYWHERE that should hold its key is not set"):
        FailoverClient(configs, environ={"SIM_KEY": KEY}, deadline_s=1).chat.completions.create(
            model="gpt-4o", messages=MESSAGES
        )


SECRET = "fake-test-key-that-must-never-leak-0123456789"  # not a real key: a marker to search for


def test_no_secret_in_exceptions_events_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    with SimulatorThread(
        [default_region("eastus2", SECRET, latency_scale=0), default_region("swedencentral", SECRET, latency_scale=0)]
    ) as sim:
        caplog.set_level(logging.DEBUG)
        rec = Recorder()
        configs = regions(sim)
        client = FailoverClient(configs, environ={"SIM_KEY": SECRET}, on_event=rec, deadline_s=1, read_timeout_s=0.3)
        texts: list[str] = []
        for fault, params in (
            ("http_error", {"status": 503}),
            ("rate_limit", {}),
            ("black_hole", {}),
            ("http_error", {"status": 400}),
        ):
            sim.reset()
            sim.add_fault(fault, "eastus2", params)
            sim.add_fault("http_error", "swedencentral", {"status": 401})
            with pytest.raises(Exception) as err:
                client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            texts += [str(err.value), repr(err.value), str(err.value.__cause__), str(err.value.__context__)]
        sim.reset()
        wrong = FailoverClient(configs, environ={"SIM_KEY": SECRET + "-wrong"}, deadline_s=1)
        with pytest.raises(AllRegionsFailed) as err:
            wrong.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        texts.append(str(err.value))
    texts += [str(e) for e in rec.events]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    assert any("HTTP 401" in t for t in texts)  # the failures really were recorded
    assert not [t for t in texts if SECRET in t]


def test_hedging_sends_to_the_next_region_when_the_first_is_slow(sim: SimulatorThread) -> None:
    sim.add_fault("latency", "eastus2", {"ms": 1500})
    rec = Recorder()
    client = make(sim, rec, hedge_after_s=0.2)
    started = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    assert raw.headers["x-ms-region"] == "Sweden Central"
    assert time.monotonic() - started < 1.0
    winner = next(a for a in rec.attempts if a.outcome == "ok")
    assert winner.region == "swedencentral" and winner.hedged
    sim.reset()
    rec.events.clear()
    assert (
        client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES).headers["x-ms-region"]
        == "East US 2"
    )
    assert [a.region for a in rec.attempts] == ["eastus2"]  # a fast answer sends no hedge


def test_async_hedging_cancels_the_loser(sim: SimulatorThread) -> None:
    async def run() -> None:
        sim.add_fault("latency", "eastus2", {"ms": 3000})
        rec = Recorder()
        client = AsyncFailoverClient(regions(sim), environ={"SIM_KEY": KEY}, on_event=rec, hedge_after_s=0.2)
        started = time.monotonic()
        stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        assert stream.region == "swedencentral"
        assert [c async for c in stream]
        assert time.monotonic() - started < 1.5
        await asyncio.sleep(0.1)
        assert [(a.region, a.hedged) for a in rec.attempts] == [("swedencentral", True)]  # eastus2 was cancelled
        assert client.breaker_states()["eastus2"].state == "closed"
        await client.close()

    asyncio.run(run())


def test_streamed_responses_fail_over_and_the_chain_continues(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    sim.add_fault("http_error", "eastus2", {"status": 503})
    stream = client.responses.create(model="gpt-4o", input="Remember 7.", stream=True)
    events = list(stream)
    assert stream.region == "swedencentral" and events[-1].type == "response.completed"
    first_id = events[-1].response.id
    sim.reset()
    sim.add_fault("http_error", "swedencentral", {"status": 503})
    # the parent lives in swedencentral, which is down now: replayed in full on eastus2
    follow = client.responses.create(model="gpt-4o", input="Which number?", previous_response_id=first_id)
    assert follow.previous_response_id is None and follow.output_text
    assert [a.region for a in rec.attempts][-2:] == ["swedencentral", "eastus2"]
