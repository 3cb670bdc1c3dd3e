"""Config validation: a good file loads; each bad one names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover.config import ConfigError, RegionConfig, load_toml, parse_regions

EXAMPLE = Path(__file__).parents[2] / "data" / "aoai-watch.example.toml"

GOOD_REGION = """
[[regions]]
name = "eastus2"
endpoint = "https://contoso-eastus2.openai.azure.com/"
api_key_env = "AOAI_KEY_EASTUS2"
[regions.deployments]
gpt-4o = "my-gpt4"
"""


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "cfg.toml"
    path.write_text(text)
    return parse_regions(load_toml(path), path)


def test_example_config_loads_sorted_by_priority() -> None:
    regions = parse_regions(load_toml(EXAMPLE), EXAMPLE)
    assert [r.name for r in regions] == ["eastus2", "swedencentral"]
    assert regions[0].deployments["gpt-4o"] == "my-gpt4"
    assert regions[1].auth == "entra" and regions[1].api_key_env is None
    assert regions[0].base_url == "https://contoso-eastus2.openai.azure.com/openai/v1/"


def test_defaults_and_normalised_endpoint(tmp_path: Path) -> None:
    (region,) = load(tmp_path, GOOD_REGION)
    assert region.endpoint == "https://contoso-eastus2.openai.azure.com"
    assert region.priority == 1 and region.auth == "api-key"


def test_loopback_http_is_allowed(tmp_path: Path) -> None:
    (region,) = load(
        tmp_path, GOOD_REGION.replace("https://contoso-eastus2.openai.azure.com/", "http://127.0.0.1:18001")
    )
    assert region.endpoint == "http://127.0.0.1:18001" and region.is_loopback


BAD = {
    "plain http to a remote host": (
        ("https://contoso-eastus2.openai.azure.com/", "http://contoso.example.com"),
        "endpoint",
        "clear text",
    ),
    "endpoint with the v1 path": (
        ("openai.azure.com/", "openai.azure.com/openai/v1/"),
        "endpoint",
        "appends /openai/v1/",
    ),
    "ftp endpoint": (("https://", "ftp://"), "endpoint", "https://"),
    "literal key field": (
        ('api_key_env = "AOAI_KEY_EASTUS2"', 'api_key = "0123456789abcdef0123456789abcdef"'),
        "api_key",
        "environment variable",
    ),
    "key pasted into api_key_env": (
        ('"AOAI_KEY_EASTUS2"', '"8f2a9c1e4b7d6a3f0e5c8b1a9d2f4e6c"'),
        "api_key_env",
        "looks like a key",
    ),
    "bad env name": (('"AOAI_KEY_EASTUS2"', '"AOAI-KEY"'), "api_key_env", "not a valid environment variable"),
    "unknown auth": (("api_key_env", 'auth = "password"\napi_key_env'), "auth", '"api-key" or "entra"'),
    "priority zero": (("api_key_env", "priority = 0\napi_key_env"), "priority", ">= 1"),
    "unknown key": (("api_key_env", "timeout = 3\napi_key_env"), "timeout", "valid keys are"),
    "bad name": (('name = "eastus2"', 'name = "East US 2"'), "name", "lower-case"),
    "empty deployment": (('"my-gpt4"', '""'), "deployments.gpt-4o", "deployment name"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_bad_config_names_file_field_and_fix(tmp_path: Path, case: str) -> None:
    (old, new), field, fix = BAD[case]
    assert old in GOOD_REGION
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD_REGION.replace(old, new, 1))
    message = str(err.value)
    assert str(tmp_path / "cfg.toml") in message
    assert field in err.value.field
    assert fix in message


def test_entra_region_must_not_name_a_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='only used with auth = "api-key"'):
        load(tmp_path, GOOD_REGION.replace("api_key_env", 'auth = "entra"\napi_key_env'))


def test_duplicate_region_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="already used by regions\\[0\\]"):
        load(tmp_path, GOOD_REGION + GOOD_REGION)


def test_no_regions_and_missing_deployments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="add at least one \\[\\[regions\\]\\]"):
        load(tmp_path, 'database = "x.duckdb"\n')
    with pytest.raises(ConfigError, match=r"regions\.deployments"):
        load(tmp_path, GOOD_REGION.split("[regions.deployments]")[0])


def test_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML.*line 2"):
        load(tmp_path, "[[regions]]\nname = \n")
    with pytest.raises(ConfigError, match=r"no such file"):
        load_toml(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("http://aoai-loopback.internal:8080", "plain http:// is only allowed for loopback"),
        ("https://ex ample.com", "invalid host name"),
        ("https://contoso.openai.azure.com/openai/v1", "must not have a path"),
    ],
)
def test_a_region_built_in_code_obeys_the_same_endpoint_rule(endpoint: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RegionConfig("eastus2", endpoint, 1, "api-key", "K", {"gpt-4o": "gpt-4o"})
    for fine in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "https://contoso.openai.azure.com"):
        assert RegionConfig("eastus2", fine).endpoint == fine
