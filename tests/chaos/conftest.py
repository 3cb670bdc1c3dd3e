"""Fixtures of the chat completion tests (tests/chaos/test_chat_*.py); helpers in chat_clients.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region

from tests.chaos.chat_clients import STYLES
from tests.conftest import KEY


@pytest.fixture(scope="module")
def chat_sim() -> Iterator[SimulatorThread]:
    """A seeded two-region simulator with latency off, one per test module (answers never wait)."""
    regions = [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    with SimulatorThread(regions, seed=11) as sim:
        yield sim


@pytest.fixture(params=STYLES)
def style(request: pytest.FixtureRequest) -> str:
    """Each URL style in turn: `v1` and `legacy` (see chat_clients.py)."""
    return str(request.param)
