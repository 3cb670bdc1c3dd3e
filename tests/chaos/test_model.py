"""The latency model: seeded, East US 2 fast and Sweden Central slower, visible to a real client."""

from __future__ import annotations

import random
import statistics
import time

from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.chaos.simulator.model import DEFAULT_LATENCY, LatencyModel

from tests.conftest import KEY, chat, sdk


def test_samples_are_seeded_and_centred_on_the_model() -> None:
    model = LatencyModel(ttft_ms=400, per_token_ms=20, jitter_sigma=0.2)
    first = [model.sample_ttft_s(random.Random(5)) for _ in range(3)]
    assert first == [model.sample_ttft_s(random.Random(5)) for _ in range(3)]
    rng = random.Random(1)
    samples = [model.sample_ttft_s(rng) for _ in range(2000)]
    assert abs(statistics.median(samples) - 0.4) < 0.02
    assert LatencyModel(scale=0).sample_ttft_s(rng) == 0.0


def test_default_regions_east_us_2_fast_sweden_central_slower() -> None:
    east, sweden = DEFAULT_LATENCY["eastus2"], DEFAULT_LATENCY["swedencentral"]
    assert east.ttft_ms < sweden.ttft_ms and east.per_token_ms < sweden.per_token_ms
    assert east.jitter_sigma > sweden.jitter_sigma  # fast but flakier; slower but steady


def test_client_sees_time_to_first_token_and_per_token_time() -> None:
    regions = [
        default_region("eastus2", KEY, latency_scale=1.0),
        default_region("swedencentral", KEY, latency_scale=1.0),
    ]
    with SimulatorThread(regions, seed=11) as sim:
        ttft = {}
        total = {}
        for region in ("eastus2", "swedencentral"):
            client = sdk(sim, region)
            chat(client, max_tokens=1)  # warm the connection
            started = time.monotonic()
            first = None
            for chunk in chat(client, stream=True):
                if first is None and chunk.choices and chunk.choices[0].delta.content:
                    first = time.monotonic() - started
            ttft[region] = first
            total[region] = time.monotonic() - started
    # medians 250 ms and 650 ms at scale 1 (0.5 left a 200 ms gap that scheduling noise on a loaded
    # machine can eat), then 11 more tokens at 10 ms and 22 ms
    assert ttft["eastus2"] is not None and ttft["swedencentral"] is not None
    assert ttft["eastus2"] < ttft["swedencentral"]
    assert 0.1 < ttft["eastus2"] < 1.5 and 0.3 < ttft["swedencentral"] < 2.5
    assert total["swedencentral"] - ttft["swedencentral"] > 0.12  # tokens are paced, not sent at once
