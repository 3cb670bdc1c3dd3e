"""`aoai-watch import-metrics`: pull Azure Monitor's view of each configured region into DuckDB.

Per region, the window [since, now) is cut into pieces of at most one day (Azure answers at most
31 days per query, and one-minute points for a day are 1,440 per series); each piece is one batch
metrics query pair and, with a workspace, one Log Analytics query. Rows are keyed (monitor_metrics
by region, metric, minute, deployment, status; monitor_requests by region and request id), so
importing the same window again replaces rows instead of adding them. Points newer than
`ingestion_lag_s` are stored as not `settled`: Azure is still filling them in, and the next import
rewrites them. A failing region is reported with its fix and does not stop the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import AppConfig
from ..outcome import redact
from ..store import Store
from . import azure
from .settings import MonitorSettings, RegionMonitor

__all__ = ["MAX_LOOKBACK", "ImportReport", "RegionImport", "import_metrics", "parse_since"]

MAX_LOOKBACK = timedelta(days=93)  # how long Azure Monitor keeps platform metrics
PIECE = timedelta(days=1)
_SINCE = re.compile(r"(\d+)\s*([mhd])")


@dataclass
class RegionImport:
    region: str
    metric_rows: int = 0
    log_rows: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    since: datetime
    until: datetime
    regions: list[RegionImport]

    @property
    def ok(self) -> bool:
        return all(not r.errors for r in self.regions)


def parse_since(text: str, now: datetime) -> datetime:
    """`24h`, `90m`, `7d`, or an ISO 8601 time (UTC when it has no zone) -> a naive UTC datetime."""
    match = _SINCE.fullmatch(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        since = now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    else:
        try:
            parsed = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"--since {text!r}: write a duration such as 24h, 90m, 7d, or an ISO 8601 time") from None
        since = parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    if since >= now:
        raise ValueError(f"--since {text!r} is not in the past")
    if now - since > MAX_LOOKBACK:
        raise ValueError(f"--since {text!r} reaches back beyond the 93 days Azure Monitor keeps metrics")
    return since


def pieces(since: datetime, until: datetime, size: timedelta = PIECE) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into consecutive pieces of at most `size`, starting on a whole minute."""
    start = since.replace(second=0, microsecond=0)
    out = []
    while start < until:
        end = min(start + size, until)
        out.append((start, end))
        start = end
    return out


def import_metrics(
    config: AppConfig,
    since: datetime,
    now: datetime | None = None,
    credential: Any = None,
    progress: Callable[[str], None] = lambda line: None,
) -> ImportReport:
    """Import every region of `config.monitor`; the credential defaults to DefaultAzureCredential
    (bounded by `credential_timeout_s`). Times are naive UTC."""
    settings = config.monitor
    assert settings is not None, "the config has no [monitor] table"
    now = now or datetime.now(UTC).replace(tzinfo=None)
    until = now.replace(second=0, microsecond=0) + timedelta(minutes=1)  # through the current minute
    credential = credential if credential is not None else azure.default_credential(settings)
    secrets = _secrets(config)
    store = Store(config.database)
    report = ImportReport(since, until, [])
    for region in settings.regions:
        result = RegionImport(region.region)
        report.regions.append(result)
        _import_region(region, settings, credential, since, until, now, store, result, progress, secrets)
    return report


def _import_region(
    region: RegionMonitor,
    settings: MonitorSettings,
    credential: Any,
    since: datetime,
    until: datetime,
    now: datetime,
    store: Store,
    result: RegionImport,
    progress: Callable[[str], None],
    secrets: list[str],
) -> None:
    settled_before = now - timedelta(seconds=settings.ingestion_lag_s)
    aware = lambda t: t.replace(tzinfo=UTC)  # noqa: E731 - the SDKs want zone-aware times

    def scrub(text: str) -> str:
        return redact(text, secrets)

    apis = [("metrics", azure.metrics_client(region, credential, settings))]
    if region.workspace_id:
        apis.append(("logs", azure.logs_client(credential, settings)))
    todo = pieces(since, until)
    for api, client in apis:
        for i, (start, end) in enumerate(todo, start=1):
            progress(f"{region.region}: {api} {start:%Y-%m-%d %H:%M} .. {end:%H:%M} UTC ({i}/{len(todo)})")
            try:
                if api == "metrics":
                    rows = azure.fetch_metrics(client, region, aware(start), aware(end), settled_before, now)
                    table = "monitor_metrics"
                else:
                    rows = azure.fetch_logs(client, region, aware(start), aware(end), now)
                    table = "monitor_requests"
            except Exception as exc:  # one line with the fix; the other API and regions go on
                result.errors.append(azure.explain(exc, region, api, scrub))
                break
            store.write_tables({table: rows}, replace=True)
            if api == "metrics":
                result.metric_rows += len(rows)
            else:
                result.log_rows += len(rows)
        client.close()
    store.write_tables(
        {
            "monitor_imports": [
                {
                    "region": region.region,
                    "started": now,
                    "since": since,
                    "until": until,
                    "metric_rows": result.metric_rows,
                    "log_rows": result.log_rows,
                    "error": "; ".join(result.errors) or None,
                }
            ]
        }
    )


def _secrets(config: AppConfig) -> list[str]:
    """Values that must never reach stored error text: the regions' keys, when set."""
    return [os.environ[r.api_key_env] for r in config.regions if r.api_key_env and os.environ.get(r.api_key_env)]
