"""Shared fixtures: one real simulator on 127.0.0.1 per test module, reset between tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region

from tests.clock import ManualClock

KEY = "sim-key-for-tests"  # a simulator key, not a secret: the simulator accepts any string
BIN = Path(sys.executable).parent
AOAI = str(BIN / "aoai-watch")  # the installed command, run as a user runs it


@pytest.fixture(scope="module")
def sim_server() -> Iterator[SimulatorThread]:
    regions = [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    with SimulatorThread(regions, seed=7) as sim:
        yield sim


@pytest.fixture
def sim(sim_server: SimulatorThread) -> Iterator[SimulatorThread]:
    sim_server.reset()
    yield sim_server
    sim_server.reset()


@pytest.fixture(scope="module")
def clocked_sim_server() -> Iterator[SimulatorThread]:
    """Like `sim_server`, but the simulator reads a ManualClock: fault expiry, Retry-After time left,
    flapping phases and stored-response ages move only when a test moves the clock."""
    regions = [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    with SimulatorThread(regions, seed=7, clock=ManualClock(1000.0)) as sim:
        yield sim


@pytest.fixture
def clocked_sim(clocked_sim_server: SimulatorThread) -> Iterator[SimulatorThread]:
    clocked_sim_server.reset()
    yield clocked_sim_server
    clocked_sim_server.reset()


@pytest.fixture
def sim_clock(clocked_sim: SimulatorThread) -> ManualClock:
    """The clock `clocked_sim` reads; pass it (and its `sleep`) to a client to share one time line."""
    clock = clocked_sim.simulator.clock
    assert isinstance(clock, ManualClock)
    return clock


def sdk(sim: SimulatorThread, region: str = "eastus2", timeout: float = 10.0, **kwargs: object) -> openai.OpenAI:
    """The real openai client pointed at one simulated region, with no SDK retries."""
    return openai.OpenAI(
        base_url=sim.base_url(region), api_key=kwargs.pop("api_key", KEY), max_retries=0, timeout=timeout, **kwargs
    )  # type: ignore[arg-type]


def chat(client: openai.OpenAI, model: str = "gpt-4o", **kwargs: object):  # type: ignore[no-untyped-def]
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "ping"}], **kwargs)  # type: ignore[call-overload]


def within(measured_s: float, expected_s: float, tolerance_s: float = 0.25, slack_s: float = 1.5) -> bool:
    """Real timing with tolerance: not earlier than expected minus a little, not far later
    (the machine is shared and noisy, so the upper slack is generous)."""
    return expected_s - tolerance_s <= measured_s <= expected_s + slack_s


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AOAI_")}
    env.update(extra)
    return env


def wait_for_file(path: Path, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.05)


def stop_cleanly(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    """Signal a command started with pipes, collect its output, and check it exited 0."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    return out, err
