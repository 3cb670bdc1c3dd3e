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
