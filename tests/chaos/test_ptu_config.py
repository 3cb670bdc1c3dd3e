"""Provisioned deployments from a simulator config file and from `default_region`: the tier keys
(`sku`, `capacity_tpm`, `utilization_window_s`, `spillover`), `[regions.provisioned]` served as
PTU, and each bad value a ConfigError naming the file, the field and the fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos import wire
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.chaos.simulator.cli import regions_from_config
from aoai_watch.chaos.simulator.model import DEFAULT_CAPACITY_TPM, PROVISIONED_SKU
from aoai_watch.failover.config import ConfigError

from tests.chaos.chat_clients import client, user
from tests.conftest import KEY

REGION = """
[[regions]]
name = "eastus2"
endpoint = "http://127.0.0.1:{port}"
api_key_env = "SIM_A"
[regions.deployments]
gpt-4o = "gpt4o-paygo"
gpt-4o-mini = "mini"
[regions.provisioned]
gpt-4o = "gpt4o-ptu"
"""


def write(tmp_path: Path, simulator: str = "", port: int = 0) -> Path:
    path = tmp_path / "sim.toml"
    path.write_text(REGION.format(port=port or 1) + simulator)
    return path


def load(path: Path):  # type: ignore[no-untyped-def]
    return regions_from_config(path, 0.0, {"tpm": 1000}, environ={"SIM_A": KEY})


def test_regions_provisioned_are_served_as_ptu_with_the_config_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[simulator.deployments.eastus2.gpt4o-ptu]
capacity_tpm = 600
utilization_window_s = 1
spillover = "gpt4o-paygo"

[simulator.deployments.eastus2.mini]
sku = "provisioned"
""",
    )
    (spec,) = load(path)
    ptu, mini, paygo = spec.deployment("gpt4o-ptu"), spec.deployment("mini"), spec.deployment("gpt4o-paygo")
    assert ptu is not None and mini is not None and paygo is not None
    assert ptu.is_provisioned and ptu.sku == PROVISIONED_SKU
    assert (ptu.capacity_tpm, ptu.utilization_window_s, ptu.spillover) == (600, 1.0, "gpt4o-paygo")
    assert ptu.tpm == ptu.rpm == 0  # --tpm is a standard deployment's quota, not a PTU's
    assert mini.is_provisioned and mini.capacity_tpm == DEFAULT_CAPACITY_TPM and mini.spillover is None
    assert not paygo.is_provisioned and paygo.tpm == 1000


def test_a_config_ptu_saturates_and_spills_over_on_both_url_styles(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[simulator.deployments.eastus2.gpt4o-ptu]\ncapacity_tpm = 60\nspillover = "gpt4o-paygo"\n',
    )
    (spec,) = load(path)
    spec = dataclasses.replace(spec, port=0)  # any free port
    with SimulatorThread([spec], seed=1) as sim:
        for style in ("v1", "legacy"):
            sdk = client(sim, style)
            served = [
                sdk.chat.completions.with_raw_response.create(model="gpt4o-ptu", messages=user("hi"), max_tokens=20)
                for _ in range(3)
            ]
            by = [r.headers[wire.SERVED_BY_HEADER] for r in served]
            assert by[-1] == "gpt4o-paygo" and served[-1].headers[wire.spillover_from_header("gpt4o-ptu")]
            assert all(wire.UTILIZATION_HEADER in r.headers for r in served)


def test_default_region_can_have_a_provisioned_deployment() -> None:
    plain = default_region("eastus2", KEY)
    assert not any(d.is_provisioned for d in plain.deployments)  # the default demo is unchanged
    region = default_region("eastus2", KEY, latency_scale=0, provisioned=("gpt-4o",), capacity_tpm=60)
    ptu = region.deployment("gpt-4o-ptu")
    assert ptu is not None and ptu.is_provisioned and ptu.spillover == "gpt-4o" and ptu.capacity_tpm == 60
    with SimulatorThread([region]) as sim:
        sdk = client(sim, "v1")
        first = sdk.chat.completions.with_raw_response.create(model="gpt-4o-ptu", messages=user("hi"), max_tokens=20)
        assert first.headers[wire.SERVED_BY_HEADER] == "gpt-4o-ptu"
        spilled = [
            sdk.chat.completions.with_raw_response.create(model="gpt-4o-ptu", messages=user("hi"), max_tokens=20)
            for _ in range(3)
        ]
        assert spilled[-1].headers[wire.SERVED_BY_HEADER] == "gpt-4o"
    lone = default_region("eastus2", KEY, models=("gpt-4o-mini",), provisioned=("gpt-4o",))
    assert lone.deployment("gpt-4o-ptu").spillover is None  # type: ignore[union-attr]  # no standard gpt-4o


