"""The installed layout: every folder is a subpackage of aoai_watch, and the public names import."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_source_folder_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for top in ("failover", "probes", "chaos", "app"):
        for init in (ROOT / top).rglob("__init__.py"):
            dotted = "aoai_watch." + ".".join(init.parent.relative_to(ROOT).parts)
            assert dotted in listed, f"{dotted} is missing from [tool.setuptools] packages"
            assert config["package-dir"][dotted] == str(init.parent.relative_to(ROOT))


def test_public_names_import_under_the_namespace() -> None:
    from aoai_watch.chaos.faults import REGISTRY
    from aoai_watch.chaos.simulator import SimulatorThread, default_region, mint_token
    from aoai_watch.failover.config import ConfigError, RegionConfig, parse_regions

    assert {"http_error", "refuse", "reset", "black_hole", "rate_limit", "latency", "rbac_propagation"} <= set(REGISTRY)
    assert all([SimulatorThread, default_region, mint_token, ConfigError, RegionConfig, parse_regions])
