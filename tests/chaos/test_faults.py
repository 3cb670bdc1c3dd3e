"""The chaos.faults package. Every fault of the catalogue, checked from the client side with the real
openai SDK: status, body shape, headers, and timing (with tolerance). The fault wrapper and set as
plain objects, with an injected clock: scope, expiry, odds."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos import faults as faults_package
from aoai_watch.chaos.faults import REGISTRY, FaultParamError, FaultSet, Reply, RequestContext
from aoai_watch.chaos.simulator import SimulatorThread

from tests.clock import ManualClock
from tests.conftest import chat, sdk, within


@pytest.mark.parametrize(
    "status, error_class",
    [(503, openai.InternalServerError), (500, openai.InternalServerError), (408, openai.APIStatusError)],
)
def test_http_error_outage_uses_azures_body(sim: SimulatorThread, status: int, error_class: type) -> None:
    sim.add_fault("http_error", "eastus2", {"status": status})
    with pytest.raises(error_class) as err:
        chat(sdk(sim))
    response = err.value.response
    assert response.status_code == status
    body = response.json()
    request_id = response.headers["apim-request-id"]
    if status == 500:
        assert body["error"]["type"] == "server_error" and request_id in body["error"]["message"]
    elif status == 503:
        assert body["error"]["code"] == "ServiceUnavailable"
    else:
        assert body["error"]["code"] == "Timeout"
    assert chat(sdk(sim, "swedencentral")).choices  # the other region is untouched


def test_fault_scoped_to_one_deployment(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503}, deployment="gpt-4o")
    with pytest.raises(openai.InternalServerError):
        chat(sdk(sim), model="gpt-4o")
    assert chat(sdk(sim), model="gpt-4o-mini").choices


def test_fault_duration_ends_the_outage(clocked_sim: SimulatorThread, sim_clock: ManualClock) -> None:
    clocked_sim.add_fault("http_error", "eastus2", {"status": 503}, duration_s=0.4)
    with pytest.raises(openai.InternalServerError):
        chat(sdk(clocked_sim))
    sim_clock.advance(0.3)
    with pytest.raises(openai.InternalServerError):  # not over before its duration
        chat(sdk(clocked_sim))
    sim_clock.advance(0.2)
    assert chat(sdk(clocked_sim)).choices


def test_probability_lets_some_requests_through(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 500}, probability=0.5)
    client = sdk(sim)
    failures = 0
    for _ in range(60):
        try:
            chat(client)
        except openai.InternalServerError:
            failures += 1
    assert 12 <= failures <= 48  # 60 draws at p=0.5; outside this band is a 1-in-10^5 event


def test_refuse_closes_the_port_and_it_comes_back(sim: SimulatorThread) -> None:
    host, port = sim.urls["eastus2"].removeprefix("http://").split(":")
    fault = sim.add_fault("refuse", "eastus2")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2).close()
    with pytest.raises(openai.APIConnectionError):
        chat(sdk(sim))
    assert chat(sdk(sim, "swedencentral")).choices
    assert sim.clear_fault(fault.id) is True
    assert sim.clear_fault(fault.id) is False  # clearing again is harmless
    assert sim.urls["eastus2"].endswith(f":{port}")  # same port as before
    assert chat(sdk(sim)).choices


def test_refuse_with_duration_reopens_by_itself(sim: SimulatorThread) -> None:
    # a region-wide fault: the listener reopens on the event loop's real timer, so this one runs on
    # real time (a ManualClock would not fire the timer)
    sim.add_fault("refuse", "eastus2", duration_s=1.5)  # wide enough for a loaded machine to call inside it
    with pytest.raises(openai.APIConnectionError):
        chat(sdk(sim))
    deadline = time.monotonic() + 15  # due after 1.5 s; a loaded machine may run the timer late
    while not sim.simulator.listeners["eastus2"].listening and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chat(sdk(sim)).choices


def test_reset_sends_a_tcp_reset(sim: SimulatorThread) -> None:
    sim.add_fault("reset", "eastus2")
    with pytest.raises(openai.APIConnectionError) as err:
        chat(sdk(sim))
    assert "reset" in repr(err.value.__cause__).lower()
    host, port = sim.urls["eastus2"].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /openai/v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            s.recv(1024) or s.recv(1024)


def test_black_hole_never_answers_until_the_client_times_out(sim: SimulatorThread) -> None:
    sim.add_fault("black_hole", "eastus2")
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(sdk(sim, timeout=0.5))
    assert within(time.monotonic() - started, 0.5)
    assert chat(sdk(sim, "swedencentral")).choices


def test_latency_fault_adds_its_delay(sim: SimulatorThread) -> None:
    client = sdk(sim)
    chat(client)  # warm the connection
    sim.add_fault("latency", "eastus2", {"ms": 400})
    started = time.monotonic()
    assert chat(client).choices
    assert within(time.monotonic() - started, 0.4)


def _rate_limited(sim: SimulatorThread) -> openai.RateLimitError:
    with pytest.raises(openai.RateLimitError) as err:
        chat(sdk(sim))
    return err.value


def test_rate_limit_honest_retry_after_is_time_left(clocked_sim: SimulatorThread, sim_clock: ManualClock) -> None:
    clocked_sim.add_fault("rate_limit", "eastus2", duration_s=8)
    err = _rate_limited(clocked_sim)
    assert err.response.headers["retry-after"] == "8"
    assert "retry-after-ms" not in err.response.headers
    assert err.body["code"] == "429"
    assert f"Please retry after {err.response.headers['retry-after']} seconds" in err.body["message"]
    assert "exceeded token rate limit" in err.body["message"]
    sim_clock.advance(2.5)
    assert _rate_limited(clocked_sim).response.headers["retry-after"] == "6"  # ceil(5.5 s left)


def test_rate_limit_lying_huge_ms_and_flavours(sim: SimulatorThread) -> None:
    lie = sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 1, "retry_after_ms": 250}, duration_s=30)
    err = _rate_limited(sim)
    assert err.response.headers["retry-after"] == "1" and err.response.headers["retry-after-ms"] == "250"
    sim.clear_fault(lie.id)
    huge = sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 86400})
    assert "Please retry after 86400 seconds" in _rate_limited(sim).body["message"]
    sim.clear_fault(huge.id)
    sim.add_fault("rate_limit", "eastus2", {"omit_headers": True, "flavour": "capacity", "retry_after_s": 20})
    err = _rate_limited(sim)
    assert "retry-after" not in err.response.headers and "retry-after-ms" not in err.response.headers
    assert err.body["message"].startswith("The system is currently experiencing high demand")
    assert "Please retry after 20 seconds" in err.body["message"]


@pytest.mark.parametrize(
    "flavour, phrase",
    [
        ("requests", "exceeded call rate limit"),
        ("newer", "for gpt-4o in East US 2"),
        ("short", "Rate limit is exceeded. Try again in 5 seconds."),
    ],
)
def test_rate_limit_message_flavours(sim: SimulatorThread, flavour: str, phrase: str) -> None:
    sim.add_fault("rate_limit", "eastus2", {"flavour": flavour, "retry_after_s": 5})
    assert phrase in _rate_limited(sim).body["message"]


def test_rbac_propagation_denies_for_n_seconds_then_allows(
    clocked_sim: SimulatorThread, sim_clock: ManualClock
) -> None:
    sim = clocked_sim
    fault = sim.add_fault("rbac_propagation", "eastus2", {"seconds": 0.6})
    assert fault.duration_s == 0.6
    with pytest.raises(openai.AuthenticationError) as err:
        chat(sdk(sim))
    assert err.value.status_code == 401
    assert err.value.body == {"code": "PermissionDenied", "message": "Principal does not have access to API/Operation."}
    with pytest.raises(openai.AuthenticationError) as bad_key:
        chat(sdk(sim, api_key="wrong"))
    assert bad_key.value.body["code"] == "401"  # a wrong key still gets the key 401 first
    sim_clock.advance(0.5)
    with pytest.raises(openai.AuthenticationError):  # still propagating
        chat(sdk(sim))
    sim_clock.advance(0.2)
    assert chat(sdk(sim)).choices


def test_faults_apply_to_realtime_upgrades(sim: SimulatorThread) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    with pytest.raises(Exception) as err, sdk(sim).realtime.connect(model="gpt-4o") as conn:
        conn.recv()
    assert "503" in str(err.value)


def test_state_loss_makes_stored_responses_vanish_until_cleared(sim: SimulatorThread) -> None:
    client = sdk(sim)
    parent = client.responses.create(model="gpt-4o", input="keep this")
    fault = sim.add_fault("state_loss", "eastus2")
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="gpt-4o", input="more", previous_response_id=parent.id)
    assert err.value.code == "previous_response_not_found"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(parent.id)
    assert client.responses.create(model="gpt-4o", input="a fresh conversation still works").output_text
    sim.clear_fault(fault.id)
    assert client.responses.create(model="gpt-4o", input="more", previous_response_id=parent.id).output_text


def test_slow_stream_delays_chunks_or_stops_mid_way(sim: SimulatorThread) -> None:
    sim.add_fault("slow_stream", "eastus2", {"chunk_delay_ms": 50})
    started = time.monotonic()
    chunks = list(chat(sdk(sim), stream=True))
    assert within(time.monotonic() - started, 11 * 0.05)  # 11 gaps between 12 content chunks
    assert chunks[-1].choices[0].finish_reason == "stop"
    sim.reset()
    sim.add_fault("slow_stream", "eastus2", {"stop_after_chunks": 3})
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat(sdk(sim), stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert len(received) == 3


@pytest.mark.parametrize(
    "shape, check",
    [
        ("bare", lambda r: r.json()["statusCode"] == 503 and "error" not in r.json()),
        ("html", lambda r: r.headers["content-type"].startswith("text/html") and "<html>" in r.text),
        ("empty", lambda r: r.content == b""),
        ("text", lambda r: r.text.startswith("upstream connect error")),
    ],
)
def test_error_format_drift(sim: SimulatorThread, shape: str, check: object) -> None:
    sim.add_fault("error_format", "eastus2", {"shape": shape})
    with pytest.raises(openai.InternalServerError) as err:
        chat(sdk(sim))
    assert err.value.status_code == 503 and check(err.value.response)  # type: ignore[operator]


def test_silent_model_version_change(sim: SimulatorThread) -> None:
    sim.add_fault("model_version", "eastus2", {"version": "gpt-4o-2024-11-20"})
    client = sdk(sim)
    assert chat(client).model == "gpt-4o-2024-11-20"
    assert client.responses.create(model="gpt-4o", input="x").model == "gpt-4o-2024-11-20"
    with client.realtime.connect(model="gpt-4o") as conn:  # the openai SDK's realtime client, over a socket
        created = conn.recv()
        assert created.type == "session.created" and created.session.model == "gpt-4o-2024-11-20"
    assert chat(sdk(sim, "swedencentral")).model == "gpt-4o-2024-08-06"


def test_flapping_alternates_down_and_up(clocked_sim: SimulatorThread, sim_clock: ManualClock) -> None:
    # steps of 1/8 s on a 1/2 s period: exact in binary, so no phase lands a rounding error off
    clocked_sim.add_fault("flapping", "eastus2", {"period_s": 0.5, "down_s": 0.25})
    client = sdk(clocked_sim)
    pattern = []
    for _ in range(12):
        try:
            chat(client)
            pattern.append("up")
        except openai.InternalServerError:
            pattern.append("down")
        sim_clock.advance(0.125)
    assert pattern[0] == "down" and "up" in pattern
    assert pattern.count("down") >= 3 and pattern.count("up") >= 3
    assert pattern == ["down", "down", "up", "up"] * 3  # down for the first half of every period


def test_capacity_429(sim: SimulatorThread) -> None:
    sim.add_fault("capacity", "eastus2", {"retry_after_s": 15})
    err = _rate_limited(sim)
    assert err.response.headers["retry-after"] == "15"
    assert err.body["message"].startswith("The system is currently experiencing high demand")


def test_state_loss_lag_mode_only_hides_fresh_responses(clocked_sim: SimulatorThread, sim_clock: ManualClock) -> None:
    sim = clocked_sim
    client = sdk(sim)
    old = client.responses.create(model="gpt-4o", input="old")
    sim_clock.advance(0.5)
    sim.add_fault("state_loss", "eastus2", {"mode": "lag", "lag_s": 0.4})
    fresh = client.responses.create(model="gpt-4o", input="fresh")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o", input="go on", previous_response_id=fresh.id)
    assert client.responses.create(model="gpt-4o", input="go on", previous_response_id=old.id).output_text
    sim_clock.advance(0.45)
    assert client.responses.create(model="gpt-4o", input="go on", previous_response_id=fresh.id).output_text


def test_ws_drop_cuts_realtime_sockets_after_n_seconds(sim: SimulatorThread) -> None:
    sim.add_fault("ws_drop", "eastus2", {"after_s": 0.3, "jitter_ms": 5})
    started = time.monotonic()
    with pytest.raises(Exception) as err, sdk(sim).realtime.connect(model="gpt-4o") as conn:
        assert conn.recv().type == "session.created"
        while True:
            conn.recv()
    assert within(time.monotonic() - started, 0.3)
    assert "ConnectionClosed" in type(err.value).__name__


def test_expiry_scope_and_stage() -> None:
    clock = ManualClock(50.0)
    faults = FaultSet(clock, seed=3)
    faults.add("http_error", "eastus2", {"status": 500}, deployment="gpt-4o", duration_s=10)
    faults.add("rbac_propagation", "eastus2", {"seconds": 5})
    assert [f.fault.name for f in faults.firing("eastus2", "gpt-4o", "before_auth")] == ["http_error"]
    assert faults.firing("eastus2", "gpt-4o-mini", "before_auth") == []
    assert faults.firing("swedencentral", "gpt-4o", "before_auth") == []
    assert [f.fault.name for f in faults.firing("eastus2", None, "after_auth")] == ["rbac_propagation"]
    clock.now += 5
    assert faults.firing("eastus2", None, "after_auth") == []  # `seconds` was its duration
    clock.now += 5
    assert faults.firing("eastus2", "gpt-4o", "before_auth") == []
    assert faults.active() == []


def test_probability_is_deterministic_when_seeded() -> None:
    def pattern() -> list[bool]:
        faults = FaultSet(ManualClock(50.0), seed=42)
        faults.add("reset", "eastus2", probability=0.3)
        return [bool(faults.firing("eastus2", None, "before_auth")) for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 30 <= sum(first) <= 90


def test_every_registered_fault_validates_unknown_params() -> None:
    faults = FaultSet(ManualClock(50.0))
    modules = {p.stem for p in Path(faults_package.__file__).parent.glob("*.py")} - {"__init__", "base", "apply"}
    assert set(REGISTRY) == modules  # one registered kind per fault module: the loop below sees them all
    for kind in REGISTRY:
        with pytest.raises(FaultParamError, match="unknown params"):
            faults.add(kind, "eastus2", {"no_such_param": 1, "ms": 1, "seconds": 1, "period_s": 1})


def test_rate_limit_honest_default_uses_time_left() -> None:
    clock = ManualClock(50.0)
    faults = FaultSet(clock)
    active = faults.add("rate_limit", "eastus2", duration_s=30)
    clock.now += 12.5

    async def sleep(_: float) -> None:
        return None

    ctx = RequestContext("eastus2", "gpt-4o", "gpt-4o", "/openai/v1/chat/completions", "rid", clock.now, sleep)
    reply = asyncio.run(active.fault.intercept(ctx, active))
    assert isinstance(reply, Reply) and reply.status == 429
    assert reply.headers["retry-after"] == "18"  # ceil(17.5)


def test_latency_fault_sleeps_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    faults = FaultSet(ManualClock(50.0))
    active = faults.add("latency", "eastus2", {"ms": 1500})
    ctx = RequestContext("eastus2", None, None, "/", "rid", 0.0, sleep)
    assert asyncio.run(active.fault.intercept(ctx, active)) is None
    assert slept == [1.5]