def test_the_ptu_429_reaches_the_sdk_as_a_rate_limit_error(tmp_path: Path) -> None:
    (spec,) = load(write(tmp_path, "[simulator.deployments.eastus2.gpt4o-ptu]\ncapacity_tpm = 60\n"))
    spec = dataclasses.replace(spec, port=0)
    with SimulatorThread([spec], seed=1) as sim, pytest.raises(openai.RateLimitError) as err:
        sdk = client(sim, "v1")
        for _ in range(5):
            sdk.chat.completions.create(model="gpt4o-ptu", messages=user("hi"), max_tokens=20)  # type: ignore[arg-type]
    assert int(err.value.response.headers[wire.RETRY_AFTER_MS_HEADER]) > 0


BAD = {
    "unknown sku": (
        '[simulator.deployments.eastus2.mini]\nsku = "ptu"',
        "simulator.deployments.eastus2.mini.sku",
        'must be "standard" or "provisioned"',
    ),
    "a [regions.provisioned] one called standard": (
        '[simulator.deployments.eastus2.gpt4o-ptu]\nsku = "standard"',
        "simulator.deployments.eastus2.gpt4o-ptu.sku",
        "is in [regions.provisioned]",
    ),
    "capacity on a standard deployment": (
        "[simulator.deployments.eastus2.mini]\ncapacity_tpm = 1000",
        "simulator.deployments.eastus2.mini.capacity_tpm",
        'add sku = "provisioned" or remove it',
    ),
    "capacity not a number": (
        '[simulator.deployments.eastus2.gpt4o-ptu]\ncapacity_tpm = "lots"',
        "simulator.deployments.eastus2.gpt4o-ptu.capacity_tpm",
        "whole number of tokens per minute",
    ),
    "capacity zero": (
        "[simulator.deployments.eastus2.gpt4o-ptu]\ncapacity_tpm = 0",
        "simulator.deployments.eastus2.gpt4o-ptu.capacity_tpm",
        "from 1 to",
    ),
    "window too long": (
        "[simulator.deployments.eastus2.gpt4o-ptu]\nutilization_window_s = 600",
        "simulator.deployments.eastus2.gpt4o-ptu.utilization_window_s",
        "at most 60",
    ),
    "spillover to nowhere": (
        '[simulator.deployments.eastus2.gpt4o-ptu]\nspillover = "gpt4o-other"',
        "simulator.deployments.eastus2.gpt4o-ptu.spillover",
        "no deployment 'gpt4o-other'; its standard deployments: gpt4o-paygo, mini",
    ),
    "spillover to another model": (
        '[simulator.deployments.eastus2.gpt4o-ptu]\nspillover = "mini"',
        "simulator.deployments.eastus2.gpt4o-ptu.spillover",
        "mini serves gpt-4o-mini, not gpt-4o",
    ),
    "spillover to a provisioned deployment": (
        '[simulator.deployments.eastus2.gpt4o-ptu]\nspillover = "gpt4o-paygo"\n'
        '[simulator.deployments.eastus2.gpt4o-paygo]\nsku = "provisioned"',
        "simulator.deployments.eastus2.gpt4o-ptu.spillover",
        "gpt4o-paygo is provisioned",
    ),
    "spillover not a name": (
        "[simulator.deployments.eastus2.gpt4o-ptu]\nspillover = 3",
        "simulator.deployments.eastus2.gpt4o-ptu.spillover",
        "must be the name of a standard deployment",
    ),
    "an unknown key lists the tier keys": (
        "[simulator.deployments.eastus2.gpt4o-ptu]\nptu = 15",
        "simulator.deployments.eastus2.gpt4o-ptu.ptu",
        "sku, capacity_tpm, utilization_window_s, spillover",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_tier_values_name_the_file_the_field_and_the_fix(tmp_path: Path, case: str) -> None:
    text, field, phrase = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load(path)
    assert err.value.field == field and phrase in err.value.problem, err.value.problem
    assert str(err.value).startswith(f"{path}: {field}: ")
    assert "Traceback" not in str(err.value)
