"""Every read the dashboard makes: SQL in, pandas DataFrame out. Each call opens the database
read-only for one query and closes it (probes.store), so the cron writer is never locked out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ..alerts.facts import window_count_columns
from ..failover.config import PROVISIONED, STANDARD
from ..failover.outcomes import GOOD, SUCCESSFUL, Outcome, sql_list
from ..probes.result import COMPOSITE
from ..probes.store import Store

__all__ = ["Filters", "has_data"]

_GOOD, _SUCCESSFUL = sql_list(GOOD), sql_list(SUCCESSFUL)  # SQL list literals, e.g. ('ok', 'slow')


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices; an empty tuple is all of them. `tiers` keeps the probes of those
    deployment tiers ("provisioned", "standard") and the failover composite's, which answers from
    either tier: the number the promise is about stays on every split. `probers` keeps the probes
    those probers measured (several stores read as one, probes/sources.py)."""

    since: datetime
    until: datetime
    regions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    probers: tuple[str, ...] = ()

    def where(self, prefix: str = "") -> tuple[str, list[Any]]:
        clauses, params = [f"{prefix}ts >= ?", f"{prefix}ts < ?"], [self.since, self.until]
        if self.regions:
            clauses.append(f"{prefix}region IN ({', '.join('?' for _ in self.regions)})")
            params += list(self.regions)
        if self.kinds:
            clauses.append(f"{prefix}kind IN ({', '.join('?' for _ in self.kinds)})")
            params += list(self.kinds)
        if self.tiers:
            # a row from before the column (an old database the dashboard only reads) is standard
            marks = ", ".join("?" for _ in self.tiers)
            clauses.append(f"({prefix}region = ? OR coalesce({prefix}tier, '{STANDARD}') IN ({marks}))")
            params += [COMPOSITE, *self.tiers]
        if self.probers:
            clauses.append(f"{prefix}prober IN ({', '.join('?' for _ in self.probers)})")
            params += list(self.probers)
        return " AND ".join(clauses), params

    def between(self, since: datetime, until: datetime | None = None) -> Filters:
        """The same choices over another time span."""
        return replace(self, since=since, until=self.until if until is None else until)


