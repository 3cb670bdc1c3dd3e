"""FailoverOptions: the documented defaults, replace(), and the config file's [failover] table."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover import ConfigError, FailoverOptions
from aoai_watch.failover.config import load_toml
from aoai_watch.failover.options import InvalidOption, parse_failover_options


def test_option_defaults_match_the_documented_ones() -> None:
    o = FailoverOptions()
    assert (
        o.connect_timeout_s,
        o.read_timeout_s,
        o.deadline_s,
        o.breaker_failures,
        o.breaker_open_s,
        o.max_retry_after_s,
        o.backoff_base_s,
        o.backoff_max_s,
        o.hedge_after_s,
    ) == (5, 30, 60, 3, 30, 300, 0.5, 8, None)
    assert o.replace(deadline_s=2.5).deadline_s == 2.5
    with pytest.raises(TypeError, match="unknown failover option"):
        o.replace(dead_line=1)
    with pytest.raises(ValueError, match="breaker_failures"):
        o.replace(breaker_failures=0)


def test_failover_table_in_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[failover]\ndeadline_s = 12\nhedge_after_s = 1.5\n")
    options = parse_failover_options(load_toml(path), path)
    assert options.deadline_s == 12 and options.hedge_after_s == 1.5
    path.write_text('[failover]\nread_timeout_s = "long"\n')
    with pytest.raises(ConfigError, match=r"failover\.read_timeout_s"):
        parse_failover_options(load_toml(path), path)


@pytest.mark.parametrize(
    "option, value",
    [
        ("read_timeout_s", float("inf")),
        ("deadline_s", float("nan")),
        ("connect_timeout_s", 86_401),
        ("breaker_failures", float("inf")),  # was an OverflowError from int(inf)
        ("breaker_failures", 0),
        ("breaker_failure_ratio", float("nan")),
        ("conversations_kept", 10**30),
        ("hedge_after_s", float("inf")),
        ("backoff_base_s", -0.1),
    ],
)
def test_options_in_code_refuse_non_finite_and_out_of_range(option: str, value: float) -> None:
    with pytest.raises(InvalidOption) as err:
        FailoverOptions().replace(**{option: value})
    assert err.value.options[0] == option and str(err.value).startswith(f"{option} must be")


def test_options_keep_valid_values_as_given() -> None:
    o = FailoverOptions().replace(read_timeout_s=86_400, backoff_base_s=0, breaker_failure_ratio=1, hedge_after_s=2)
    assert (o.read_timeout_s, o.backoff_base_s, o.breaker_failure_ratio, o.hedge_after_s) == (86_400, 0, 1, 2)


@pytest.mark.parametrize(
    "table, field, fix",
    [
        ("read_timeout_s = inf", "failover.read_timeout_s", "<= 86400 (a day; longer is a mistake); got inf"),
        ("breaker_failures = inf", "failover.breaker_failures", "whole number >= 1"),
        ("deadline_s = nan", "failover.deadline_s", "got nan"),
        ("backoff_base_s = 10", "failover.backoff_base_s", "backoff_max_s must be >= backoff_base_s (10); got 8"),
        ("backoff_max_s = 0.1", "failover.backoff_max_s", "must be >= backoff_base_s (0.5); got 0.1"),
    ],
)
def test_failover_table_errors_name_the_option_the_file_gave(tmp_path: Path, table: str, field: str, fix: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[failover]\n{table}\n")
    with pytest.raises(ConfigError) as err:
        parse_failover_options(load_toml(path), path)
    assert err.value.field == field and fix in str(err.value) and str(path) in str(err.value)
