"""The configured region priorities, for `look.region_order` on every page: read from the config
file the dashboard was started with (`aoai-watch dashboard --config`), none without one (regions
then go composite first, then by name)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .controls import CONFIG_ENV


def priorities() -> dict[str, int]:
    """Region name -> configured priority (1 first); {} without a config or with one that no
    longer loads (the page still draws, in name order)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return {}
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return {}
    return dict(_read(path, mtime))


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> tuple[tuple[str, int], ...]:  # keyed by mtime: an edited file is re-read
    from ..probes.config import load_config

    try:
        return tuple((r.name, r.priority) for r in load_config(path).regions)
    except (OSError, ValueError):  # ConfigError is a ValueError
        return ()