def _frame(store: Store, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    names, rows = store.query(sql, params)
    return pd.DataFrame(rows, columns=names)


def has_data(store: Store) -> bool:
    return store.count() > 0


def choices(store: Store) -> tuple[list[str], list[str]]:
    """Regions and kinds present, for the filter widgets."""
    regions = _frame(store, "SELECT DISTINCT region FROM probe_results ORDER BY region")
    kinds = _frame(store, "SELECT DISTINCT kind FROM probe_results ORDER BY kind")
    return (list(regions["region"]) if not regions.empty else [], list(kinds["kind"]) if not kinds.empty else [])


def probers(store: Store) -> list[str]:
    """The probers whose probes the database holds (several when stores are read as one)."""
    rows = _frame(store, "SELECT DISTINCT prober FROM probe_results ORDER BY prober")
    return list(rows["prober"]) if not rows.empty else []


def tiers(store: Store) -> list[str]:
    """The deployment tiers the database's probes ran on (the composite's aside), provisioned
    first; ["standard"] for a database from before the `tier` column, which the dashboard does
    not migrate (it only reads)."""
    _, found = store.query(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'probe_results' AND column_name = 'tier'"
    )
    if not found or not found[0][0]:
        return [STANDARD]
    rows = _frame(
        store,
        f"SELECT DISTINCT coalesce(tier, '{STANDARD}') AS tier FROM probe_results WHERE region <> ?",
        [COMPOSITE],
    )
    present = set(rows["tier"]) if not rows.empty else set()
    return [t for t in (PROVISIONED, STANDARD) if t in present] + sorted(present - {PROVISIONED, STANDARD})


def overview(store: Store, f: Filters, threshold_ms: float) -> pd.DataFrame:
    """Per region (the failover composite included): probes, good, successful, fast, coverage, and
    the range's last failure (when, outcome, status, error) for the state's reason."""
    where, params = f.where()
    bad = f"outcome NOT IN {_GOOD}"
    return _frame(
        store,
        f"""
        SELECT region,
               count(*) AS valid,
               count(*) FILTER (WHERE outcome IN {_GOOD}) AS good,
               count(*) FILTER (WHERE outcome IN {_SUCCESSFUL}) AS successful,
               count(*) FILTER (WHERE outcome IN {_SUCCESSFUL} AND latency_ms <= ?) AS fast,
               min(ts) AS first_ts, max(ts) AS last_ts,
               arg_max(outcome, ts) AS last_outcome,
               max(ts) FILTER (WHERE {bad}) AS last_bad_ts,
               arg_max(outcome, ts) FILTER (WHERE {bad}) AS last_bad_outcome,
               arg_max(status_code, ts) FILTER (WHERE {bad}) AS last_bad_status,
               arg_max(left(error, 200), ts) FILTER (WHERE {bad}) AS last_bad_error,
               max(ts) FILTER (WHERE outcome IN {_GOOD}) AS last_good_ts,
               sum(coalesce(cost_usd, 0)) AS cost_usd
        FROM probe_results WHERE {where}
        GROUP BY region ORDER BY region = ? DESC, region
    """,
        [threshold_ms, *params, COMPOSITE],
    )


def overview_by_prober(store: Store, f: Filters, threshold_ms: float) -> pd.DataFrame:
    """`overview`'s counts per region and prober (the same probes, so each region's rows sum to
    its row there): valid, good, successful, fast, and the range's last failure (when, outcome)."""
    where, params = f.where()
    bad = f"outcome NOT IN {_GOOD}"
    return _frame(
        store,
        f"""
        SELECT region, prober,
               count(*) AS valid,
               count(*) FILTER (WHERE outcome IN {_GOOD}) AS good,
               count(*) FILTER (WHERE outcome IN {_SUCCESSFUL}) AS successful,
               count(*) FILTER (WHERE outcome IN {_SUCCESSFUL} AND latency_ms <= ?) AS fast,
               max(ts) FILTER (WHERE {bad}) AS last_bad_ts,
               arg_max(outcome, ts) FILTER (WHERE {bad}) AS last_bad_outcome
        FROM probe_results WHERE {where}
        GROUP BY region, prober ORDER BY region, prober
    """,
        [threshold_ms, *params],
    )


def first_probe(store: Store) -> datetime | None:
    """When the database's first probe ran (None when it has none): how much the data covers."""
    _, rows = store.query("SELECT min(ts) FROM probe_results")
    first = rows[0][0] if rows else None
    return first if isinstance(first, datetime) else None


def recent_probes(store: Store, f: Filters, since: datetime, per_region: int = 5000) -> pd.DataFrame:
    """The probes the region states are decided over (app/states.py): those of `f` from `since`
    on (and from `f.since`), at most the newest `per_region` of each region, oldest first."""
    where, params = f.between(max(since, f.since)).where()
    return _frame(
        store,
        f"""
        SELECT ts, region, kind, outcome, status_code, latency_ms, left(error, 200) AS error
        FROM probe_results WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY region ORDER BY ts DESC) <= {int(per_region)}
        ORDER BY region, ts
    """,
        params,
    )


def window_counts(
    store: Store, f: Filters, now: datetime, windows_s: Sequence[int], threshold_ms: float = 2000.0
) -> pd.DataFrame:
    """Per region: valid, good, successful and fast probes over each of the trailing windows before
    `now` (for burn-rate alerts), with `f`'s regions, kinds and end: the same probes the range's table
    counts, so a window as long as the range holds exactly the table's probes. The columns are the
    `alert` command's own (alerts.facts.window_count_columns): both read the same numbers."""
    columns, params = window_count_columns(now, windows_s, threshold_ms)
    where, where_params = f.between(now - timedelta(seconds=max(windows_s))).where()
    return _frame(
        store,
        f"SELECT region, {columns} FROM probe_results WHERE {where} GROUP BY region ORDER BY region",
        [*params, *where_params],
    )


def _alert_frame(store: Store, columns: str, rest: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """`SELECT columns rest` over the alert tables; a database from before them reads as empty."""
    try:
        return _frame(store, f"SELECT {columns} {rest}", params)
    except duckdb.CatalogException:
        return pd.DataFrame(columns=[c.strip().split(".")[-1] for c in columns.split(",")])


def alerts_firing(store: Store) -> pd.DataFrame:
    """The alerts firing now, pages first, oldest first: since when, the value and its threshold."""
    return _alert_frame(
        store,
        "severity, rule, region, started_at, value, threshold, summary, last_seen_at, dedup_key",
        "FROM alerts WHERE state = 'firing' ORDER BY severity = 'page' DESC, started_at",
    )


def alert_history(store: Store, limit: int = 200) -> pd.DataFrame:
    """Every alert episode, newest first."""
    return _alert_frame(
        store,
        "started_at, resolved_at, state, severity, rule, region, value, threshold, summary",
        "FROM alerts ORDER BY started_at DESC LIMIT ?",
        [limit],
    )


def alert_deliveries(store: Store, limit: int = 500) -> pd.DataFrame:
    """Every notification, newest first: channel, kind, firing or resolved, its state (delivered,
    pending, rejected), attempts, HTTP status and the channel's (masked) answer."""
    return _alert_frame(
        store,
        "d.created_at, d.channel, d.kind, d.status, d.state, d.attempts, d.http_status, d.answer, d.delivered_at, "
        "a.rule, a.severity, a.region",
        "FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id ORDER BY d.created_at DESC, d.channel LIMIT ?",
        [limit],
    )


def status_history(store: Store, f: Filters, bucket: str) -> pd.DataFrame:
    where, params = f.where()
    return _frame(
        store,
        f"""
        SELECT region, time_bucket(INTERVAL '{bucket}', ts) AS bucket, count(*) AS probes,
               count(*) FILTER (WHERE outcome NOT IN {_GOOD}) AS bad
        FROM probe_results WHERE {where} GROUP BY ALL ORDER BY region, bucket
    """,
        params,
    )


def latency_over_time(store: Store, f: Filters, bucket: str) -> pd.DataFrame:
    """Per region and time bucket: latency quantiles of the successful probes, and `last_ts`, the
    bucket's last probe (where its point is drawn, so no line starts before the data did)."""
    where, params = f.where()
    return _frame(
        store,
        f"""
        SELECT region, time_bucket(INTERVAL '{bucket}', ts) AS bucket,
               quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.95) AS p95_ms,
               quantile_cont(latency_ms, 0.99) AS p99_ms, quantile_cont(ttft_ms, 0.5) AS ttft_p50_ms,
               quantile_cont(ttft_ms, 0.95) AS ttft_p95_ms, count(*) AS probes, max(ts) AS last_ts
        FROM probe_results WHERE {where} AND outcome IN {_SUCCESSFUL} GROUP BY ALL ORDER BY region, bucket
    """,
        params,
    )


def latencies(store: Store, f: Filters) -> pd.DataFrame:
    where, params = f.where()
    return _frame(
        store,
        # a distribution does not need every probe of a month: a fixed-size sample keeps the page light
        f"SELECT region, kind, latency_ms, ttft_ms FROM probe_results WHERE {where} AND outcome IN {_SUCCESSFUL} "
        "USING SAMPLE 20000 ROWS",
        params,
    )


def slow_probes(store: Store, f: Filters, threshold_ms: float, limit: int = 50) -> pd.DataFrame:
    where, params = f.where()
    return _frame(
        store,
        f"SELECT ts, region, kind, deployment, latency_ms, ttft_ms, request_id FROM probe_results "
        f"WHERE {where} AND latency_ms > ? ORDER BY latency_ms DESC LIMIT {int(limit)}",
        [*params, threshold_ms],
    )


def outcomes_over_time(store: Store, f: Filters, bucket: str) -> pd.DataFrame:
    """Probes per time bucket and outcome; `first_ts`, the first of them (bars start no earlier)."""
    where, params = f.where()
    return _frame(
        store,
        f"""
        SELECT time_bucket(INTERVAL '{bucket}', ts) AS bucket, outcome, count(*) AS probes, min(ts) AS first_ts
        FROM probe_results WHERE {where} GROUP BY ALL ORDER BY bucket
    """,
        params,
    )


def rate_limits(store: Store, f: Filters) -> pd.DataFrame:
    """Each 429: the rate-limit headers seen on the probe before it (same target), the Retry-After
    it promised, and how long it really took until that target succeeded again."""
    where, params = f.where()
    return _frame(
        store,
        f"""
        WITH ordered AS (
            SELECT ts, region, kind, deployment, outcome, retry_after_s,
                   lag(ratelimit_remaining_requests) OVER w AS remaining_requests_before,
                   lag(ratelimit_remaining_tokens) OVER w AS remaining_tokens_before
            FROM probe_results WHERE {where}
            WINDOW w AS (PARTITION BY region, kind, deployment ORDER BY ts)
        )
        SELECT o.ts, o.region, o.kind, o.retry_after_s, o.remaining_requests_before, o.remaining_tokens_before,
               (SELECT epoch(min(p.ts) - o.ts) FROM probe_results p
                WHERE p.region = o.region AND p.kind = o.kind AND p.ts > o.ts AND p.outcome IN {_SUCCESSFUL})
                   AS recovered_after_s
        FROM ordered o WHERE o.outcome = '{Outcome.RATE_LIMITED.value}' ORDER BY o.ts
    """,
        params,
    )


def last_failures(store: Store, f: Filters, limit: int = 50) -> pd.DataFrame:
    where, params = f.where()
    return _frame(
        store,
        f"SELECT ts, region, kind, outcome, status_code, error, request_id FROM probe_results "
        f"WHERE {where} AND outcome NOT IN {_SUCCESSFUL} ORDER BY ts DESC LIMIT {int(limit)}",
        params,
    )


def spend(store: Store, f: Filters, now: datetime) -> pd.DataFrame:
    """Probe spend and tokens per day, region, deployment and kind, for the range and for this
    month so far (from the first of `now`'s month, when that is earlier than the range), honouring
    the region and kind filters: `in_range` tells the two apart. The one read of the Tokens & cost
    page, so its headline, table, charts and projection are sums of the same rows and agree."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    where, params = f.between(min(f.since, month)).where()
    return _frame(
        store,
        f"""
        SELECT date_trunc('day', ts) AS day, region, coalesce(deployment, '') AS deployment, kind,
               ts >= ? AS in_range, ts >= ? AS in_month, count(*) AS probes,
               sum(coalesce(cost_usd, 0)) AS cost_usd, sum(coalesce(prompt_tokens, 0)) AS prompt_tokens,
               sum(coalesce(completion_tokens, 0)) AS completion_tokens, min(ts) AS first_ts, max(ts) AS last_ts
        FROM probe_results WHERE {where} GROUP BY ALL ORDER BY day, region, deployment, kind
    """,
        [f.since, month, *params],
    )


def drills(store: Store, limit: int = 50) -> pd.DataFrame:
    try:
        return _frame(
            store,
            f"SELECT run_id, started, drill, title, client, passed, duration_s, error, expectations "
            f"FROM drills ORDER BY started DESC LIMIT {int(limit)}",
        )
    except Exception:
        return pd.DataFrame()


def drill_requests(store: Store, run_id: str) -> pd.DataFrame:
    return _frame(
        store,
        "SELECT started_s, latency_s, ok, region, shape, error FROM drill_requests WHERE run_id = ? ORDER BY started_s",
        [run_id],
    )


def drill_faults(store: Store, run_id: str) -> pd.DataFrame:
    return _frame(
        store,
        "SELECT f.kind AS fault, f.region, f.params, epoch(f.start_ts - d.started) AS start_s, "
        "epoch(f.end_ts - d.started) AS end_s FROM faults f JOIN drills d USING (run_id) "
        "WHERE run_id = ? ORDER BY start_s",
        [run_id],
    )


def fault_windows(store: Store, f: Filters) -> pd.DataFrame:
    """Injected faults overlapping the time range, to shade on time charts; `end_ts` is one minute
    after the start when the end was not recorded (`recorded_end_ts` null)."""
    try:
        return _frame(
            store,
            "SELECT kind AS fault, region, start_ts, coalesce(end_ts, start_ts + INTERVAL 1 MINUTE) AS end_ts, "
            "end_ts AS recorded_end_ts FROM faults WHERE start_ts < ? AND coalesce(end_ts, start_ts) >= ?",
            [f.until, f.since],
        )
    except Exception:
        return pd.DataFrame(columns=["fault", "region", "start_ts", "end_ts", "recorded_end_ts"])


def model_versions(store: Store, f: Filters) -> pd.DataFrame:
    """What each deployment reported, as runs: one row per (region, deployment) and unbroken run of
    one model version (`first_ts`, `last_ts`, `probes`), and the version before it
    (`previous_version`, null for the first run seen: a run with one is a change).

    Like is compared with like: one (region, deployment) across every probe kind that reports a
    version (chat, stream, responses, realtime, embeddings; not the failover composite, which
    answers from either region), ignoring probes that reported none. A "version" equal to the
    deployment's name is not a report: realtime probes recorded the name before they read
    `session.model`, and would read as a change on every cycle (so a deployment named exactly after
    its model version shows no version). The last report before the range counts as the version the
    range started with, so a change at its first minute is a change."""
    where, params = f.where()
    before, before_params = f.between(datetime(1970, 1, 1), f.since).where()
    reports = "model_version IS NOT NULL AND model_version <> coalesce(deployment, '') AND kind <> ? AND region <> ?"
    return _frame(
        store,
        f"""
        WITH reported AS (
            SELECT ts, region, deployment, model_version, false AS seed FROM probe_results
            WHERE {where} AND {reports}
            UNION ALL
            SELECT max(ts), region, deployment, arg_max(model_version, ts), true FROM probe_results
            WHERE {before} AND {reports} GROUP BY region, deployment
        ), marked AS (
            SELECT *, lag(model_version) OVER w AS before_version,
                   CASE WHEN model_version IS DISTINCT FROM before_version THEN 1 ELSE 0 END AS starts
            FROM reported WINDOW w AS (PARTITION BY region, deployment ORDER BY ts)
        ), runs AS (
            SELECT *, sum(starts) OVER (PARTITION BY region, deployment ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
            FROM marked
        )
        SELECT region, deployment, model_version, max(before_version) FILTER (WHERE starts = 1) AS previous_version,
               min(ts) FILTER (WHERE NOT seed) AS first_ts, max(ts) FILTER (WHERE NOT seed) AS last_ts,
               count(*) FILTER (WHERE NOT seed) AS probes
        FROM runs GROUP BY region, deployment, run, model_version
        HAVING count(*) FILTER (WHERE NOT seed) > 0
        ORDER BY region, deployment, first_ts
    """,
        [*params, COMPOSITE, COMPOSITE, *before_params, COMPOSITE, COMPOSITE],
    )


def monitor_overlay(store: Store, f: Filters, bucket: str) -> pd.DataFrame:
    """Per region and time bucket: Azure Monitor's counts (requests, 5xx, 429s, tokens, how many
    points) next to the probes' (probes, good, answered, 429s, tokens), for the regions Azure Monitor
    was imported for; `last_ts`, the bucket's latest point of either side (where lines draw it).

    `settled`: Azure has finished counting the whole bucket, so it may be judged: every Azure point
    in it is settled, and it ends no later than the region's settled horizon (a minute after its
    latest settled point). A bucket past the horizon is provisional even with no Azure point at all:
    Azure not having counted the current minutes yet is no disagreement."""
    where, params = f.where()
    az_where, az_params = Filters(f.since, f.until, f.regions).where()
    return _frame(
        store,
        f"""
        WITH az AS (
            SELECT region, time_bucket(INTERVAL '{bucket}', ts) AS bucket,
                   sum(value) FILTER (WHERE metric = 'AzureOpenAIRequests') AS az_requests,
                   sum(value) FILTER (WHERE metric = 'AzureOpenAIRequests' AND status_code LIKE '5%') AS az_5xx,
                   sum(value) FILTER (WHERE metric = 'AzureOpenAIRequests' AND status_code = '429') AS az_429,
                   sum(value) FILTER (WHERE metric IN ('ProcessedPromptTokens', 'GeneratedTokens')) AS az_tokens,
                   bool_and(settled) AS az_settled, count(*) AS az_points, max(ts) + INTERVAL 1 MINUTE AS az_last_ts
            FROM monitor_metrics WHERE {az_where} GROUP BY ALL
        ), horizon AS (
            SELECT region, max(ts) + INTERVAL 1 MINUTE AS settled_until FROM monitor_metrics WHERE settled
            GROUP BY region
        ), pr AS (
            SELECT region, time_bucket(INTERVAL '{bucket}', ts) AS bucket, count(*) AS probes,
                   count(*) FILTER (WHERE outcome IN {_GOOD}) AS probes_good,
                   count(*) FILTER (WHERE status_code IS NOT NULL) AS probes_answered,
                   count(*) FILTER (WHERE status_code = 429) AS probe_429,
                   sum(coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0)) AS probe_tokens,
                   max(ts) AS probe_last_ts
            FROM probe_results
            WHERE {where} AND region IN (SELECT DISTINCT region FROM monitor_metrics)
            GROUP BY ALL
        )
        SELECT region, bucket, bucket + INTERVAL '{bucket}' AS bucket_end,
               coalesce(az_requests, 0) AS az_requests, coalesce(az_5xx, 0) AS az_5xx,
               coalesce(az_429, 0) AS az_429, coalesce(az_tokens, 0) AS az_tokens, coalesce(az_points, 0) AS az_points,
               coalesce(az_settled, true) AND bucket + INTERVAL '{bucket}' <= coalesce(settled_until, bucket)
                   AS settled,
               least(greatest(az_last_ts, probe_last_ts), bucket + INTERVAL '{bucket}') AS last_ts,
               coalesce(probes, 0) AS probes, coalesce(probes_good, 0) AS probes_good,
               coalesce(probes_answered, 0) AS probes_answered, coalesce(probe_429, 0) AS probe_429,
               coalesce(probe_tokens, 0) AS probe_tokens
        FROM az FULL OUTER JOIN pr USING (region, bucket) LEFT JOIN horizon USING (region)
        ORDER BY region, bucket
    """,
        [*az_params, *params],
    )


def monitor_requests_by_status(store: Store, f: Filters, bucket: str) -> pd.DataFrame:
    """Azure's request counts per region, time bucket and status code."""
    where, params = Filters(f.since, f.until, f.regions).where()
    return _frame(
        store,
        f"""
        SELECT region, time_bucket(INTERVAL '{bucket}', ts) AS bucket, status_code, sum(value) AS requests,
               min(ts) AS first_ts
        FROM monitor_metrics WHERE metric = 'AzureOpenAIRequests' AND {where}
        GROUP BY ALL ORDER BY region, bucket, status_code
    """,
        params,
    )


