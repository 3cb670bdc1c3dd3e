"""Two databases shaped like the ones people open the dashboard on, for the tests of every page but
the Overview: `minutes`, a few minutes of `make demo` (every probe kind every 5 s, a drill whose three
faults follow each other within seconds, Azure Monitor's view with its last minutes still
provisional), and `month`, 30 days of one probe a minute per target with one real model update, an
outage, drills and Azure Monitor's view (written with SQL: half a million rows in seconds)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

KINDS = ("chat", "stream", "responses_chain", "realtime", "embeddings")
VERSION = "gpt-4o-2024-08-06"
NEW_VERSION = "gpt-4o-2024-11-20"
MONITOR_SETTLED_BEFORE = timedelta(minutes=2)  # as `import-metrics` marks points younger than its lag
MONITOR_UNSEEN = timedelta(minutes=1)  # the newest minute: Azure Monitor shows nothing of it yet


def _deployment(kind: str) -> str:
    return "text-embedding-3-small" if kind == "embeddings" else "gpt-4o"


def minutes(path: Path, now: datetime, length: timedelta = timedelta(minutes=4), seed: int = 5) -> None:
    """A few minutes of the demo: eastus2 fast and a little flaky (503s, 429s), swedencentral slower
    and stable, the failover composite, every kind every 5 s, as the probes record them (realtime's
    version from `session.model`, embeddings reporting the model's name)."""
    rng = random.Random(seed)
    rows: list[ProbeResult] = []
    start = now - length
    cycles = int(length.total_seconds() // 5)
    for cycle in range(cycles):
        ts = start + timedelta(seconds=5 * cycle)
        for region, base in (("eastus2", 350.0), ("swedencentral", 950.0)):
            for kind in KINDS:
                outcome, status, retry, error = "ok", 200, None, None
                draw = rng.random()
                if region == "eastus2" and draw < 0.04:
                    outcome, status, error = "server_error", 503, "InternalServerError: Error code: 503"
                elif region == "eastus2" and draw < 0.07:
                    outcome, status, retry, error = "rate_limited", 429, 5.0, "RateLimitError: Error code: 429"
                latency = base * rng.uniform(0.6, 1.6)
                good = outcome == "ok"
                rows.append(
                    ProbeResult(
                        region=region,
                        deployment=_deployment(kind),
                        kind=kind,
                        outcome=outcome,
                        ts=ts + timedelta(milliseconds=rng.randint(0, 400)),
                        prober="demo",
                        model=_deployment(kind),
                        model_version=(
                            None if not good else "text-embedding-3-small" if kind == "embeddings" else VERSION
                        ),
                        status_code=status,
                        latency_ms=latency,
                        ttft_ms=latency * 0.5 if good and kind in ("stream", "realtime") else None,
                        connect_ms=latency * 0.2 if kind == "realtime" else None,
                        prompt_tokens=(12 if kind != "embeddings" else 4) if good else None,
                        completion_tokens=(8 if kind != "embeddings" else 0) if good else None,
                        cost_usd=(0.00011 if kind != "embeddings" else 0.00000008) if good else None,
                        retry_after_s=retry,
                        ratelimit_remaining_requests=None if outcome == "rate_limited" else 890 - cycle % 10,
                        ratelimit_remaining_tokens=None if outcome == "rate_limited" else 149_000 + cycle,
                        request_id=f"m-{cycle}-{region}-{kind}",
                        error=error,
                    )
                )
        east_chat = rows[-2 * len(KINDS)]  # the failover client answers from eastus2 unless it failed
        composite = east_chat if east_chat.outcome == "ok" else rows[-len(KINDS)]
        rows.append(
            ProbeResult(
                region="failover",
                deployment="gpt-4o",
                kind="failover",
                ts=ts,
                prober="demo",
                model="gpt-4o",
                model_version=VERSION,
                served_by=composite.region,
                status_code=200,
                latency_ms=(composite.latency_ms or 0) + 20,
                prompt_tokens=12,
                completion_tokens=8,
                cost_usd=0.00011,
            )
        )
    store = Store(path)
    store.write(rows)
    drill_start = start + timedelta(seconds=10)
    store.write_tables(_drill("demo-run", drill_start, passed=True))
    store.write_tables({"monitor_imports": [_import(r, now) for r in ("eastus2", "swedencentral")]})
    store.write_tables(_monitor(rows, now), replace=True)


def _drill(run_id: str, started: datetime, passed: bool) -> dict[str, list[dict[str, object]]]:
    """One run of drill 01 (503, refused connections, a black hole, two seconds each, back to back)."""
    faults = [
        {
            "run_id": run_id,
            "kind": kind,
            "region": "eastus2",
            "params": "{}",
            "start_ts": started + timedelta(seconds=0.5 + 2 * i),
            "end_ts": started + timedelta(seconds=2.5 + 2 * i),
        }
        for i, kind in enumerate(("http_error", "refuse", "black_hole"))
    ]
    requests = [
        {
            "run_id": run_id,
            "call_id": f"{run_id}-{i}",
            "shape": "chat",
            "started_s": i * 0.05,
            "latency_s": 0.03 if i < 10 else 0.06,
            "ok": passed or i % 17 != 0,
            "region": "eastus2" if i < 10 else "swedencentral",
            "error": None,
            "tokens": 20,
        }
        for i in range(140)
    ]
    expectations = [
        {"expect": "success_ratio >= 0.99", "passed": passed, "measured": 1.0 if passed else 0.9428571428571428},
        {"expect": "failover_time_s <= 1", "passed": True, "measured": 0.13616680000001224},
    ]
    return {
        "drills": [
            {
                "run_id": run_id,
                "drill": "01-eastus2-outage",
                "title": "East US 2 outage: 503, then refused connections, then a black hole",
                "client": "bundled",
                "started": started,
                "duration_s": 7.1,
                "passed": passed,
                "error": None,
                "expectations": json.dumps(expectations),
            }
        ],
        "drill_requests": requests,
        "faults": faults,
    }


def _import(region: str, now: datetime) -> dict[str, object]:
    return {
        "region": region,
        "started": now,
        "since": now - timedelta(minutes=30),
        "until": now,
        "metric_rows": 10,
        "log_rows": 10,
        "error": None,
    }


def _monitor(probes: list[ProbeResult], now: datetime) -> dict[str, list[dict[str, object]]]:
    """Azure Monitor's minutes for the probes' regions: the probes' own requests by status and their
    tokens, none yet for the last MONITOR_UNSEEN, points younger than MONITOR_SETTLED_BEFORE not
    settled; a request log per probe."""
    points: dict[tuple[str, str, datetime, str], float] = {}
    logs = []
    for p in probes:
        if p.region == "failover":
            continue
        minute = p.ts.replace(second=0, microsecond=0)
        key = (p.region, "AzureOpenAIRequests", minute, str(p.status_code))
        points[key] = points.get(key, 0.0) + 1
        for metric, value in (("ProcessedPromptTokens", p.prompt_tokens), ("GeneratedTokens", p.completion_tokens)):
            key = (p.region, metric, minute, "200")
            points[key] = points.get(key, 0.0) + (value or 0)
        logs.append(
            {
                "region": p.region,
                "request_id": p.request_id,
                "ts": p.ts,
                "operation": "ChatCompletions_Create",
                "deployment": p.deployment,
                "model": p.model,
                "status_code": p.status_code,
                "duration_ms": (p.latency_ms or 0) * 0.8,
                "stream_type": "Non-Streaming",
                "resource_id": "r",
                "imported_at": now,
            }
        )
    metrics = [
        {
            "region": region,
            "metric": metric,
            "ts": ts,
            "deployment": "gpt-4o",
            "status_code": status,
            "value": value,
            "unit": "Count",
            "resource_id": f"/subscriptions/x/providers/Microsoft.CognitiveServices/accounts/{region}",
            "settled": ts + timedelta(minutes=1) <= now - MONITOR_SETTLED_BEFORE,
            "imported_at": now,
        }
        for (region, metric, ts, status), value in points.items()
        if ts < now - MONITOR_UNSEEN
    ]
    return {"monitor_metrics": metrics, "monitor_requests": logs}


# 30 days: targets (region, kind) in this order, one probe each a minute
TARGETS = [(r, k) for r in ("eastus2", "swedencentral") for k in KINDS] + [("failover", "failover")]
OUTAGE_DAY, CHANGE_DAY = 20, 15  # eastus2 is down for an hour on day 20; swedencentral's gpt-4o updates on day 15


def month(path: Path, now: datetime, days: int = 30) -> None:
    """30 days x 11 targets x one probe a minute (about 475,000 rows), with one model update (all of
    swedencentral's gpt-4o kinds, on day CHANGE_DAY), an hour of eastus2 503s, 429s now and then,
    ten drill runs (one failed) and Azure Monitor's view of every minute."""
    Store(path).write([])  # the schema
    start = now.replace(second=0, microsecond=0) - timedelta(days=days)
    regions = ", ".join(f"'{r}'" for r, _ in TARGETS)
    kinds = ", ".join(f"'{k}'" for _, k in TARGETS)
    n = len(TARGETS)
    con = duckdb.connect(str(path))
    con.execute(
        f"""
        CREATE TEMP TABLE gen AS
        SELECT i, i // {n} AS minute, [{regions}][1 + i % {n}] AS region, [{kinds}][1 + i % {n}] AS kind,
               hash(i) % 10000 AS draw
        FROM range({days * 24 * 60 * n}) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO probe_results (id, ts, prober, region, deployment, kind, outcome, model, model_version,
                                   served_by, status_code, latency_ms, ttft_ms, prompt_tokens, completion_tokens,
                                   cost_usd, retry_after_s, ratelimit_remaining_requests, request_id, error)
        WITH o AS (
            SELECT *, ?::TIMESTAMP + to_minutes(minute) + to_seconds(i % {n} * 3) AS ts,
                   CASE WHEN region = 'eastus2' AND minute // 60 = {OUTAGE_DAY * 24 + 10} THEN 'server_error'
                        WHEN region = 'eastus2' AND draw < 30 THEN 'server_error'
                        WHEN region = 'eastus2' AND draw < 50 THEN 'rate_limited'
                        WHEN region = 'swedencentral' AND draw < 8 THEN 'server_error'
                        WHEN draw > 9950 THEN 'slow' ELSE 'ok' END AS outcome
            FROM gen
        )
        SELECT 'g' || i, ts, 'bench', region,
               CASE WHEN kind = 'embeddings' THEN 'text-embedding-3-small' ELSE 'gpt-4o' END, kind, outcome,
               CASE WHEN kind = 'embeddings' THEN 'text-embedding-3-small' ELSE 'gpt-4o' END,
               CASE WHEN outcome NOT IN ('ok', 'slow') THEN NULL
                    WHEN kind = 'embeddings' THEN 'text-embedding-3-small'
                    WHEN region = 'swedencentral' AND minute >= {CHANGE_DAY * 1440} THEN '{NEW_VERSION}'
                    ELSE '{VERSION}' END,
               CASE WHEN region = 'failover' THEN 'eastus2' END,
               CASE outcome WHEN 'server_error' THEN 503 WHEN 'rate_limited' THEN 429 ELSE 200 END,
               CASE WHEN outcome = 'slow' THEN 2500 + draw % 900
                    WHEN region = 'swedencentral' THEN 700 + hash(i * 7) % 900 ELSE 200 + hash(i * 7) % 600 END,
               CASE WHEN kind IN ('stream', 'realtime') THEN 120 + hash(i * 3) % 200 END,
               CASE WHEN outcome IN ('ok', 'slow') THEN 12 END,
               CASE WHEN outcome IN ('ok', 'slow') THEN CASE WHEN kind = 'embeddings' THEN 0 ELSE 8 END END,
               CASE WHEN outcome IN ('ok', 'slow') THEN CASE WHEN kind = 'embeddings' THEN 0.00000024
                                                             ELSE 0.00011 END END,
               CASE WHEN outcome = 'rate_limited' THEN 10.0 END,
               CASE WHEN outcome <> 'rate_limited' THEN 900 - minute % 50 END,
               'req-' || i,
               CASE outcome WHEN 'server_error' THEN 'InternalServerError: Error code: 503'
                            WHEN 'rate_limited' THEN 'RateLimitError: Error code: 429' END
        FROM o
        """,
        [start],
    )
    con.execute(
        f"""
        INSERT INTO monitor_metrics
        WITH minutes AS (
            SELECT region, ?::TIMESTAMP + to_minutes(minute) AS ts,
                   count(*) FILTER (WHERE outcome IN ('ok', 'slow')) + 40 AS ok,
                   count(*) FILTER (WHERE outcome = 'server_error') AS e5xx,
                   count(*) FILTER (WHERE outcome = 'rate_limited') AS e429
            FROM (SELECT *, CASE WHEN region = 'eastus2' AND minute // 60 = {OUTAGE_DAY * 24 + 10} THEN 'server_error'
                                 WHEN region = 'eastus2' AND draw < 30 THEN 'server_error'
                                 WHEN region = 'eastus2' AND draw < 50 THEN 'rate_limited'
                                 WHEN region = 'swedencentral' AND draw < 8 THEN 'server_error' ELSE 'ok' END AS outcome
                  FROM gen WHERE region <> 'failover')
            GROUP BY ALL
        ), points AS (
            SELECT region, 'AzureOpenAIRequests' AS metric, ts, '200' AS status, ok::DOUBLE AS value FROM minutes
            UNION ALL SELECT region, 'AzureOpenAIRequests', ts, '503', e5xx FROM minutes WHERE e5xx > 0
            UNION ALL SELECT region, 'AzureOpenAIRequests', ts, '429', e429 FROM minutes WHERE e429 > 0
            UNION ALL SELECT region, 'ProcessedPromptTokens', ts, '200', ok * 12 FROM minutes
            UNION ALL SELECT region, 'GeneratedTokens', ts, '200', ok * 8 FROM minutes
        )
        SELECT region, metric, ts, 'gpt-4o', status, value, 'Count', 'r-' || region,
               ts + INTERVAL 1 MINUTE <= ?::TIMESTAMP, ?::TIMESTAMP
        FROM points
        """,
        [start, now - MONITOR_SETTLED_BEFORE, now],
    )
    con.execute("CHECKPOINT")
    con.close()
    store = Store(path)
    for i in range(10):
        store.write_tables(_drill(f"run-{i}", start + timedelta(days=3 * i + 1, hours=9), passed=i != 6))
    store.write_tables({"monitor_imports": [_import(r, now) for r in ("eastus2", "swedencentral")]})
