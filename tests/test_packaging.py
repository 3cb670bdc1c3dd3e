"""The installed layout: every folder is a subpackage of aoai_watch, and the public names import."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_source_folder_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for top in ("failover", "probes", "chaos", "app", "alerts"):
        # a source folder is one holding Python files (chaos/drills has no __init__.py: a namespace package)
        folders = sorted({path.parent for path in (ROOT / top).rglob("*.py") if "__pycache__" not in path.parts})
        assert folders, f"{top}/ holds no Python files: is ROOT ({ROOT}) the repository?"
        for folder in folders:
            dotted = "aoai_watch." + ".".join(folder.relative_to(ROOT).parts)
            found.add(dotted)
            assert dotted in listed, f"{dotted} is missing from [tool.setuptools] packages"
            assert config["package-dir"].get(dotted) == str(folder.relative_to(ROOT)), (
                f"{dotted} maps to {config['package-dir'].get(dotted)!r} in [tool.setuptools] package-dir"
            )
    assert listed <= found, f"listed packages without a folder: {sorted(listed - found)}"


def test_public_names_import_under_the_namespace() -> None:
    import importlib

    from aoai_watch.chaos.faults import REGISTRY

    assert {"http_error", "refuse", "reset", "black_hole", "rate_limit", "latency", "rbac_propagation"} <= set(REGISTRY)
    public = {
        "aoai_watch.chaos.simulator": ["SimulatorThread", "default_region", "mint_token"],
        "aoai_watch.failover.config": ["ConfigError", "RegionConfig", "parse_regions"],
        "aoai_watch.alerts": ["Condition", "Notification", "RunReport", "evaluate"],
    }
    for module_name, names in public.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert name in getattr(module, "__all__", ()), f"{module_name}.__all__ does not list {name}"
            assert callable(getattr(module, name, None)), f"{module_name}.{name} is missing or not callable"


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
            "StreamStalled",
            "TokenEstimateWarning",
            "count_tokens",
            "trim_to_budget",
        ]
    )
    missing = [name for name in failover.__all__ if not hasattr(failover, name)]
    assert missing == [], f"aoai_watch.failover.__all__ lists names it does not define: {missing}"


def test_failover_imports_nothing_else_of_aoai_watch() -> None:
    import ast

    paths = list((ROOT / "failover").rglob("*.py"))
    assert len(paths) > 5, f"found only {paths} under {ROOT / 'failover'}"
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                raise AssertionError(f"{path} imports from outside failover/: {ast.dump(node)}")
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                outside = [n for n in names if n.startswith("aoai_watch.") and not n.startswith("aoai_watch.failover")]
                assert outside == [], f"{path}:{node.lineno} imports {outside} from outside failover/"
