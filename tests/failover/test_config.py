"""Config validation: a good file loads; each bad one names the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover.config import (
    DAY_S,
    ConfigError,
    RegionConfig,
    check_number,
    load_toml,
    number_problem,
    parse_regions,
    seconds_fields,
)

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


@pytest.mark.parametrize(
    "value, problem",
    [
        (float("nan"), "got nan, which is not a finite number"),
        (float("inf"), "got inf, which is not a finite number"),
        (float("-inf"), "got -inf, which is not a finite number"),
        (True, "got True"),
        ("30", "got '30'"),
        ([30], "got [30]"),
        (-1, "got -1"),
        (86_401, "got 86401"),
        (10**400, "got 1000"),  # an int too large for a float is still compared, and shown cut short
    ],
)
def test_number_problem_refuses_what_is_not_a_finite_number_in_range(value: object, problem: str) -> None:
    text = number_problem(value, 0.1, DAY_S, unit="seconds")
    assert text is not None and problem in text
    assert text.startswith("must be a number of seconds >= 0.1 and <= 86400 (a day; longer is a mistake)")
    assert len(text) < 200


def test_number_problem_bounds_and_whole_numbers() -> None:
    assert number_problem(0, 0, 1) is None and number_problem(1, 0, 1) is None
    assert "> 0 and < 1" in str(number_problem(0, 0, 1, above=True, below=True))
    assert number_problem(1, 0, 1, above=True, below=True) is not None
    assert number_problem(3.0, 1, 10, whole=True) is None
    assert "must be a whole number >= 1 and <= 10; got 3.5" in str(number_problem(3.5, 1, 10, whole=True))
    assert "(1 is first)" in str(number_problem(0, 1, 10, note="1 is first"))


def test_check_number_names_the_file_and_field(tmp_path: Path) -> None:
    assert check_number(2, "f.toml", "x.y_s", 0, 10) == 2.0 and isinstance(check_number(2, "f", "x", 0, 10), float)
    assert check_number(2.0, "f.toml", "x.n", 0, 10, whole=True) == 2
    with pytest.raises(ConfigError) as err:
        check_number(float("nan"), "f.toml", "probes.timeout_s", 0.1, DAY_S, unit="seconds")
    assert err.value.path == "f.toml" and err.value.field == "probes.timeout_s"
    assert str(err.value).startswith("f.toml: probes.timeout_s: must be a number of seconds >= 0.1")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "true", '"5"', "-1", "90000"])
def test_seconds_fields_refuse_nan_infinity_and_more_than_a_day(tmp_path: Path, value: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[probes]\ntimeout_s = {value}\n")
    with pytest.raises(ConfigError) as err:
        seconds_fields(load_toml(path)["probes"], "probes", {"timeout_s": 0.1}, path)
    assert err.value.field == "probes.timeout_s" and ">= 0.1 and <= 86400" in str(err.value)


def test_seconds_fields_keep_valid_values_as_floats(tmp_path: Path) -> None:
    assert seconds_fields({"a": 1, "b": 86_400, "c": 0.5}, "t", {"a": 0, "b": 1, "c": 0.1}, "f") == {
        "a": 1.0,
        "b": 86_400.0,
        "c": 0.5,
    }


@pytest.mark.parametrize("priority", ["nan", "inf", "1.5", "0", "true", "10_000_000"])
def test_priority_is_a_whole_number_in_range(tmp_path: Path, priority: str) -> None:
    with pytest.raises(ConfigError, match="priority: must be a whole number >= 1 and <= 1000000"):
        load(tmp_path, GOOD_REGION.replace('api_key_env = "', f'priority = {priority}\napi_key_env = "'))


@pytest.mark.parametrize(
    "text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 5000 + "1" + "}" * 5000, "a = [" * 5000]
)
def test_nesting_too_deep_to_parse_is_one_line_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_toml(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


PTU_REGION = (
    GOOD_REGION
    + """
[regions.provisioned]
gpt-4o = "gpt4o-ptu"
"gpt-4.1" = "gpt41-ptu"
"""
)


def test_provisioned_deployments_come_first_for_their_model(tmp_path: Path) -> None:
    (region,) = load(tmp_path, PTU_REGION)
    assert region.provisioned == {"gpt-4o": "gpt4o-ptu", "gpt-4.1": "gpt41-ptu"}
    assert region.tiers_for("gpt-4o") == [("provisioned", "gpt4o-ptu"), ("standard", "my-gpt4")]
    assert region.tiers_for("gpt-4.1") == [("provisioned", "gpt41-ptu")]  # PTU only
    assert region.tiers_for("o3") == []
    assert region.models == ["gpt-4o", "gpt-4.1"]


def test_a_region_without_provisioned_has_only_standard_tiers(tmp_path: Path) -> None:
    (region,) = load(tmp_path, GOOD_REGION)
    assert region.provisioned == {}
    assert region.tiers_for("gpt-4o") == [("standard", "my-gpt4")]


@pytest.mark.parametrize(
    ("table", "field", "problem"),
    [
        ('provisioned = "gpt4o-ptu"', "provisioned", r"must be a \[regions.provisioned\] table"),
        ('[regions.provisioned]\ngpt-4o = ""', "provisioned.gpt-4o", "non-empty string"),
        ('[regions.provisioned]\ngpt-4o = "my-gpt4"', "provisioned.gpt-4o", "also this model's standard deployment"),
    ],
)
def test_bad_provisioned_tables_name_the_field(tmp_path: Path, table: str, field: str, problem: str) -> None:
    # a plain key goes in the region's own table, before its [regions.deployments]
    inline = not table.startswith("[")
    text = GOOD_REGION.replace("[[regions]]\n", f"[[regions]]\n{table}\n") if inline else f"{GOOD_REGION}{table}\n"
    with pytest.raises(ConfigError, match=problem) as caught:
        load(tmp_path, text)
    assert caught.value.field == f"regions[0] (eastus2).{field}"
