"""Two probers' stores for the many-probers tests: `frankfurt` and `dublin` each probe eastus2,
swedencentral and the failover composite once a minute for two hours, written through
`Store.write` as `aoai-watch probe` writes them. eastus2 fails every third probe from Frankfurt
only (a network path from there, not Azure); from Dublin every region answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from aoai_watch.failover.outcomes import GOOD
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

PROBERS = ("frankfurt", "dublin")
REGIONS = ("eastus2", "swedencentral", "failover")
MINUTES = 120


def failing(prober: str, region: str, minute: int) -> bool:
    return prober == "frankfurt" and region == "eastus2" and minute % 3 == 1


def rows(prober: str, now: datetime, minutes: int = MINUTES) -> list[ProbeResult]:
    out = []
    for minute in range(minutes):
        ts = now - timedelta(minutes=minutes - minute)
        for region in REGIONS:
            bad = failing(prober, region, minute)
            out.append(
                ProbeResult(
                    region=region,
                    deployment="gpt-4o",
                    kind="chat",
                    outcome="connect_error" if bad else "ok",
                    ts=ts,
                    prober=prober,
                    model="gpt-4o",
                    status_code=None if bad else 200,
                    latency_ms=5000.0 if bad else 300.0 + (minute % 7) * 10 + (200 if prober == "dublin" else 0),
                    prompt_tokens=20,
                    completion_tokens=8,
                    cost_usd=0.0001,
                    request_id=f"{prober}-{region}-{minute}",
                    error="connection refused" if bad else None,
                )
            )
    return out


def write(folder: Path, now: datetime, minutes: int = MINUTES) -> list[Path]:
    """One store per prober in `folder`; their paths, in PROBERS order."""
    paths = []
    for prober in PROBERS:
        path = folder / f"{prober}.duckdb"
        Store(path).write(rows(prober, now, minutes))
        paths.append(path)
    return paths


def expected(prober: str | None, region: str, minutes: int = MINUTES) -> tuple[int, int]:
    """(valid, good) probes of `region` from `prober` (None: every prober), by construction."""
    probers = PROBERS if prober is None else (prober,)
    valid = len(probers) * minutes
    bad = sum(failing(p, region, m) for p in probers for m in range(minutes))
    assert "connect_error" not in GOOD
    return valid, valid - bad