def probe_request_match(store: Store, f: Filters) -> pd.DataFrame:
    """Probes joined to Azure's request logs by apim-request-id, per region: how many Azure logged,
    and for those, the probe's latency against the time Azure spent (the rest is outside Azure)."""
    where, params = f.where("p.")
    return _frame(
        store,
        f"""
        SELECT p.region, count(*) AS probes_with_id, count(m.request_id) AS in_azure_logs,
               median(p.latency_ms) FILTER (WHERE m.request_id IS NOT NULL) AS probe_median_ms,
               median(m.duration_ms) AS azure_median_ms,
               median(p.latency_ms - m.duration_ms) AS outside_azure_median_ms
        FROM probe_results p LEFT JOIN monitor_requests m ON m.request_id = p.request_id AND m.region = p.region
        WHERE {where} AND p.request_id IS NOT NULL
          AND p.region IN (SELECT DISTINCT region FROM monitor_requests)
        GROUP BY p.region ORDER BY p.region
    """,
        params,
    )


def monitor_imports(store: Store, limit: int = 20) -> pd.DataFrame:
    """The latest imports: when, which window, how many rows, what failed."""
    return _frame(
        store,
        "SELECT region, started, since, until, metric_rows, log_rows, error FROM monitor_imports "
        "ORDER BY started DESC, region LIMIT ?",
        [limit],
    )


def has_monitor_data(store: Store) -> bool:
    """Any imported metrics? False, not an error, for a database from before import-metrics existed."""
    _, rows = store.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'monitor_metrics'")
    if not rows or not rows[0][0]:
        return False
    _, rows = store.query("SELECT count(*) FROM monitor_metrics")
    return bool(rows[0][0])
