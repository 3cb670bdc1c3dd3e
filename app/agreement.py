"""Where Azure Monitor and the probes disagree: pure functions over `queries.monitor_overlay`.

A probe sends one request a minute from one place; Azure Monitor counts every request the resource
served. Per region and time bucket (only buckets whose Azure points are settled, i.e. past the
ingestion lag), three disagreements are worth a look:

- `probes failing, Azure clean`: probes failed while Azure served no 5xx and no 429: the failures
  happened between the prober and the region (network, DNS, proxy, TLS, the client itself).
- `Azure errors unseen`: Azure's own availability fell below `azure_floor` while every probe
  succeeded: one probe a minute samples too little to see it (or the errors hit other deployments).
- `probes missing from Azure`: Azure counted fewer requests than probes got answers: the data is
  incomplete, or `resource_id` names another account than the endpoint the probes call.
"""

from __future__ import annotations

import pandas as pd

DISAGREEMENTS = ("probes failing, Azure clean", "Azure errors unseen", "probes missing from Azure")


def with_rates(overlay: pd.DataFrame) -> pd.DataFrame:
    """`overlay` plus availability from each side, in percent (NaN where a side has no data).
    Azure's is (requests - 5xx) / requests, as AzureOpenAIAvailabilityRate defines it."""
    out = overlay.copy()
    out["az_availability"] = (100.0 * (out["az_requests"] - out["az_5xx"]) / out["az_requests"]).where(
        out["az_requests"] > 0
    )
    out["probe_availability"] = (100.0 * out["probes_good"] / out["probes"]).where(out["probes"] > 0)
    return out


def disagreements(overlay: pd.DataFrame, azure_floor: float = 99.0) -> pd.DataFrame:
    """One row per flagged (region, bucket): which disagreement and the numbers behind it."""
    columns = ["region", "bucket", "disagreement", "detail"]
    if overlay.empty:
        return pd.DataFrame(columns=columns)
    rates = with_rates(overlay)
    flagged = []
    for r in rates.itertuples(index=False):
        if not r.settled or r.probes == 0:
            continue
        bad = r.probes - r.probes_good
        if bad > 0 and r.az_requests > 0 and r.az_5xx == 0 and r.az_429 == 0:
            flagged.append(
                (
                    r.region,
                    r.bucket,
                    DISAGREEMENTS[0],
                    f"{bad} of {r.probes} probes failed; Azure served "
                    f"{r.az_requests:.0f} requests without a 5xx or 429",
                )
            )
        if bad == 0 and r.az_requests > 0 and r.az_availability < azure_floor:
            flagged.append(
                (
                    r.region,
                    r.bucket,
                    DISAGREEMENTS[1],
                    f"Azure availability {r.az_availability:.2f}% "
                    f"({r.az_5xx:.0f} 5xx of {r.az_requests:.0f}); all {r.probes} probes succeeded",
                )
            )
        if r.probes_answered > r.az_requests:
            flagged.append(
                (
                    r.region,
                    r.bucket,
                    DISAGREEMENTS[2],
                    f"probes got {r.probes_answered} answers; Azure counted {r.az_requests:.0f} requests",
                )
            )
    return pd.DataFrame(flagged, columns=columns)
