"""A prepared database for the dashboard tests: two regions and the failover composite over the
last hours, with failures, 429s, a model change and one drill run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aoai_watch.failover.outcomes import SUCCESSFUL
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store


def prepare(path: Path, hours: int = 3, now: datetime | None = None) -> dict[str, int]:
    """Write the database; probes one a minute up to a minute before `now` (default: the present)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for minute in range(hours * 60):
        ts = now - timedelta(minutes=hours * 60 - minute)
        for region, base in (("eastus2", 300.0), ("swedencentral", 700.0), ("failover", 320.0)):
            outcome, status, retry = "ok", 200, None
            # never the first minute: a first, partial bucket holding only that probe would be "down"
            if region == "eastus2" and minute % 30 == 15:
                outcome, status = "server_error", 503
            if region == "eastus2" and minute % 45 == 7:
                outcome, status, retry = "rate_limited", 429, 10.0
            latency = base + (minute % 10) * 20 + (2500 if minute % 97 == 0 else 0)
            if outcome == "ok" and latency > 2000:
                outcome = "slow"
            version = "gpt-4o-2024-11-20" if region == "swedencentral" and minute > hours * 30 else "gpt-4o-2024-08-06"
            rows.append(
                ProbeResult(
                    region=region,
                    deployment="gpt-4o",
                    kind="chat",
                    outcome=outcome,
                    ts=ts,
                    prober="test",
                    model="gpt-4o",
                    model_version=version,
                    status_code=status,
                    latency_ms=latency,
                    ttft_ms=latency * 0.6,
                    prompt_tokens=20,
                    completion_tokens=8,
                    cost_usd=0.00013,
                    retry_after_s=retry,
                    ratelimit_remaining_requests=100 - minute % 100,
                    request_id=f"req-{minute}-{region}",
                    error=None if outcome in SUCCESSFUL else f"HTTP {status}",
                )
            )
    store = Store(path)
    for start in range(0, len(rows), 500):
        store.write(rows[start : start + 500])
    started = now - timedelta(minutes=30)
    store.write_tables(
        {
            "drills": [
                {
                    "run_id": "run1",
                    "drill": "01-eastus2-outage",
                    "title": "East US 2 outage",
                    "client": "bundled",
                    "started": started,
                    "duration_s": 7.0,
                    "passed": True,
                    "error": None,
                    "expectations": json.dumps([{"expect": "success_ratio >= 0.99", "passed": True, "measured": 1.0}]),
                }
            ],
            "drill_requests": [
                {
                    "run_id": "run1",
                    "call_id": f"c{i}",
                    "shape": "chat",
                    "started_s": i * 0.1,
                    "latency_s": 0.05,
                    "ok": True,
                    "region": "eastus2" if i < 20 else "swedencentral",
                    "error": None,
                    "tokens": 20,
                }
                for i in range(60)
            ],
            "faults": [
                {
                    "run_id": "run1",
                    "kind": "http_error",
                    "region": "eastus2",
                    "params": "{}",
                    "start_ts": started + timedelta(seconds=2),
                    "end_ts": started + timedelta(seconds=4),
                }
            ],
        }
    )
    monitor = monitor_tables(rows, now)
    store.write_tables({"monitor_imports": monitor.pop("monitor_imports")})
    store.write_tables(monitor, replace=True)
    return {
        "rows": len(rows),
        "eastus2_bad": sum(r.region == "eastus2" and r.outcome not in SUCCESSFUL for r in rows),
    }


def monitor_tables(probes: list[ProbeResult], now: datetime) -> dict[str, list[dict[str, object]]]:
    """Azure Monitor's view of the same minutes: 50 requests a minute per region on top of the
    probes, the eastus2 outages (503) and 429s the probes saw, and 20 500s in one swedencentral
    minute that no probe saw (a disagreement); request logs for every probe, 35 ms under its latency."""
    metrics: list[dict[str, object]] = []

    def point(region: str, metric: str, ts: datetime, status: str, value: float) -> None:
        metrics.append(
            {
                "region": region,
                "metric": metric,
                "ts": ts.replace(second=0, microsecond=0),
                "deployment": "gpt-4o",
                "status_code": status,
                "value": value,
                "unit": "Count",
                "resource_id": f"/subscriptions/x/providers/Microsoft.CognitiveServices/accounts/{region}",
                "settled": ts < now - timedelta(minutes=5),
                "imported_at": now,
            }
        )

    logs = []
    for p in probes:
        if p.region == "failover":
            continue
        point(p.region, "AzureOpenAIRequests", p.ts, str(p.status_code), 50.0 if p.status_code == 200 else 1.0)
        if p.status_code == 503:
            point(p.region, "AzureOpenAIRequests", p.ts, "200", 40.0)  # the outage hit some requests, not all
        point(p.region, "ProcessedPromptTokens", p.ts, "200", 50.0 * 20)
        point(p.region, "GeneratedTokens", p.ts, "200", 50.0 * 8)
        logs.append(
            {
                "region": p.region,
                "request_id": p.request_id,
                "ts": p.ts,
                "operation": "ChatCompletions_Create",
                "deployment": "gpt-4o",
                "model": "gpt-4o",
                "status_code": p.status_code,
                "duration_ms": (p.latency_ms or 0) - 35.0,
                "stream_type": "Non-Streaming",
                "resource_id": "r",
                "imported_at": now,
            }
        )
    unseen = now - timedelta(minutes=60)
    point("swedencentral", "AzureOpenAIRequests", unseen, "500", 20.0)
    imports = [
        {
            "region": r,
            "started": now,
            "since": now - timedelta(days=1),
            "until": now,
            "metric_rows": 1,
            "log_rows": 1,
            "error": None,
        }
        for r in ("eastus2", "swedencentral")
    ]
    return {"monitor_metrics": metrics, "monitor_requests": logs, "monitor_imports": imports}
