"""Credentials in the failover client: Entra tokens per attempt and bounded in time (a hung call
never holds up the next one), a missing key variable, and no secret in exceptions, events or logs."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from aoai_watch.chaos.simulator import RegionSpec, SimulatorThread, default_region, mint_token
from aoai_watch.chaos.simulator.auth import token_valid
from aoai_watch.failover import AllRegionsFailed, FailoverClient, RegionConfig
from aoai_watch.failover.auth import async_token_provider, sync_token_provider
from aoai_watch.failover.classify import CredentialError

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, Recorder, regions


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
    # The simulator checks `exp` against the wall clock, so the expiry is real time. A token dead on
    # arrival (mint_token used to round exp down) made westus3 answer 401 and the call go to
    # swedencentral with the provider called once; each token here lives exactly lifetime_s, so the
    # test knows when it has expired.
    lifetime_s = 2.0  # long enough for the first call on a loaded machine
    issued: list[str] = []
    expiries: list[float] = []

    def provider() -> str:
        expiries.append(time.time() + lifetime_s)
        token = mint_token(exp=expiries[-1], n=len(issued))
        issued.append(token)
        return token

    rec = Recorder()
    client = FailoverClient(entra_regions(entra_sim), environ={"SIM_KEY": KEY}, token_provider=provider, on_event=rec)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    while time.time() <= expiries[-1]:  # until the last token handed out has expired
        time.sleep(max(0.01, expiries[-1] - time.time()))
    assert not token_valid(issued[-1])
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
    assert time.monotonic() - started < 3.5  # bounded at 0.3 s, not the 5 s hang; generous for a loaded machine
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


def provider_that_hangs_first(hung_calls: int, release: threading.Event):  # type: ignore[no-untyped-def]
    """The first `hung_calls` calls block until `release` is set; later ones answer at once."""
    calls = 0
    lock = threading.Lock()

    def provider() -> str:
        nonlocal calls
        with lock:
            calls += 1
            mine = calls
        if mine <= hung_calls:
            release.wait(30)
            return "late-token"
        return f"token-{mine}"

    return provider


def test_hung_sync_calls_do_not_starve_later_ones() -> None:
    release = threading.Event()
    bounded = sync_token_provider(provider_that_hangs_first(8, release), 0.2, "westus3")
    try:
        for _ in range(8):  # more hung calls than any small pool has workers
            with pytest.raises(CredentialError, match=r"westus3: no Entra token within 0\.2 s"):
                bounded()
        assert bounded() == "token-9"
    finally:
        release.set()


def test_hung_async_calls_do_not_starve_later_ones() -> None:
    release = threading.Event()
    bounded = async_token_provider(provider_that_hangs_first(8, release), 0.2, "westus3")

    async def run() -> str:
        for _ in range(8):
            with pytest.raises(CredentialError, match=r"no Entra token within 0\.2 s"):
                await bounded()
        return await bounded()

    try:
        assert asyncio.run(run()) == "token-9"
    finally:
        release.set()


def test_a_late_answer_after_the_timeout_is_dropped_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    release = threading.Event()
    bounded = async_token_provider(provider_that_hangs_first(1, release), 0.1, "westus3")

    async def run() -> None:
        with pytest.raises(CredentialError):
            await bounded()

    asyncio.run(run())
    late = [t for t in threading.enumerate() if t.name == "aoai-credential-westus3"]
    release.set()
    for thread in late:
        thread.join(5)
    assert "Traceback" not in capfd.readouterr().err  # the thread's result lands nowhere, without noise


def test_provider_errors_name_the_region_never_the_token() -> None:
    def failing() -> str:
        raise RuntimeError("secret-token-value leaked?")

    with pytest.raises(CredentialError) as err:
        sync_token_provider(failing, 1.0, "eastus2")()
    assert "eastus2" in str(err.value) and "RuntimeError" in str(err.value)
    assert "secret-token-value" not in str(err.value)
