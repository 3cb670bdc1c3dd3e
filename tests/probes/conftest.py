"""A config file pointing at the shared simulator, for the probe tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.config import AppConfig, load_config

ENV = {"PROBE_KEY": "probe-key-for-tests-7f3a9c"}  # what the simulator accepts (see sim_server below)


def write_config(
    sim: SimulatorThread, tmp_path: Path, extra: str = "", kinds: str | None = None, timeout_s: float = 3
) -> AppConfig:
    kinds = kinds or '["chat", "stream", "responses_chain", "realtime", "embeddings", "failover"]'
    text = f'database = "{tmp_path / "probes.duckdb"}"\n'
    for priority, name in enumerate(("eastus2", "swedencentral"), start=1):
        text += f'''
[[regions]]
name = "{name}"
endpoint = "{sim.urls[name]}"
priority = {priority}
api_key_env = "PROBE_KEY"
[regions.deployments]
gpt-4o = "gpt-4o"
text-embedding-3-small = "text-embedding-3-small"
gpt-realtime = "gpt-4o"
'''
    text += f'\n[probes]\nkinds = {kinds}\ntimeout_s = {timeout_s}\nprober = "test-prober"\n' + extra
    path = tmp_path / "aoai-watch.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture(scope="module")
def sim_server():  # type: ignore[no-untyped-def]
    from aoai_watch.chaos.simulator import default_region

    regions = [default_region(n, ENV["PROBE_KEY"], latency_scale=0) for n in ("eastus2", "swedencentral")]
    with SimulatorThread(regions, seed=4) as sim:
        yield sim
