"""A model's lifecycle as Azure's dated `GET /openai/models` reports it: its status, when it was
released, and the days fine-tuning and inference end. Published defaults per model version, and
the `[simulator.deployments.<region>.<deployment>]` config tables that override them, so a
simulated deployment can be about to retire.

The wire fields (authoring spec 2024-10-21, `Model`, `Deprecation`, `LifeCycleStatus`):
`lifecycle_status` "preview" or "generally-available"; `created_at`; `deprecation.inference`,
the end of inference support, which is the model's *retirement* date (after it "deployments of a
retired model always return error responses"); `deprecation.fine_tune`, the end of fine-tuning,
absent for a model that cannot be fine-tuned. Azure's "deprecation date (no new customers)" is not
on the wire. Dates are whole days; the wire sends them as epoch seconds at 00:00 UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...failover.config import ConfigError

LIFECYCLE_STATUSES = ("generally-available", "preview")
CONFIG_KEYS = ("lifecycle_status", "created_at", "deprecation_inference", "deprecation_fine_tune")


@dataclass(frozen=True)
class Lifecycle:
    """One model version's lifecycle. `deprecation_fine_tune` None: it cannot be fine-tuned."""

    lifecycle_status: str
    created_at: dt.date
    deprecation_inference: dt.date  # inference ends: the retirement date
    deprecation_fine_tune: dt.date | None = None


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# Model version -> lifecycle. Dates from Microsoft's model retirement table (docs/wire-notes.md,
# section 14: "Deprecation Date (No New Customers)" is not on the wire; "Retirement Date" is
# `deprecation.inference`; a fine-tunable model's training retires with the base model, so its
# `deprecation.fine_tune` is the same day). `created_at` is the version's launch date, which the
# version string carries. gpt-35-turbo-0125 and the embeddings' `created_at` are invented defaults.
DEFAULT_LIFECYCLES: Mapping[str, Lifecycle] = {
    "gpt-4o-2024-08-06": Lifecycle("generally-available", _d("2024-08-06"), _d("2026-03-31"), _d("2026-03-31")),
    "gpt-4o-mini-2024-07-18": Lifecycle("generally-available", _d("2024-07-18"), _d("2026-03-31"), _d("2026-03-31")),
    "gpt-4.1-2025-04-14": Lifecycle("generally-available", _d("2025-04-14"), _d("2026-10-14"), _d("2026-10-14")),
    "gpt-4.1-mini-2025-04-14": Lifecycle("generally-available", _d("2025-04-14"), _d("2026-10-14"), _d("2026-10-14")),
    "gpt-4.1-nano-2025-04-14": Lifecycle("generally-available", _d("2025-04-14"), _d("2026-10-14"), _d("2026-10-14")),
    "gpt-35-turbo-0125": Lifecycle("generally-available", _d("2024-01-25"), _d("2025-11-14")),  # invented
    "o3-2025-04-16": Lifecycle("generally-available", _d("2025-04-16"), _d("2026-10-16")),
    "o4-mini-2025-04-16": Lifecycle("generally-available", _d("2025-04-16"), _d("2026-10-16"), _d("2026-10-16")),
    # "No earlier than 2026-10-30" in the table; created_at invented (the versions are named "1")
    "text-embedding-3-small": Lifecycle("generally-available", _d("2024-01-25"), _d("2026-10-30")),
    "text-embedding-3-large": Lifecycle("generally-available", _d("2024-01-25"), _d("2026-10-30")),
    "gpt-realtime-2025-08-28": Lifecycle("generally-available", _d("2025-08-28"), _d("2027-02-28")),
    "gpt-4o-realtime-preview-2024-12-17": Lifecycle("preview", _d("2024-12-17"), _d("2026-02-02")),
}
# a model version the table does not know: invented, generally available for two more years
FALLBACK_LIFECYCLE = Lifecycle("generally-available", _d("2025-01-01"), _d("2028-12-31"))


def default_lifecycle(model_version: str) -> Lifecycle:
    return DEFAULT_LIFECYCLES.get(model_version, FALLBACK_LIFECYCLE)


