"""`aoai-watch check-config` as a user runs it: every problem of a file at once, one line each on
stderr (one problem, one line), the nearest valid key for a typo, and on stdout a warning, with
exit 0, for a probe kind whose model no region deploys."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aoai_watch.failover.config import ConfigError, ConfigErrors
from aoai_watch.probes.config import load_config

from tests.conftest import AOAI, cli_env

EXAMPLE = (Path(__file__).parents[2] / "data" / "aoai-watch.example.toml").read_text()
REGION = (
    '[[regions]]\nname = "eastus2"\nendpoint = "https://x.openai.azure.com"\napi_key_env = "K"\n'
    '[regions.deployments]\ngpt-4o = "d"\ntext-embedding-3-small = "e"\n\n'
)


RID = (
    "/subscriptions/5f1c0d2e-0000-4000-8000-00000000a0a1/resourceGroups/g"
    "/providers/Microsoft.CognitiveServices/accounts/a"
)


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "aoai-watch.toml"
    path.write_text(text)
    return subprocess.run([AOAI, "check-config", str(path)], capture_output=True, text=True, timeout=60, env=cli_env())


# five independent mistakes, in five parts of the file: top level, regions, [probes], [slo], [failover]
FIVE = (
    'databse = "x.duckdb"\n'
    + REGION.replace("https://x.openai", "http://x.openai")
    + "[probes]\nevery_s = nan\n"
    + "[slo.availability]\ntarget = 99.9\n"
    + "[failover]\ndeadline_s = -1\n"
)


def test_every_problem_in_the_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    result = check(tmp_path, FIVE)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    fields = [
        "databse",
        "regions[0] (eastus2).endpoint",
        "probes.every_s",
        "slo.availability.target",
        "failover.deadline_s",
    ]
    assert len(lines) == 5, result.stderr
    for line, field in zip(lines, fields, strict=True):  # in the order of the file's parts
        assert line.startswith(f"aoai-watch check-config: {tmp_path / 'aoai-watch.toml'}: {field}"), line


def test_one_problem_is_exactly_one_line(tmp_path: Path) -> None:
    result = check(tmp_path, REGION + "[probes]\nevery_s = nan\n")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "probes.every_s" in result.stderr


@pytest.mark.parametrize(
    "text, field, meant",
    [
        ('databse = "x.duckdb"\n' + REGION, "databse", "database"),
        (REGION.replace("api_key_env", "api_key_evn"), "regions[0] (eastus2).api_key_evn", "api_key_env"),
        (REGION + "[probes]\ntimout_s = 5\n", "probes.timout_s", "timeout_s"),
        (REGION + "[failover]\ndeadlin_s = 5\n", "failover.deadlin_s", "deadline_s"),
        (REGION + "[slo.latency]\nthreshold = 3\n", "slo.latency.threshold", "threshold_s"),
        (REGION + '[probes]\nkinds = ["chta"]\n', "probes.kinds", "chat"),
        (REGION + f'[monitor.regions.eastus22]\nresource_id = "{RID}"\n', "monitor.regions.eastus22", "eastus2"),
    ],
)
def test_a_typo_gets_the_nearest_valid_key(tmp_path: Path, text: str, field: str, meant: str) -> None:
    result = check(tmp_path, text)
    (line,) = result.stderr.splitlines()  # a misspelt required key is one mistake: one line
    assert f": {field}: " in line and f"(did you mean {meant}?)" in line, line


def test_a_word_far_from_every_key_gets_no_guess(tmp_path: Path) -> None:
    (line,) = check(tmp_path, REGION + "[probes]\nzzz = 1\n").stderr.splitlines()
    assert "probes.zzz: unknown key; valid keys are" in line and "did you mean" not in line


def test_a_kind_whose_model_no_region_deploys_is_a_warning_on_stdout(tmp_path: Path) -> None:
    result = check(tmp_path, REGION + '[probes]\nkinds = ["chat", "realtime"]\n')
    assert result.returncode == 0 and result.stderr == "", result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, result.stdout
    assert "realtime probes model 'gpt-realtime' (probes.realtime_model), which no region deploys" in warnings[0]


def test_no_warning_when_every_kind_has_a_region(tmp_path: Path) -> None:
    result = check(tmp_path, REGION + '[probes]\nkinds = ["chat", "embeddings", "failover"]\n')
    assert result.returncode == 0 and "warning:" not in result.stdout
    example = check(tmp_path, EXAMPLE)
    assert example.returncode == 0 and "warning:" not in example.stdout


def test_warnings_are_not_printed_while_there_are_errors(tmp_path: Path) -> None:
    result = check(tmp_path, REGION + '[probes]\nkinds = ["chat", "realtime"]\nevery_s = 0\n')
    assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1


def test_a_mistake_in_one_region_does_not_echo_in_the_monitor_table(tmp_path: Path) -> None:
    """A region that did not load is not looked up by [monitor.regions.<name>]: one mistake, one line."""
    text = REGION.replace('name = "eastus2"', "name = 7") + f'[monitor.regions.eastus2]\nresource_id = "{RID}"\n'
    result = check(tmp_path, text)
    assert len(result.stderr.splitlines()) == 1 and "regions[0].name" in result.stderr, result.stderr


def test_load_config_raises_all_problems_for_the_other_commands(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(FIVE)
    with pytest.raises(ConfigErrors) as err:
        load_config(path)
    assert len(err.value.errors) == 5 and all(isinstance(e, ConfigError) for e in err.value.errors)
    assert err.value.field == "databse"  # the first, for code that reads one
    path.write_text(REGION + "[probes]\nevery_s = nan\n")
    with pytest.raises(ConfigError) as one:
        load_config(path)
    assert not isinstance(one.value, ConfigErrors) and one.value.field == "probes.every_s"


def test_probe_prints_every_problem_too(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(FIVE)
    result = subprocess.run(
        [AOAI, "probe", "--config", str(path)], capture_output=True, text=True, timeout=60, env=cli_env()
    )
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 5
    assert all(line.startswith("aoai-watch probe: ") for line in result.stderr.splitlines())
