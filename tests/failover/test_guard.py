"""failover.guard against hostile upstreams on 127.0.0.1: an HTML 200, a gzip bomb, a body at
one byte a second, streams that end before any output. Each is `bad_response` (or `timeout`) and
the call fails over to a healthy simulated region."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AllRegionsFailed, FailoverClient, RegionConfig

from tests.conftest import KEY
from tests.failover import hostile
from tests.failover.helpers import MESSAGES, Recorder

GOOD = {"gpt-4o": "gpt-4o"}


def two_regions(bad_endpoint: str, sim: SimulatorThread) -> list[RegionConfig]:
    return [
        RegionConfig("eastus2", bad_endpoint, 1, "api-key", "SIM_KEY", GOOD),
        RegionConfig("swedencentral", sim.urls["swedencentral"], 2, "api-key", "SIM_KEY", GOOD),
    ]


def client(bad_endpoint: str, sim: SimulatorThread, rec: Recorder, **options: object) -> FailoverClient:
    options.setdefault("read_timeout_s", 5)
    options.setdefault("deadline_s", 20)
    return FailoverClient(two_regions(bad_endpoint, sim), environ={"SIM_KEY": KEY}, on_event=rec, **options)


def test_an_html_200_is_a_bad_response_and_fails_over(sim: SimulatorThread) -> None:
    rec = Recorder()
    with hostile.hostile_server(hostile.html_page) as bad:
        answer = client(bad, sim, rec).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert answer.choices[0].message.content  # a real completion, not the page's text
    assert rec.path() == [("eastus2", "bad_response", "fail_over"), ("swedencentral", "ok", "return")]
    assert "content type text/html" in rec.attempts[0].detail


def test_a_gzip_bomb_stops_at_the_size_bound_and_fails_over(sim: SimulatorThread) -> None:
    rec = Recorder()
    with hostile.hostile_server(hostile.gzip_bomb(decoded_mib=256)) as bad:
        client(bad, sim, rec, max_response_bytes=4 * 1024 * 1024).chat.completions.create(
            model="gpt-4o", messages=MESSAGES
        )
    assert rec.path() == [("eastus2", "bad_response", "fail_over"), ("swedencentral", "ok", "return")]
    assert "larger than max_response_bytes (4,194,304 bytes decoded)" in rec.attempts[0].detail


BOMB_IN_A_CHILD = """
import json, resource, sys
from aoai_watch.failover import FailoverClient, RegionConfig, AllRegionsFailed
region = RegionConfig("eastus2", sys.argv[1], 1, "api-key", "K", {"gpt-4o": "gpt-4o"})
c = FailoverClient([region], environ={"K": "k"}, deadline_s=20, read_timeout_s=10)
try:
    c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    outcome = "returned"
except AllRegionsFailed as exc:
    outcome = exc.failures["eastus2"].outcome
# VmHWM is this process's own peak; ru_maxrss also keeps the peak of the process that spawned it
# (Linux records the old memory map's high-water mark at exec, and a vfork child shares pytest's)
try:
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "maxrss_mb": peak_kb / 1024}))
"""


def test_a_one_gib_gzip_bomb_costs_the_client_no_more_than_the_bound() -> None:
    with hostile.hostile_server(hostile.gzip_bomb(decoded_mib=1024)) as bad:
        out = subprocess.run(
            [sys.executable, "-c", BOMB_IN_A_CHILD, bad], capture_output=True, text=True, timeout=120, check=True
        ).stdout
    seen = json.loads(out)
    # the default bound is 32 MiB of decoded body; the interpreter with openai imported is ~100 MB
    assert seen["outcome"] == "bad_response" and seen["maxrss_mb"] < 400, seen


def test_a_body_at_one_byte_a_second_is_cut_at_the_deadline(sim: SimulatorThread) -> None:
    body = json.dumps({"id": "x", "object": "chat.completion", "choices": [], "padding": "." * 200}).encode()
    rec = Recorder()
    with hostile.hostile_server(hostile.trickle(body, every_s=0.5)) as bad:
        started = time.monotonic()
        with pytest.raises(AllRegionsFailed):  # the only region is held past the deadline: the call gives up
            FailoverClient(
                [RegionConfig("eastus2", bad, 1, "api-key", "SIM_KEY", GOOD)],
                environ={"SIM_KEY": KEY},
                on_event=rec,
                read_timeout_s=2,
                deadline_s=3,
            ).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        took_s = time.monotonic() - started
    # before: every byte reset the read timeout and the call took as long as the body (~110 s)
    assert took_s < 15, took_s
    assert rec.attempts[0].outcome == "timeout"


@pytest.mark.parametrize(
    "events",
    [
        pytest.param([b"data: [DONE]\n\n"], id="no chunks at all"),
        pytest.param([b'data: {"id": "chatcmpl-1", "object": "chat.comp'], id="truncated json"),
        pytest.param(
            [b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\n'],
            id="ends before any content or finish",
        ),
    ],
)
def test_a_stream_that_ends_before_any_output_fails_over(sim: SimulatorThread, events: list[bytes]) -> None:
    rec = Recorder()
    with hostile.hostile_server(hostile.event_stream(events)) as bad:
        stream = client(bad, sim, rec).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert stream.region == "swedencentral" and text
    assert rec.path()[0][:2] == ("eastus2", "bad_response")


def test_the_async_client_is_held_to_the_same_deadline_and_screening(sim: SimulatorThread) -> None:
    import asyncio

    from aoai_watch.failover import AsyncFailoverClient

    body = json.dumps({"id": "x", "object": "chat.completion", "choices": [], "padding": "." * 200}).encode()
    rec = Recorder()

    async def call(endpoint: str) -> object:
        async_client = AsyncFailoverClient(
            two_regions(endpoint, sim), environ={"SIM_KEY": KEY}, on_event=rec, read_timeout_s=2, deadline_s=4
        )
        return await async_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    with hostile.hostile_server(hostile.trickle(body, every_s=0.5)) as slow:
        started = time.monotonic()
        with pytest.raises(AllRegionsFailed):  # the trickle holds the call until its deadline passes
            asyncio.run(call(slow))
        assert time.monotonic() - started < 15
    assert rec.attempts[0].outcome == "timeout"
    with hostile.hostile_server(hostile.html_page) as page:
        answer = asyncio.run(call(page))
    assert getattr(answer, "choices", None) and rec.path()[-2:] == [
        ("eastus2", "bad_response", "fail_over"),
        ("swedencentral", "ok", "return"),
    ]
