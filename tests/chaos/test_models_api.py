"""The models endpoints over real sockets: the v1 list and retrieve with the real openai SDK, the
dated list and retrieve with Azure's lifecycle fields (AzureOpenAI and raw GETs), their 404s, and
lifecycle dates set per deployment in a simulator config file, with its validation errors."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.chaos.simulator.cli import regions_from_config
from aoai_watch.chaos.simulator.lifecycle import DEFAULT_LIFECYCLES, epoch_s
from aoai_watch.failover.config import ConfigError

from tests.conftest import AOAI, KEY, cli_env

SERVED = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"]
CAPABILITIES = {"chat_completion", "completion", "embeddings", "fine_tune", "inference"}


def dated_get(sim: SimulatorThread, path: str, query: str = "?api-version=2024-10-21") -> httpx2.Response:
    return httpx2.get(f"{sim.urls['eastus2']}/openai/{path}{query}", headers={"api-key": KEY}, timeout=5)


def test_v1_list_and_retrieve_every_listed_id(sim: SimulatorThread) -> None:
    client = openai.OpenAI(base_url=sim.base_url("eastus2"), api_key=KEY, max_retries=0)
    listed = list(client.models.list())
    assert [m.id for m in listed] == SERVED
    for model in listed:
        got = client.models.retrieve(model.id)
        assert got == model and got.object == "model" and got.owned_by == "system"
        assert got.created == epoch_s(DEFAULT_LIFECYCLES[model.id].created_at)


def test_v1_retrieve_of_an_unknown_id_is_a_404_in_openais_shape(sim: SimulatorThread) -> None:
    client = openai.OpenAI(base_url=sim.base_url("eastus2"), api_key=KEY, max_retries=0)
    with pytest.raises(openai.NotFoundError) as err:
        client.models.retrieve("gpt-4o")  # a model name, not a served version
    assert err.value.code == "model_not_found" and err.value.param == "model"
    assert err.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=sim.base_url("eastus2"), api_key="wrong", max_retries=0).models.retrieve(SERVED[0])


def assert_azure_model(model: dict[str, Any]) -> None:
    """The authoring spec's `Model` (2024-10-21): required capabilities, deprecation (with
    inference), lifecycle_status; its other fields typed as the spec types them."""
    assert model["object"] == "model" and model["status"] == "succeeded"
    assert set(model["capabilities"]) == CAPABILITIES and all(
        isinstance(v, bool) for v in model["capabilities"].values()
    )
    assert model["lifecycle_status"] in ("preview", "generally-available")
    assert set(model["deprecation"]) <= {"fine_tune", "inference"} and isinstance(
        model["deprecation"]["inference"], int
    )
    assert isinstance(model["created_at"], int) and model["created_at"] < model["deprecation"]["inference"]
    assert ("fine_tune" in model["deprecation"]) == model["capabilities"]["fine_tune"]


def test_dated_list_and_retrieve_carry_azures_lifecycle_fields(sim: SimulatorThread) -> None:
    listed = dated_get(sim, "models")
    assert listed.status_code == 200 and listed.headers["apim-request-id"]
    body = listed.json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == SERVED
    for model in body["data"]:
        assert_azure_model(model)
        assert dated_get(sim, f"models/{model['id']}").json() == model
    gpt4o, _, embedding = body["data"]
    assert gpt4o["capabilities"] == {
        "chat_completion": True,
        "completion": False,
        "embeddings": False,
        "fine_tune": True,
        "inference": True,
    }
    # the published retirement table: gpt-4o 2024-08-06 retires 2026-03-31, training with it
    assert gpt4o["deprecation"] == {"fine_tune": 1774915200, "inference": 1774915200}
    assert gpt4o["lifecycle_status"] == "generally-available" and gpt4o["created_at"] == 1722902400
    assert embedding["capabilities"]["embeddings"] and not embedding["capabilities"]["chat_completion"]
    assert "fine_tune" not in embedding["deprecation"]


def test_the_azure_client_reads_the_dated_models(sim: SimulatorThread) -> None:
    azure = openai.AzureOpenAI(azure_endpoint=sim.urls["eastus2"], api_key=KEY, api_version="2024-10-21", max_retries=0)
    assert [m.id for m in azure.models.list()] == SERVED
    model = azure.models.retrieve("gpt-4o-mini-2024-07-18")
    assert model.model_extra and model.model_extra["lifecycle_status"] == "generally-available"
    assert model.model_extra["deprecation"]["inference"] == epoch_s(dt.date(2026, 3, 31))
    with pytest.raises(openai.NotFoundError) as err:
        azure.models.retrieve("davinci")
    assert err.value.code == "notFound" and "davinci" in err.value.message


def test_dated_paths_without_api_version_are_azures_404(sim: SimulatorThread) -> None:
    for path in ("models", f"models/{SERVED[0]}"):
        response = dated_get(sim, path, query="")
        assert response.status_code == 404 and response.json() == {
            "error": {"code": "404", "message": "Resource not found"}
        }
    assert (
        httpx2.post(f"{sim.urls['eastus2']}/openai/models?api-version=2024-10-21", headers={"api-key": KEY}).status_code
        == 405
    )


def free_ports(n: int) -> list[int]:
    ports = []
    for _ in range(n):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    return ports


REGIONS = """
[[regions]]
name = "eastus2"
endpoint = "http://127.0.0.1:{port}"
api_key_env = "SIM_A"
[regions.deployments]
gpt-4o = "my-gpt4"
gpt-4o-mini = "my-mini"
text-embedding-3-small = "embed"
"""


def write(tmp_path: Path, simulator: str, port: int = 1) -> Path:
    path = tmp_path / "sim.toml"
    path.write_text(simulator + "\n" + REGIONS.format(port=port))  # first: a bare key there is top-level
    return path


def test_lifecycle_set_per_deployment_in_the_config_is_what_the_models_api_reports(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    retiring = dt.date.today() + dt.timedelta(days=10)
    config = write(
        tmp_path,
        f"""
