"""FailoverOptions: the documented defaults, replace(), and the config file's [failover] table."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover import ConfigError, FailoverOptions
from aoai_watch.failover.config import load_toml
from aoai_watch.failover.options import parse_failover_options


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