def epoch_s(day: dt.date) -> int:
    """A day as the wire sends it: epoch seconds at 00:00 UTC."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def parse_overrides(
    raw: Any, path: str | Path, served: Mapping[str, Mapping[str, str]], other_keys: tuple[str, ...] = ()
) -> dict[tuple[str, str], Lifecycle]:
    """The `[simulator]` table of a config file: `deployments.<region>.<deployment>` tables, each
    overriding some of `CONFIG_KEYS` on the served model version's default lifecycle.
    `other_keys` are valid in those tables too, read by someone else (tiers.py's `TIER_KEYS`).

    `served` maps region -> deployment name (standard or provisioned) -> model version. Returns (region, deployment) ->
    lifecycle; every problem is a `ConfigError` naming the file, the field and the fix. Two
    deployments of one model version in a region must agree: Azure reports lifecycles per model."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "simulator", "must be a table: [simulator.deployments.<region>.<deployment>]")
    for key in raw:
        if key != "deployments":
            raise ConfigError(path, f"simulator.{key}", "unknown key; valid keys are deployments")
    regions = raw.get("deployments", {})
    if not isinstance(regions, dict):
        raise ConfigError(
            path, "simulator.deployments", "must be tables: [simulator.deployments.<region>.<deployment>]"
        )
    found: dict[tuple[str, str], Lifecycle] = {}
    for region, tables in regions.items():
        where = f"simulator.deployments.{region}"
        if region not in served:
            raise ConfigError(path, where, f"no region {region!r} in [[regions]]; regions: {', '.join(served)}")
        if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
            keys = ", ".join((*CONFIG_KEYS, *other_keys))
            raise ConfigError(path, where, f"must be tables: [{where}.<deployment>] with {keys}")
        for deployment, table in tables.items():
            model_version = served[region].get(deployment)
            if model_version is None:
                known = ", ".join(served[region]) or "none"
                raise ConfigError(
                    path,
                    f"{where}.{deployment}",
                    f"region {region} has no deployment {deployment!r} (the names of [regions.deployments] "
                    f"and [regions.provisioned]: {known})",
                )
            lifecycle_keys = {k: v for k, v in table.items() if k not in other_keys}
            found[(region, deployment)] = _lifecycle(
                lifecycle_keys, path, f"{where}.{deployment}", model_version, other_keys
            )
    _check_agreement(found, path, served)
    return found


def _lifecycle(
    table: Mapping[str, Any], path: str | Path, where: str, model_version: str, other_keys: tuple[str, ...] = ()
) -> Lifecycle:
    for key in table:
        if key not in CONFIG_KEYS:
            valid = ", ".join((*CONFIG_KEYS, *other_keys))
            raise ConfigError(path, f"{where}.{key}", f"unknown key; valid keys are {valid}")
    changes: dict[str, Any] = {}
    if "lifecycle_status" in table:
        status = table["lifecycle_status"]
        if status not in LIFECYCLE_STATUSES:
            raise ConfigError(
                path, f"{where}.lifecycle_status", f'must be "generally-available" or "preview"; got {status!r}'
            )
        changes["lifecycle_status"] = status
    for key in ("created_at", "deprecation_inference", "deprecation_fine_tune"):
        if key in table:
            changes[key] = _day(table[key], path, f"{where}.{key}")
    lifecycle = dataclasses.replace(default_lifecycle(model_version), **changes)
    if lifecycle.deprecation_inference <= lifecycle.created_at:
        raise ConfigError(
            path,
            f"{where}.deprecation_inference",
            f"{lifecycle.deprecation_inference} is not after created_at {lifecycle.created_at}; "
            "inference must end after the model was released",
        )
    return lifecycle


def _day(value: Any, path: str | Path, field: str) -> dt.date:
    """A TOML date (2026-10-14) or the same as a string; a date-time is refused (days only)."""
    if isinstance(value, dt.datetime):
        raise ConfigError(path, field, f"must be a day without a time, e.g. {value.date().isoformat()}; got {value}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(path, field, f"must be a date such as 2026-10-14 (YYYY-MM-DD); got {value!r}")


def _check_agreement(
    found: Mapping[tuple[str, str], Lifecycle], path: str | Path, served: Mapping[str, Mapping[str, str]]
) -> None:
    for region, deployments in served.items():
        seen: dict[str, tuple[str, Lifecycle]] = {}
        for deployment, model_version in deployments.items():
            lifecycle = found.get((region, deployment), default_lifecycle(model_version))
            first = seen.setdefault(model_version, (deployment, lifecycle))
            if first[1] != lifecycle:
                raise ConfigError(
                    path,
                    f"simulator.deployments.{region}.{deployment}",
                    f"deployments {first[0]} and {deployment} both serve {model_version} but give it different "
                    "lifecycles; Azure reports one lifecycle per model version: give both the same keys",
                )
