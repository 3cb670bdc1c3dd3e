"""Which simulated deployments are provisioned (PTU), and how: the tier keys of the config's
`[simulator.deployments.<region>.<deployment>]` tables.

    sku = "provisioned"             # or "standard" (the default); a [regions.provisioned]
                                    # deployment is provisioned without saying so
    capacity_tpm = 30000            # the tokens per minute the PTU deployment serves
    utilization_window_s = 5        # the burst it absorbs: seconds of capacity (ptu.py)
    spillover = "gpt4o-paygo"       # Azure's spilloverDeploymentName: a standard deployment of
                                    # the same region and model that serves the overage

`lifecycle.parse_overrides` checks the tables' shape and owns the lifecycle keys; this module
reads only `TIER_KEYS`. Every problem is a `ConfigError` naming the file, the field and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...failover.config import ConfigError, RegionConfig
from .model import DEFAULT_CAPACITY_TPM, DEFAULT_UTILIZATION_WINDOW_S

TIER_KEYS = ("sku", "capacity_tpm", "utilization_window_s", "spillover")
SKUS = ("standard", "provisioned")
MAX_CAPACITY_TPM = 100_000_000
MAX_WINDOW_S = 60.0


@dataclass(frozen=True)
class Tier:
    """How one deployment is served: provisioned or not, and a provisioned one's settings."""

    provisioned: bool = False
    capacity_tpm: int = DEFAULT_CAPACITY_TPM
    utilization_window_s: float = DEFAULT_UTILIZATION_WINDOW_S
    spillover: str | None = None


def parse_tiers(raw: Any, path: str | Path, regions: Sequence[RegionConfig]) -> dict[tuple[str, str], Tier]:
    """(region, deployment) -> Tier for every deployment of every region; `raw` is the config's
    `[simulator]` table, already checked by `lifecycle.parse_overrides`."""
    tables: Mapping[str, Any] = raw.get("deployments", {}) if isinstance(raw, dict) else {}
    found: dict[tuple[str, str], Tier] = {}
    for region in regions:
        configured = tables.get(region.name, {})
        both = set(region.deployments.values()) & set(region.provisioned.values())
        if both:
            raise ConfigError(
                path,
                f"regions ({region.name}).provisioned",
                f"{', '.join(sorted(both))} is named in both [regions.deployments] and [regions.provisioned]; "
                "a deployment is either standard or provisioned: give the PTU deployment its own name",
            )
        models = {**{d: m for m, d in region.deployments.items()}, **{d: m for m, d in region.provisioned.items()}}
        for deployment in models:
            table = configured.get(deployment, {})
            where = f"simulator.deployments.{region.name}.{deployment}"
            found[(region.name, deployment)] = _tier(table, path, where, deployment in region.provisioned.values())
        for deployment in models:
            target = found[(region.name, deployment)].spillover
            if target is not None:
                _check_spillover(target, path, region.name, deployment, models, found)
    return found


def _tier(table: Mapping[str, Any], path: str | Path, where: str, listed_provisioned: bool) -> Tier:
    sku = table.get("sku", "provisioned" if listed_provisioned else "standard")
    if sku not in SKUS:
        raise ConfigError(path, f"{where}.sku", f'must be "standard" or "provisioned"; got {sku!r}')
    if listed_provisioned and sku != "provisioned":
        raise ConfigError(
            path,
            f"{where}.sku",
            'this deployment is in [regions.provisioned], so it is provisioned: remove sku or write "provisioned"',
        )
    provisioned = sku == "provisioned"
    if not provisioned:
        extra = [k for k in ("capacity_tpm", "utilization_window_s", "spillover") if k in table]
        if extra:
            raise ConfigError(
                path,
                f"{where}.{extra[0]}",
                'applies to provisioned deployments only: add sku = "provisioned" or remove it',
            )
        return Tier()
    capacity = table.get("capacity_tpm", DEFAULT_CAPACITY_TPM)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY_TPM:
        raise ConfigError(
            path,
            f"{where}.capacity_tpm",
            f"must be a whole number of tokens per minute from 1 to {MAX_CAPACITY_TPM:,}, e.g. 30000; got {capacity!r}",
        )
    window = table.get("utilization_window_s", DEFAULT_UTILIZATION_WINDOW_S)
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 < window <= MAX_WINDOW_S:
        raise ConfigError(
            path,
            f"{where}.utilization_window_s",
            f"must be a number of seconds over 0 and at most {MAX_WINDOW_S:g}, e.g. 5; got {window!r}",
        )
    spillover = table.get("spillover")
    if spillover is not None and (not isinstance(spillover, str) or not spillover):
        raise ConfigError(
            path, f"{where}.spillover", f"must be the name of a standard deployment of this region; got {spillover!r}"
        )
    return Tier(True, capacity, float(window), spillover)


def _check_spillover(
    target: str,
    path: str | Path,
    region: str,
    deployment: str,
    models: Mapping[str, str],
    tiers: Mapping[tuple[str, str], Tier],
) -> None:
    """Azure's rule: the spillover deployment is a standard deployment of the same resource; the
    simulator also wants the same model (Azure asks for one matching model and version)."""
    field = f"simulator.deployments.{region}.{deployment}.spillover"
    standard = [d for d in models if not tiers.get((region, d), Tier()).provisioned]
    if target not in models:
        raise ConfigError(
            path,
            field,
            f"region {region} has no deployment {target!r}; its standard deployments: {', '.join(standard) or 'none'}",
        )
    if tiers.get((region, target), Tier()).provisioned:
        raise ConfigError(path, field, f"{target} is provisioned; spillover goes to a standard deployment")
    if models[target] != models[deployment]:
        raise ConfigError(
            path,
            field,
            f"{target} serves {models[target]}, not {models[deployment]}; spill over to a standard "
            f"deployment of {models[deployment]}",
        )
