"""Two databases for looking at the Overview as a user would, at the default filters:

- `minutes`: the first four minutes of `make demo` -- East US 2 fast and flaky (503s and 429s),
  Sweden Central slower (about one answer in eight over 2 s), the failover composite, every probe
  kind every 5 s -- plus West US 3, whose probes have failed to connect for the last minute and a
  half, and a 7-second drill fault on East US 2 in the drill's own simulator.
- `month`: 30 days of one probe a minute per kind (chat, stream) for the same regions, written by
  DuckDB in one statement; East US 2 has been answering 503s for the last 12 minutes, and three
  drills left faults.

The rows have the shape real probes write (outcomes, status codes, the SDK's error text); their
times are laid out on a schedule so the pictures do not depend on timing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from aoai_watch.failover.outcomes import GOOD
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

KINDS = ("chat", "stream", "responses_chain", "embeddings", "realtime")
E503 = (
    "InternalServerError: Error code: 503 - {'error': {'code': 'ServiceUnavailable', 'message': 'Service unavailable'}}"
)
E429 = (
    "RateLimitError: Error code: 429 - {'error': {'code': '429', 'message': 'Rate limit is exceeded. "
    "Try again in 5 seconds.'}}"
)
ECONN = "APIConnectionError: Connection error."


def minutes(path: Path, now: datetime, minutes: int = 4, every_s: int = 5) -> dict[str, int]:
    """Write the demo-like database; the last cycle runs `every_s` before `now`."""
    rows = []
    cycles = minutes * 60 // every_s
    for cycle in range(cycles):
        ts = now - timedelta(seconds=(cycles - cycle) * every_s)
        for i, kind in enumerate(KINDS):
            n = cycle * len(KINDS) + i
            rows.append(_row("eastus2", kind, ts, 320 + n % 7 * 30, n))
            slow = 2300.0 if n % 8 == 3 else 0.0
            rows.append(_row("swedencentral", kind, ts, 900 + n % 5 * 120 + slow, None))
            rows.append(_row("westus3", kind, ts, 400.0, None, down=cycle >= cycles - 18))
        rows.append(_row("failover", "failover", ts, 360 + cycle % 4 * 20, None))
    Store(path).write(rows)
    started = now - timedelta(minutes=minutes - 1)
    _drill(path, "run-minutes", started, [("http_error", "eastus2", 1.0, 8.0)])
    return {"rows": len(rows), "bad": sum(r.outcome not in GOOD for r in rows)}


def _row(region: str, kind: str, ts: datetime, latency_ms: float, n: int | None, down: bool = False) -> ProbeResult:
    outcome, status, error, retry = "ok", 200, None, None
    if n is not None and n % 23 == 5:
        outcome, status, error = "server_error", 503, E503
    elif n is not None and n % 31 == 7:
        outcome, status, error, retry = "rate_limited", 429, E429, 5.0
    elif down:
        outcome, status, error = "connect_error", None, ECONN
    elif latency_ms > 2000:
        outcome = "slow"
    answered = outcome in ("ok", "slow")
    return ProbeResult(
        region=region,
        deployment="text-embedding-3-small" if kind == "embeddings" else "gpt-4o",
        kind=kind,
        outcome=outcome,
        ts=ts,
        prober="demo",
        model="gpt-4o",
        model_version="gpt-4o-2024-08-06" if answered and kind != "embeddings" else None,
        status_code=status,
        latency_ms=latency_ms if status else 3.0,  # refused at once
        ttft_ms=latency_ms * 0.5 if kind == "stream" and answered else None,
        prompt_tokens=20 if answered else None,
        completion_tokens=8 if answered and kind != "embeddings" else None,
        cost_usd=0.00013 if answered else None,
        retry_after_s=retry,
        error=error,
    )


def month(path: Path, now: datetime, days: int = 30) -> dict[str, int]:
    """Write 30 days of one probe a minute per region and kind (chat, stream; the composite's
    failover), ending a minute before `now`."""
    Store(path).write([])
    con = duckdb.connect(str(path))
    try:
        con.execute(
            f"""
            INSERT INTO probe_results (id, ts, prober, region, deployment, kind, outcome, model, model_version,
                                       status_code, latency_ms, prompt_tokens, completion_tokens, cost_usd, error)
            SELECT 'm' || m || '-' || t.region || '-' || t.kind, ts, 'cron', t.region, 'gpt-4o', t.kind, outcome,
                   'gpt-4o', CASE WHEN outcome IN ('ok', 'slow') THEN 'gpt-4o-2024-08-06' END,
                   CASE outcome WHEN 'server_error' THEN 503 WHEN 'rate_limited' THEN 429 ELSE 200 END,
                   latency, 20, 8, CASE WHEN outcome IN ('ok', 'slow') THEN 0.00013 END,
                   CASE WHEN outcome = 'server_error' THEN ? WHEN outcome = 'rate_limited' THEN ? END
            FROM (
                SELECT m, t.region, t.kind, ?::TIMESTAMP - to_minutes({days} * 1440 - m) AS ts,
                       CASE WHEN t.region = 'eastus2' AND m >= {days} * 1440 - 12 THEN 'server_error'
                            WHEN t.region = 'eastus2' AND hash(m, t.kind) % 1000 < 4 THEN 'server_error'
                            WHEN t.region = 'westus3' AND hash(m, t.kind) % 1000 < 2 THEN 'rate_limited'
                            WHEN t.region = 'swedencentral' AND hash(m, t.kind) % 100 < 12 THEN 'slow'
                            ELSE 'ok' END AS outcome,
                       CASE WHEN t.region = 'swedencentral' AND hash(m, t.kind) % 100 < 12 THEN 2400.0
                            ELSE 250 + hash(m * 7, t.kind) % 900 END AS latency
                FROM range(1, {days} * 1440 + 1) r(m),
                     (VALUES ('eastus2', 'chat'), ('eastus2', 'stream'), ('swedencentral', 'chat'),
                             ('swedencentral', 'stream'), ('westus3', 'chat'), ('westus3', 'stream'),
                             ('failover', 'failover')) t(region, kind)
            ) t
            """,
            [E503, E429, now],
        )
        (count,) = con.execute("SELECT count(*) FROM probe_results").fetchone() or (0,)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    faults = [("http_error", "eastus2", 2.0, 9.0)]
    _drill(path, "run-month-1", now - timedelta(days=12), faults)
    _drill(path, "run-month-2", now - timedelta(days=3, hours=4), [("latency", "swedencentral", 1.0, 30.0)])
    _drill(path, "run-month-3", now - timedelta(hours=5), faults)
    return {"rows": int(count)}


def _drill(path: Path, run_id: str, started: datetime, faults: list[tuple[str, str, float, float]]) -> None:
    """One drill run (the East US 2 outage drill) and the faults it injected, `(kind, region,
    from_s, until_s)` into the run."""
    Store(path).write_tables(
        {
            "drills": [
                {
                    "run_id": run_id,
                    "drill": "01-eastus2-outage",
                    "title": "East US 2 outage",
                    "client": "bundled",
                    "started": started,
                    "duration_s": 10.0,
                    "passed": True,
                    "error": None,
                    "expectations": "[]",
                }
            ],
            "faults": [
                {
                    "run_id": run_id,
                    "kind": kind,
                    "region": region,
                    "params": "{}",
                    "start_ts": started + timedelta(seconds=begin),
                    "end_ts": started + timedelta(seconds=end),
                }
                for kind, region, begin, end in faults
            ],
        }
    )