[simulator.deployments.eastus2.my-gpt4]
lifecycle_status = "preview"
deprecation_inference = {retiring.isoformat()}
deprecation_fine_tune = "2026-01-15"

[simulator.deployments.eastus2.embed]
created_at = 2024-02-01
""",
        port,
    )
    (spec,) = regions_from_config(config, 0.0, {}, environ={"SIM_A": KEY})
    with SimulatorThread([spec]) as sim:
        models = {m["id"]: m for m in dated_get(sim, "models").json()["data"]}
        gpt4o = models["gpt-4o-2024-08-06"]
        assert gpt4o["lifecycle_status"] == "preview"
        assert gpt4o["deprecation"] == {"fine_tune": epoch_s(dt.date(2026, 1, 15)), "inference": epoch_s(retiring)}
        assert gpt4o["created_at"] == 1722902400  # not set: the model's default
        assert models["text-embedding-3-small"]["created_at"] == epoch_s(dt.date(2024, 2, 1))
        assert models["gpt-4o-mini-2024-07-18"] == dated_get(sim, "models/gpt-4o-mini-2024-07-18").json()
        assert models["gpt-4o-mini-2024-07-18"]["deprecation"]["inference"] == epoch_s(dt.date(2026, 3, 31))
        v1 = openai.OpenAI(base_url=sim.base_url("eastus2"), api_key=KEY, max_retries=0)
        assert v1.models.retrieve("text-embedding-3-small").created == epoch_s(dt.date(2024, 2, 1))


BAD = {
    "not a table": ('simulator = "x"', "simulator", "must be a table"),
    "unknown section": ("[simulator.regions]", "simulator.regions", "valid keys are deployments"),
    "unknown region": ("[simulator.deployments.westus3.my-gpt4]", "simulator.deployments.westus3", "regions: eastus2"),
    "unknown deployment": (
        "[simulator.deployments.eastus2.gpt-4o]",
        "simulator.deployments.eastus2.gpt-4o",
        "no deployment 'gpt-4o' (the names of [regions.deployments] and [regions.provisioned]: "
        "my-gpt4, my-mini, embed)",
    ),
    "unknown key": (
        "[simulator.deployments.eastus2.my-gpt4]\nretirement = 2027-01-01",
        "simulator.deployments.eastus2.my-gpt4.retirement",
        "valid keys are lifecycle_status, created_at, deprecation_inference, deprecation_fine_tune",
    ),
    "bad status": (
        '[simulator.deployments.eastus2.my-gpt4]\nlifecycle_status = "deprecated"',
        "simulator.deployments.eastus2.my-gpt4.lifecycle_status",
        'must be "generally-available" or "preview"',
    ),
    "not a date": (
        '[simulator.deployments.eastus2.my-gpt4]\ndeprecation_inference = "next year"',
        "simulator.deployments.eastus2.my-gpt4.deprecation_inference",
        "must be a date such as 2026-10-14 (YYYY-MM-DD); got 'next year'",
    ),
    "a number of days": (
        "[simulator.deployments.eastus2.my-gpt4]\ndeprecation_fine_tune = 30",
        "simulator.deployments.eastus2.my-gpt4.deprecation_fine_tune",
        "must be a date",
    ),
    "a date-time": (
        "[simulator.deployments.eastus2.my-gpt4]\ndeprecation_inference = 2027-01-01T10:00:00Z",
        "simulator.deployments.eastus2.my-gpt4.deprecation_inference",
        "a day without a time, e.g. 2027-01-01",
    ),
    "retired before released": (
        "[simulator.deployments.eastus2.my-gpt4]\ndeprecation_inference = 2024-01-01",
        "simulator.deployments.eastus2.my-gpt4.deprecation_inference",
        "is not after created_at 2024-08-06",
    ),
    "a deployment not a table": (
        "[simulator.deployments.eastus2]\nmy-gpt4 = 1",
        "simulator.deployments.eastus2",
        "must be tables",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_simulator_tables_name_the_file_the_field_and_the_fix(tmp_path: Path, case: str) -> None:
    text, field, phrase = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})
    assert err.value.field == field and phrase in err.value.problem
    assert str(err.value).startswith(f"{path}: {field}: ")


def test_two_deployments_of_one_model_version_must_agree(tmp_path: Path) -> None:
    # code may ask for the alias and the dated name; both deployments serve gpt-4o-2024-08-06
    regions = REGIONS.format(port=1).replace('gpt-4o = "my-gpt4"', 'gpt-4o = "my-gpt4"\ngpt-4o-2024-08-06 = "pinned"')
    one = '[simulator.deployments.eastus2.my-gpt4]\nlifecycle_status = "preview"\n'
    path = tmp_path / "sim.toml"
    path.write_text(regions + one)
    with pytest.raises(ConfigError) as err:
        regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})
    assert err.value.field == "simulator.deployments.eastus2.pinned"
    assert "my-gpt4 and pinned both serve gpt-4o-2024-08-06" in err.value.problem
    path.write_text(regions + one + one.replace("my-gpt4", "pinned"))
    (spec,) = regions_from_config(path, 0.0, {}, environ={"SIM_A": KEY})
    assert {d.model_lifecycle.lifecycle_status for d in spec.deployments if d.model == "gpt-4o"} == {"preview"}


def test_simulate_refuses_a_bad_simulator_table_and_check_config_accepts_a_good_one(tmp_path: Path) -> None:
    bad = write(tmp_path, "[simulator.deployments.eastus2.nope]\n")
    result = subprocess.run(
        [AOAI, "simulate", "--config", str(bad)], capture_output=True, text=True, timeout=60, env=cli_env(SIM_A="k")
    )
    assert result.returncode == 2 and "simulator.deployments.eastus2.nope" in result.stderr
    assert "Traceback" not in result.stderr
    good = write(tmp_path, "[simulator.deployments.eastus2.my-gpt4]\ndeprecation_inference = 2027-01-31\n")
    result = subprocess.run(
        [AOAI, "check-config", str(good)], capture_output=True, text=True, timeout=60, env=cli_env()
    )
    assert result.returncode == 0, result.stderr  # the probes read the same file and ignore [simulator]


def test_default_region_reports_the_published_defaults() -> None:
    spec = default_region("eastus2", KEY)
    for deployment in spec.deployments:
        assert (
            deployment.lifecycle is None and deployment.model_lifecycle == DEFAULT_LIFECYCLES[deployment.model_version]
        )
