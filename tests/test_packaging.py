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


def test_failover_public_surface_is_pinned() -> None:
    import aoai_watch.failover as failover

    assert sorted(failover.__all__) == sorted(
        [
            "AllRegionsFailed",
            "AsyncFailoverClient",
            "AttemptEvent",
            "BreakerEvent",
            "BreakerState",
            "ConfigError",
            "Event",
            "FailoverClient",
            "FailoverOptions",
            "RealtimeSession",
            "RegionConfig",
            "RegionFailure",
            "TokenEstimateWarning",
            "count_tokens",
            "trim_to_budget",
        ]
    )
    assert all(hasattr(failover, name) for name in failover.__all__)


def test_failover_imports_nothing_else_of_aoai_watch() -> None:
    import ast

    for path in (ROOT / "failover").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                raise AssertionError(f"{path} imports from outside failover/: {ast.dump(node)}")
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(n.startswith("aoai_watch.") and not n.startswith("aoai_watch.failover") for n in names)
