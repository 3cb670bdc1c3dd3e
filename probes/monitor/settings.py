"""The `[monitor]` table: which Azure resource (and Log Analytics workspace) stands behind each
configured region, where its metrics live, and how the import behaves.

    [monitor]
    credential_timeout_s = 30      # bound on getting an Entra token (a hung managed identity never blocks)
    ingestion_lag_s = 300          # newer points are provisional: the next import rewrites them
    logs_endpoint = "https://api.loganalytics.io"
    ca_file = "..."                # optional extra CA to trust (the simulator's, a TLS-inspecting proxy's)

    [monitor.regions.eastus2]      # the name of a [[regions]] entry
    resource_id = "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.CognitiveServices/accounts/<name>"
    location = "eastus2"           # the Azure region of that resource; default: the region's name
    metrics_endpoint = "https://eastus2.metrics.monitor.azure.com"   # default: from location
    workspace_id = "<guid>"        # optional: the workspace its diagnostic settings send logs to
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...failover.config import ConfigError, Problems, nearest, seconds_fields, unknown_key

__all__ = ["MonitorSettings", "RegionMonitor", "parse_monitor"]

_RESOURCE_ID = re.compile(
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+",
    re.IGNORECASE,
)
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LOCATION = re.compile(r"[a-z][a-z0-9]+")
_RESOURCE_FIX = (
    "the id of the Azure OpenAI account, as printed by "
    "`az cognitiveservices account show -n NAME -g GROUP --query id -o tsv`"
)


@dataclass(frozen=True)
class RegionMonitor:
    region: str  # the [[regions]] name the probes use
    resource_id: str
    location: str
    metrics_endpoint: str
    workspace_id: str | None = None

    @property
    def subscription_id(self) -> str:
        return self.resource_id.split("/")[2]


@dataclass(frozen=True)
class MonitorSettings:
    regions: tuple[RegionMonitor, ...] = ()
    credential_timeout_s: float = 30.0
    ingestion_lag_s: float = 300.0
    logs_endpoint: str = "https://api.loganalytics.io"
    ca_file: Path | None = None


def parse_monitor(raw: Any, path: Path, region_names: Iterable[str] | None) -> MonitorSettings | None:
    """None when the file has no [monitor] table. Every problem is reported (`ConfigErrors` for
    several). `region_names` None (the regions have problems of their own) skips matching each
    [monitor.regions.<name>] against them."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "monitor", "must be a table: [monitor]")
    problems = Problems()
    valid = ("regions", "credential_timeout_s", "ingestion_lag_s", "logs_endpoint", "ca_file")
    for key in raw:
        if key not in valid:
            problems.add(ConfigError(path, f"monitor.{key}", unknown_key(key, valid)))
    values: dict[str, Any] = {}
    for key, minimum in {"credential_timeout_s": 0.1, "ingestion_lag_s": 0.0}.items():
        values.update(problems.attempt(seconds_fields, raw, "monitor", {key: minimum}, path) or {})
    if "logs_endpoint" in raw:
        problems.attempt(
            lambda: values.update(logs_endpoint=_https(raw["logs_endpoint"], path, "monitor.logs_endpoint"))
        )
    if "ca_file" in raw:
        ca = raw["ca_file"]
        if not isinstance(ca, str) or not Path(ca).is_file():
            problems.add(ConfigError(path, "monitor.ca_file", f"must name a PEM file that exists; got {ca!r}"))
        else:
            values["ca_file"] = Path(ca)
    regions = raw.get("regions", {})
    if not isinstance(regions, Mapping) or not regions:
        problems.add(
            ConfigError(
                path,
                "monitor.regions",
                "add one [monitor.regions.<name>] table per region to import, with its resource_id",
            )
        )
        regions = {}
    known = list(region_names) if region_names is not None else None
    found = [problems.attempt(_region, name, table, path, known) for name, table in regions.items()]
    problems.raise_if_any()
    values["regions"] = tuple(r for r in found if r is not None)
    return MonitorSettings(**values)


def _region(name: str, table: Any, path: Path, known: list[str] | None) -> RegionMonitor:
    where = f"monitor.regions.{name}"
    if known is not None and name not in known:
        close = nearest(name, known)
        hint = f" (did you mean {close}?)" if close else ""
        raise ConfigError(path, where, f"no [[regions]] entry is named {name!r}{hint}; regions: {', '.join(known)}")
    if not isinstance(table, Mapping):
        raise ConfigError(path, where, f"must be a table: [{where}]")
    problems = Problems()
    valid = ("resource_id", "location", "metrics_endpoint", "workspace_id")
    for key in table:
        if key not in valid:
            problems.add(ConfigError(path, f"{where}.{key}", unknown_key(key, valid)))
    resource_id = table.get("resource_id")
    if not isinstance(resource_id, str) or not _RESOURCE_ID.fullmatch(resource_id.strip()):
        problems.add(ConfigError(path, f"{where}.resource_id", f"must be {_RESOURCE_FIX}; got {resource_id!r}"))
    location = table.get("location", name)
    endpoint = None
    if not isinstance(location, str) or not _LOCATION.fullmatch(location):
        default = "" if "location" in table else " (it defaults to the region's name)"
        problems.add(
            ConfigError(
                path,
                f"{where}.location",
                f'must be the Azure region of the resource, such as "eastus2"{default}; got {location!r}',
            )
        )
    else:  # the endpoint defaults to, and must match, the location
        endpoint = problems.attempt(lambda: _metrics_endpoint(table, location, path, where))
    workspace = table.get("workspace_id")
    if workspace is not None and (not isinstance(workspace, str) or not _GUID.fullmatch(workspace)):
        problems.add(
            ConfigError(
                path,
                f"{where}.workspace_id",
                "must be the workspace (customer) id, a GUID: "
                "`az monitor log-analytics workspace show -n NAME -g GROUP --query customerId -o tsv`; "
                f"got {workspace!r}",
            )
        )
    problems.raise_if_any()
    assert isinstance(resource_id, str) and isinstance(location, str) and endpoint is not None
    return RegionMonitor(name, resource_id.strip(), location, endpoint, workspace)


def _metrics_endpoint(table: Mapping[str, Any], location: str, path: Path, where: str) -> str:
    endpoint = table.get("metrics_endpoint", f"https://{location}.metrics.monitor.azure.com")
    endpoint = _https(endpoint, path, f"{where}.metrics_endpoint")
    host = urlsplit(endpoint).hostname or ""
    if host.endswith(".metrics.monitor.azure.com") and host.split(".")[0] != location:
        raise ConfigError(
            path,
            f"{where}.metrics_endpoint",
            f"{endpoint} serves region {host.split('.')[0]!r} but location is {location!r}: the batch metrics API "
            "answers only for resources in its own region; use https://<location>.metrics.monitor.azure.com",
        )
    return endpoint


def _https(value: Any, path: Path, where: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(
            path,
            where,
            f"must be an https:// URL with no path (Azure sends tokens over HTTPS only); got {value!r}",
        )
    return str(value).rstrip("/")
