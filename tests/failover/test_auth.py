"""failover.auth: every Entra token call is bounded, and a hung one never holds up the next."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aoai_watch.failover.auth import async_token_provider, sync_token_provider
from aoai_watch.failover.classify import CredentialError


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
