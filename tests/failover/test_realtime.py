"""The realtime session helper against the simulator: drops, reconnects, the configuration re-sent,
failover to another region, and the events it reports."""

from __future__ import annotations

import asyncio
import time

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AllRegionsFailed, AttemptEvent, RealtimeSession, StreamStalled

from tests.conftest import KEY
from tests.failover.helpers import Recorder, regions


def session(sim: SimulatorThread, rec: Recorder | None = None, **options: object) -> RealtimeSession:
    options.setdefault("backoff_base_s", 0.05)
    options.setdefault("backoff_max_s", 0.2)
    return RealtimeSession(regions(sim), "gpt-4o", environ={"SIM_KEY": KEY}, on_event=rec, seed=3, **options)  # type: ignore[arg-type]


def test_ask_survives_drops_and_the_session_config_is_resent(sim: SimulatorThread) -> None:
    sim.add_fault("ws_drop", "eastus2", {"after_s": 0.25})

    async def run() -> tuple[list[str], int, str]:
        rec = Recorder()
        async with session(sim, rec, breaker_failures=100) as rt:
            await rt.update_session({"type": "realtime", "instructions": "be brief"})
            answers = []
            for _ in range(6):
                answers.append(await rt.ask("hello"))
                await asyncio.sleep(0.1)
            # after a reconnect the configuration is sent again: the server confirms it
            while (event := await rt.recv())["type"] != "session.reconnected":
                pass
            while (event := await rt.recv())["type"] != "session.updated":
                pass
            return answers, rt.reconnects, event["session"]["instructions"]

    answers, reconnects, instructions = asyncio.run(run())
    assert all(a.endswith(".") for a in answers)
    assert reconnects >= 2 and instructions == "be brief"


def test_refused_primary_fails_over_and_events_report_it(sim: SimulatorThread) -> None:
    sim.add_fault("refuse", "eastus2")
    rec = Recorder()

    async def run() -> str:
        async with session(sim, rec) as rt:
            await rt.ask("hi")
            return rt.region or ""

    assert asyncio.run(run()) == "swedencentral"
    assert [(a.region, a.outcome, a.decision) for a in rec.attempts] == [
        ("eastus2", "connect_error", "fail_over"),
        ("swedencentral", "ok", "return"),
    ]
    assert all(isinstance(e, AttemptEvent) and e.operation == "realtime" for e in rec.attempts)


def test_a_region_that_keeps_dropping_is_left_for_another(sim: SimulatorThread) -> None:
    sim.add_fault("ws_drop", "eastus2", {"after_s": 0.05})
    rec = Recorder()

    async def run() -> str:
        async with session(sim, rec, breaker_failures=2) as rt:
            for _ in range(6):
                await rt.ask("hi")
                await asyncio.sleep(0.08)
            return rt.region or ""

    assert asyncio.run(run()) == "swedencentral"
    drops = [a for a in rec.attempts if a.outcome == "connect_error" and a.region == "eastus2"]
    assert len(drops) >= 2


def test_every_region_down_raises_all_regions_failed(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    sim.add_fault("http_error", "swedencentral", {"status": 503})

    async def run() -> None:
        async with session(sim, deadline_s=1.0):
            pass

    try:
        asyncio.run(run())
    except AllRegionsFailed as exc:
        assert "eastus2" in str(exc) and "swedencentral" in str(exc)
    else:
        raise AssertionError("expected AllRegionsFailed")


def test_a_redirect_to_another_origin_is_refused_and_the_key_never_goes_there() -> None:
    import asyncio

    from aoai_watch.failover import AllRegionsFailed, RealtimeSession, RegionConfig

    from tests.failover import hostile

    seen = hostile.HeaderRecorder()
    with hostile.hostile_server(seen, read_request=False) as elsewhere:
        target = elsewhere.replace("http://", "ws://") + "/openai/v1/realtime"
        with hostile.hostile_server(hostile.redirect_to(target)) as first:
            region = RegionConfig("eastus2", first, 1, "api-key", "K", {"gpt-realtime": "gpt-realtime"})
            session = RealtimeSession([region], "gpt-realtime", environ={"K": "canary-key-0a1b2c"}, deadline_s=2)

            async def run() -> None:
                async with session:
                    pass

            with pytest.raises(AllRegionsFailed):
                asyncio.run(run())
    assert all(b"canary-key-0a1b2c" not in head for head in seen.heads) and seen.heads == []


def test_a_server_that_goes_quiet_before_session_created_fails_over(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 0, "stall_s": 8})
    rec = Recorder()

    async def run() -> str:
        async with session(sim, rec, stream_idle_timeout_s=0.5, read_timeout_s=5) as rt:
            assert await rt.ask("hi")
            return rt.region or ""

    started = time.monotonic()
    assert asyncio.run(run()) == "swedencentral"
    assert time.monotonic() - started < 0.5 + 5
    assert [(a.region, a.outcome) for a in rec.attempts][:2] == [("eastus2", "timeout"), ("swedencentral", "ok")]


def test_a_server_that_goes_quiet_mid_session_raises_stream_stalled(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 1, "stall_s": 8})  # session.created, then nothing
    rec = Recorder()

    async def run() -> tuple[StreamStalled, float]:
        async with session(sim, rec, stream_idle_timeout_s=0.5, read_timeout_s=5) as rt:
            started = time.monotonic()
            with pytest.raises(StreamStalled) as err:
                await rt.ask("hi")
            return err.value, time.monotonic() - started

    stalled, took_s = asyncio.run(run())
    assert took_s < 0.5 + 5
    assert (stalled.region, stalled.deployment) == ("eastus2", "gpt-4o") and stalled.gap_s >= 0.45
    assert KEY not in str(stalled)
    assert rec.attempts[-1].outcome == "timeout" and rec.attempts[-1].detail == "stream stalled"


def test_a_mid_session_stall_counts_on_the_breaker_and_the_next_ask_goes_to_the_next_region(
    sim: SimulatorThread,
) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 1, "stall_s": 8})
    rec = Recorder()

    async def run() -> tuple[str, str, str]:
        async with session(sim, rec, stream_idle_timeout_s=0.5, read_timeout_s=5, breaker_failures=1) as rt:
            with pytest.raises(StreamStalled):
                await rt.ask("hi")
            after_stall = rt.breaker_states()["eastus2"].state
            answer = await rt.ask("hi")  # reconnects: eastus2's breaker is open, so not there
            return after_stall, answer, rt.region or ""

    after_stall, answer, region = asyncio.run(run())
    assert after_stall == "open" and answer and region == "swedencentral"
    assert [(a.region, a.outcome, a.decision) for a in rec.attempts] == [
        ("eastus2", "ok", "return"),
        ("eastus2", "timeout", "raise"),
        ("swedencentral", "ok", "return"),
    ]
