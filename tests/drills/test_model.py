"""Drill files: the default suite loads; each bad file fails with the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.chaos.drills.model import DrillError, load_drill, load_drills

SUITE = Path(__file__).parents[2] / "data" / "drills"

GOOD = """
title = "t"
[load]
shape = "chat"
concurrency = 2
duration_s = 3
[[timeline]]
at_s = 1
fault = "http_error"
region = "eastus2"
params = { status = 503 }
duration_s = 1
[[expect]]
metric = "success_ratio"
min = 0.99
"""


def test_default_suite_loads() -> None:
    drills = load_drills([SUITE])
    assert len(drills) >= 10
    shapes = {d.load.shape for d in drills}
    assert {"chat", "stream", "responses", "realtime"} <= shapes
    faults = {s.fault for d in drills for s in d.timeline}
    assert {
        "http_error",
        "refuse",
        "black_hole",
        "rate_limit",
        "rbac_propagation",
        "state_loss",
        "latency",
        "error_format",
        "flapping",
        "ws_drop",
    } <= faults


BAD = {
    "no title": (('title = "t"', ""), "title", "required"),
    "unknown top key": (('title = "t"', 'title = "t"\nowner = "me"'), "owner", "unknown key"),
    "bad shape": (('shape = "chat"', 'shape = "sms"'), "load.shape", "one of chat, stream"),
    "both rate and concurrency": (("concurrency = 2", "concurrency = 2\nrate_per_s = 5"), "load", "exactly one"),
    "negative duration": (("duration_s = 3", "duration_s = -3"), "load.duration_s", ">= 0.1"),
    "fault after the load": (("at_s = 1", "at_s = 9"), "timeline[0].at_s", "after the load ends"),
    "unknown fault": (('fault = "http_error"', 'fault = "meteor"'), "timeline[0].fault", "known: black_hole"),
    "region not in drill": (('region = "eastus2"', 'region = "mars"'), "timeline[0].region", "eastus2, swedencentral"),
    "bad fault params": (
        ("params = { status = 503 }", "params = { status = 200 }"),
        "timeline[0].params",
        "between 400 and 599",
    ),
    "unknown metric": (
        ('metric = "success_ratio"', 'metric = "happiness"'),
        "expect[0].metric",
        "known: success_ratio",
    ),
    "wrong bound": (("min = 0.99", "max = 0.99"), "expect[0].max", "takes min, not max"),
    "ratio over one": (("min = 0.99", "min = 99"), "expect[0].min", "at most 1"),
    "unknown client option": (
        ("[[expect]]", "[client]\nread_timeout = 1\n[[expect]]"),
        "client.read_timeout",
        "unknown option",
    ),
    "fault at nan": (("at_s = 1", "at_s = nan"), "timeline[0].at_s", "got nan, which is not a finite number"),
    "load forever": (("duration_s = 3", "duration_s = inf"), "load.duration_s", "a day; longer is a mistake"),
    "fault forever": (("duration_s = 1", "duration_s = inf"), "timeline[0].duration_s", "got inf"),
    "min nan": (("min = 0.99", "min = nan"), "expect[0].min", "got nan"),
    "probability nan": (("duration_s = 1", "duration_s = 1\nprobability = nan"), "timeline[0].probability", "> 0"),
    "concurrency inf": (("concurrency = 2", "concurrency = inf"), "load.concurrency", "whole number >= 1"),
    "rate nan": (("concurrency = 2", "rate_per_s = nan"), "load.rate_per_s", "got nan"),
    "from_s inf": (("min = 0.99", "min = 0.99\nfrom_s = inf"), "expect[0].from_s", "got inf"),
    "fault not a name": (('fault = "http_error"', "fault = [1]"), "timeline[0].fault", "unknown fault"),
    "metric not a name": (('metric = "success_ratio"', "metric = { a = 1 }"), "expect[0].metric", "unknown metric"),
    "description a table": (('title = "t"', 'title = "t"\ndescription = { a = 1 }'), "description", "a string"),
    "client read timeout 0": (
        ("[[expect]]", "[client]\nread_timeout_s = 0\n[[expect]]"),
        "client.read_timeout_s",
        "number of seconds > 0",
    ),
    "client read timeout inf": (
        ("[[expect]]", "[client]\nread_timeout_s = inf\n[[expect]]"),
        "client.read_timeout_s",
        "got inf",
    ),
    "client breaker failures 0": (
        ("[[expect]]", "[client]\nbreaker_failures = 0\n[[expect]]"),
        "client.breaker_failures",
        "whole number >= 1",
    ),
    "client backoff max below base": (
        ("[[expect]]", "[client]\nbackoff_base_s = 1\nbackoff_max_s = 0.5\n[[expect]]"),
        "client.backoff_max_s",
        "must be >= backoff_base_s (1); got 0.5",
    ),
    "client backoff base above the default max": (
        ("[[expect]]", "[client]\nbackoff_base_s = 10\n[[expect]]"),
        "client.backoff_base_s",
        "backoff_max_s must be >= backoff_base_s (10); got 8",
    ),
    "simulator region not in drill": (
        ("[[expect]]", '[simulator]\nprovisioned = ["mars"]\n[[expect]]'),
        "simulator.provisioned",
        "the drill's regions (eastus2, swedencentral)",
    ),
    "simulator capacity 0": (
        ("[[expect]]", '[simulator]\nprovisioned = ["eastus2"]\ncapacity_tpm = 0\n[[expect]]'),
        "simulator.capacity_tpm",
        "whole number >= 1",
    ),
    "simulator spillover not a bool": (
        ("[[expect]]", '[simulator]\nspillover = "yes"\n[[expect]]'),
        "simulator.spillover",
        "true or false",
    ),
    "simulator unknown key": (
        ("[[expect]]", "[simulator]\nptu = 1\n[[expect]]"),
        "simulator.ptu",
        "valid keys are provisioned, capacity_tpm, spillover",
    ),
    "no expectations": (
        ('[[expect]]\nmetric = "success_ratio"\nmin = 0.99\n', ""),
        "expect",
        "cannot fail proves nothing",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_bad_drill_names_file_field_and_fix(tmp_path: Path, case: str) -> None:
    (old, new), field, fix = BAD[case]
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(DrillError) as err:
        load_drill(path)
    assert str(path) in str(err.value) and err.value.field == field and fix in str(err.value)
    assert "\n" not in str(err.value)


def test_client_options_load_as_given(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(GOOD.replace("[[expect]]", "[client]\nread_timeout_s = 1\nbreaker_failures = 2\n[[expect]]", 1))
    client = load_drill(path).client
    assert client == {"read_timeout_s": 1.0, "breaker_failures": 2} and isinstance(client["breaker_failures"], int)


@pytest.mark.parametrize(
    "content", [b'title = "\xff\xfe"\n', b"a = " + b"[" * 5000 + b"]" * 5000, b"a = " + b"{b = " * 5000]
)
def test_unreadable_bytes_and_deep_nesting_are_one_line_drill_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hostile.toml"
    path.write_bytes(content)
    with pytest.raises(DrillError) as err:
        load_drill(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


def test_syntax_error_and_missing_paths(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("title = \n")
    with pytest.raises(DrillError, match="not valid TOML"):
        load_drill(path)
    with pytest.raises(DrillError, match="no such file or folder"):
        load_drills([tmp_path / "absent"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DrillError, match=r"no \*\.toml drill files"):
        load_drills([empty])


def test_a_content_filter_step_loads_and_its_params_are_checked_at_load(tmp_path: Path) -> None:
    path = tmp_path / "filtered.toml"
    path.write_text(
        GOOD.replace('fault = "http_error"', 'fault = "content_filter"').replace(
            "params = { status = 503 }", 'params = { on = "prompt", category = "jailbreak" }'
        )
    )
    (step,) = load_drill(path).timeline
    assert (step.fault, step.params) == ("content_filter", {"on": "prompt", "category": "jailbreak"})
    path.write_text(path.read_text().replace('on = "prompt"', 'on = "completion"'))
    with pytest.raises(DrillError) as err:
        load_drill(path)
    assert err.value.field == "timeline[0].params" and 'only applies with on = "prompt"' in str(err.value)


def test_a_simulator_table_loads_and_defaults_to_no_ptu(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(GOOD)
    assert load_drill(path).simulator.provisioned == ()
    path.write_text(
        GOOD.replace("[[expect]]", '[simulator]\nprovisioned = ["eastus2"]\ncapacity_tpm = 6000\n[[expect]]')
    )
    setup = load_drill(path).simulator
    assert setup.provisioned == ("eastus2",) and setup.capacity_tpm == 6000 and setup.spillover is False
