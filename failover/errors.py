"""`AllRegionsFailed`: raised when no region could serve a call within its deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .outcomes import Outcome

__all__ = ["AllRegionsFailed", "RegionFailure"]


@dataclass(frozen=True)
class RegionFailure:
    """A region's last failure, and how long until it may be tried again (0: now)."""

    region: str
    outcome: Outcome | None  # how its last attempt ended; None when its breaker kept this call away
    summary: str
    retry_in_s: float


class AllRegionsFailed(Exception):
    """Every region failed or was unavailable. `failures` maps region name -> RegionFailure."""

    def __init__(self, model: str, failures: Mapping[str, RegionFailure], waited_s: float) -> None:
        self.model = model
        self.failures = dict(failures)
        self.waited_s = waited_s
        parts = []
        for f in failures.values():
            when = "now" if f.retry_in_s <= 0 else f"in {f.retry_in_s:.1f} s"
            parts.append(f"{f.region}: {f.summary} (may be tried again {when})")
        super().__init__(f"all regions failed for model {model!r} after {waited_s:.2f} s: " + "; ".join(parts))
