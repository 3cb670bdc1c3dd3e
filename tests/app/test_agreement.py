"""The disagreement rules between Azure Monitor and the probes, as plain functions."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from aoai_watch.app.agreement import DISAGREEMENTS, disagreements, with_rates

T = datetime(2026, 11, 25, 10, 0)


def bucket(**values: object) -> dict[str, object]:
    row = {
        "region": "eastus2",
        "bucket": T,
        "az_requests": 100.0,
        "az_5xx": 0.0,
        "az_429": 0.0,
        "az_tokens": 0.0,
        "settled": True,
        "probes": 5,
        "probes_good": 5,
        "probes_answered": 5,
        "probe_429": 0,
        "probe_tokens": 0,
    }
    return {**row, **values}


def kinds(*rows: dict[str, object]) -> list[str]:
    return list(disagreements(pd.DataFrame(rows))["disagreement"])


def test_agreement_flags_nothing() -> None:
    assert kinds(bucket(), bucket(az_5xx=1.0, probes_good=4)) == []


def test_probe_failures_azure_never_saw_point_at_the_path_to_the_region() -> None:
    assert kinds(bucket(probes_good=3, probes_answered=3)) == [DISAGREEMENTS[0]]
    assert kinds(bucket(probes_good=3, az_429=2.0)) == []  # Azure throttled: it saw them


def test_azure_errors_below_the_floor_that_no_probe_saw() -> None:
    assert kinds(bucket(az_5xx=2.0)) == [DISAGREEMENTS[1]]  # 98% < 99%
    assert kinds(bucket(az_5xx=0.5)) == []


def test_fewer_azure_requests_than_probe_answers_means_missing_data() -> None:
    assert kinds(bucket(az_requests=3.0)) == [DISAGREEMENTS[2]]


def test_unsettled_buckets_and_buckets_without_probes_are_not_judged() -> None:
    assert kinds(bucket(az_5xx=50.0, settled=False), bucket(az_5xx=50.0, probes=0, probes_good=0)) == []
    assert disagreements(pd.DataFrame()).empty


def test_rates_are_percent_and_nan_without_data() -> None:
    rates = with_rates(pd.DataFrame([bucket(az_5xx=1.0, probes_good=4), bucket(az_requests=0.0, probes=0)]))
    assert rates["az_availability"][0] == 99.0 and rates["probe_availability"][0] == 80.0
    assert rates[["az_availability", "probe_availability"]].iloc[1].isna().all()
