"""What the failover client raises of its own: `AllRegionsFailed` when no region could serve a call
within its deadline, `StreamStalled` when a stream the caller already reads stops sending."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .outcomes import Outcome

__all__ = ["AllRegionsFailed", "RegionFailure", "StreamStalled"]


@dataclass(frozen=True)
class RegionFailure:
    """A region's last failure, and how long until it may be tried again (0: now)."""

    region: str
    outcome: Outcome | None  # how its last attempt ended; None when its breaker kept this call away
    summary: str
    retry_in_s: float


class AllRegionsFailed(Exception):
    """Every region failed or was unavailable. `failures` maps each target -> RegionFailure: a
    region's standard deployments under the region's name, a provisioned (PTU) deployment under
    `"<region>/<deployment>"`, as `breaker_states()` names them."""

    def __init__(self, model: str, failures: Mapping[str, RegionFailure], waited_s: float) -> None:
        self.model = model
        self.failures = dict(failures)
        self.waited_s = waited_s
        parts = []
        for key, f in failures.items():
            when = "now" if f.retry_in_s <= 0 else f"in {f.retry_in_s:.1f} s"
            parts.append(f"{key}: {f.summary} (may be tried again {when})")
        super().__init__(f"all regions failed for model {model!r} after {waited_s:.2f} s: " + "; ".join(parts))


class StreamStalled(TimeoutError):
    """A stream sent no event for longer than `stream_idle_timeout_s` (or its read timeout) after
    it had handed the caller its first output, or a realtime session's server went quiet. Before
    the first output a stall is a failed attempt that fails over instead (outcome `timeout`);
    after it, it is raised and counted the same way on the breaker of the target that served it.
    `gap_s` is how long the stream had been silent; the message names the region and the
    deployment, never a key."""

    def __init__(self, region: str, deployment: str, gap_s: float) -> None:
        self.region, self.deployment, self.gap_s = region, deployment, gap_s
        super().__init__(f"stream stalled: region {region} (deployment {deployment}) sent no event for {gap_s:.2f} s")
