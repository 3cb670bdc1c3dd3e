"""Regions on distinct loopback addresses sharing one port: from `on_loopback_addresses` and from a
config file's endpoints, answering as different regions over real sockets; two regions on one
address are a ConfigError."""

from __future__ import annotations

import socket
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region, on_loopback_addresses
from aoai_watch.chaos.simulator.cli import regions_from_config
from aoai_watch.chaos.simulator.loopback import bind_host, free_port_on_all
from aoai_watch.failover.config import ConfigError

from tests.conftest import KEY


def _served_by(base_url: str) -> str:
    sdk = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=20)
    raw = sdk.chat.completions.with_raw_response.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert raw.status_code == 200
    return raw.headers["x-ms-region"]


def test_two_regions_on_127_0_0_2_and_3_share_a_port_and_answer_as_themselves() -> None:
    regions = on_loopback_addresses(
        [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    )
    assert [(r.host, r.port) for r in regions] == [("127.0.0.2", regions[0].port), ("127.0.0.3", regions[0].port)]
    with SimulatorThread(regions) as sim:
        urls = sim.urls
        port = regions[0].port
        assert urls == {"eastus2": f"http://127.0.0.2:{port}", "swedencentral": f"http://127.0.0.3:{port}"}
        assert _served_by(sim.base_url("eastus2")) == "East US 2"
        assert _served_by(sim.base_url("swedencentral")) == "Sweden Central"
        with pytest.raises(openai.APIConnectionError):  # nothing listens on 127.0.0.1 at that port
            _served_by(f"http://127.0.0.1:{port}/openai/v1/")


def _free_port(hosts: list[str]) -> int:
    with socket.socket() as probe:
        probe.bind((hosts[0], 0))
        return int(probe.getsockname()[1])


CONFIG = """
[[regions]]
name = "eastus2"
endpoint = "http://{a}:{port}"
api_key_env = "SIM_A"
[regions.deployments]
gpt-4o = "gpt-4o"

[[regions]]
name = "swedencentral"
endpoint = "http://{b}:{port}"
api_key_env = "SIM_A"
priority = 2
[regions.deployments]
gpt-4o = "gpt-4o"
"""


def test_config_endpoints_on_distinct_loopback_addresses_share_a_port(tmp_path: Path) -> None:
    port = _free_port(["127.0.0.4"])
    path = tmp_path / "sim.toml"
    path.write_text(CONFIG.format(a="127.0.0.4", b="127.0.0.5", port=port))
    regions = regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})
    assert [(r.host, r.port) for r in regions] == [("127.0.0.4", port), ("127.0.0.5", port)]
    with SimulatorThread(regions):
        assert _served_by(f"http://127.0.0.4:{port}/openai/v1/") == "East US 2"
        assert _served_by(f"http://127.0.0.5:{port}/openai/v1/") == "Sweden Central"


def test_two_regions_on_one_address_are_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(CONFIG.format(a="127.0.0.2", b="127.0.0.2", port=8100))
    with pytest.raises(ConfigError) as err:
        regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})
    assert err.value.field == "regions (swedencentral).endpoint"
    assert "eastus2 already listens on 127.0.0.2:8100" in err.value.problem
    assert "http://127.0.0.3:PORT" in err.value.problem
    path.write_text(CONFIG.format(a="127.0.0.1", b="localhost", port=8100))  # localhost is 127.0.0.1
    with pytest.raises(ConfigError, match=r"eastus2 already listens on 127\.0\.0\.1:8100"):
        regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})


def test_bind_host_keeps_ipv4_loopback_addresses_only() -> None:
    assert bind_host("127.0.0.9") == "127.0.0.9"
    assert bind_host("localhost") is None and bind_host("::1") is None and bind_host("10.0.0.1") is None


def test_free_port_on_all_gives_a_port_both_addresses_can_bind() -> None:
    port = free_port_on_all(["127.0.0.2", "127.0.0.3"])
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.2", port))
        second.bind(("127.0.0.3", port))


@pytest.mark.parametrize("ptu", [False, True])
def test_the_failover_bench_config_serves_both_regions_on_one_port_with_the_ptu_first(
    tmp_path: Path, ptu: bool
) -> None:
    from bench.failover import PAYGO, PTU, simulator_config

    path = tmp_path / "sim.toml"
    simulator_config(path, free_port_on_all(["127.0.0.2", "127.0.0.3"]), ptu)
    specs = {s.name: s for s in regions_from_config(path, 0, {}, environ={"AOAI_SIM_KEY": KEY})}
    assert [(s.host, s.port) for s in specs.values()] == [
        ("127.0.0.2", specs["eastus2"].port),
        ("127.0.0.3", specs["eastus2"].port),
    ]
    east = {d.name: d for d in specs["eastus2"].deployments}
    if ptu:
        assert set(east) == {PTU, PAYGO} and east[PTU].is_provisioned and not east[PAYGO].is_provisioned
    else:
        assert set(east) == {"gpt-4o"} and not east["gpt-4o"].is_provisioned
