"""The rules beside availability and silence, end to end through `alert` against a real receiver:
latency burn rate, model version changed, drill failed and deployment retiring, each delivered
once with the fields the README documents, and quiet where it should be."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from aoai_watch.alerts.run import evaluate
from aoai_watch.probes.records import DrillRecords, DrillRow
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

from .conftest import T0, probes, store_probes, write_config
from .receiver import Receiver

HOOK = "/hook/T0SECRETPATH0hook"


def run(config, environ, at, **kw):  # type: ignore[no-untyped-def]
    return evaluate(config, now=at, environ=environ, sleep=lambda s: None, **kw)


def delivered(receiver: Receiver, status: str, alert: str | None = None) -> list[dict]:
    """The webhook's payloads of `status` (of the rule `alert` only, when given: time moved on
    without probes in some tests, and the prober-silent page is not theirs to check)."""
    bodies = [r.body for r in receiver.delivered(HOOK) if r.body["status"] == status]
    return [b for b in bodies if alert is None or b["alert"] == alert]


def firing(receiver: Receiver, alert: str | None = None) -> list[dict]:
    return delivered(receiver, "firing", alert)


def slow(rows: list[ProbeResult], latency_ms: float) -> list[ProbeResult]:
    return [dataclasses.replace(r, latency_ms=latency_ms) for r in rows]


def versioned(rows: list[ProbeResult], version: str) -> list[ProbeResult]:
    return [dataclasses.replace(r, model_version=version) for r in rows]


def test_slow_but_successful_probes_page_on_latency_not_availability(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    start = T0 - timedelta(hours=2)
    threshold_ms = config.slo.latency_threshold_s * 1000
    rows = probes("eastus2", start, 90) + slow(probes("eastus2", start + timedelta(minutes=90), 30), threshold_ms * 3)
    store_probes(config, rows + probes("swedencentral", start, 120))
    report = run(config, environ, T0 - timedelta(seconds=30))
    assert report.ok
    sent = firing(receiver)
    assert sorted((p["alert"], p["severity"], p["region"]) for p in sent) == [
        ("latency burn rate", "page", "eastus2"),
        ("latency burn rate", "ticket", "eastus2"),
    ]
    page = next(p for p in sent if p["severity"] == "page")
    assert page["value"] >= page["threshold"] == 14.4
    assert "latency error budget burning" in page["summary"]


def test_slow_probes_at_the_threshold_are_fast_enough(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    start = T0 - timedelta(hours=2)
    at_threshold = slow(probes("eastus2", start, 120), config.slo.latency_threshold_s * 1000)
    store_probes(config, at_threshold)
    assert run(config, environ, T0 - timedelta(seconds=30)).conditions == []
    assert receiver.requests == []


def test_a_new_model_version_files_one_ticket_for_a_day(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    start = T0 - timedelta(minutes=60)
    store_probes(config, versioned(probes("eastus2", start, 30), "gpt-4o-2024-08-06"))
    store_probes(config, versioned(probes("eastus2", start + timedelta(minutes=30), 30), "gpt-4o-2024-11-20"))
    run(config, environ, T0)
    (ticket,) = firing(receiver)
    assert (ticket["alert"], ticket["severity"], ticket["region"]) == ("model version changed", "ticket", "eastus2")
    assert "gpt-4o-2024-11-20" in ticket["summary"] and "was gpt-4o-2024-08-06" in ticket["summary"]
    run(config, environ, T0 + timedelta(hours=1))
    assert len(firing(receiver, "model version changed")) == 1  # the same change is not announced twice
    assert delivered(receiver, "resolved", "model version changed") == []
    run(config, environ, T0 + timedelta(days=1, minutes=5))  # a day after the change it has aged out
    resolved = delivered(receiver, "resolved", "model version changed")
    assert [p["dedup_key"] for p in resolved] == [ticket["dedup_key"]]


def test_the_same_version_on_every_probe_files_nothing(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    store_probes(config, versioned(probes("eastus2", T0 - timedelta(minutes=60), 60), "gpt-4o-2024-08-06"))
    assert run(config, environ, T0).conditions == []


def drill(name: str, started, passed: bool, error: str | None = None) -> DrillRow:  # type: ignore[no-untyped-def]
    return DrillRow(
        run_id=f"{name}-{started:%H%M}",
        drill=name,
        title=name,
        client="bundled",
        started=started,
        duration_s=7.0,
        passed=passed,
        error=error,
        expectations="[]",
    )


def test_a_drill_whose_latest_run_failed_files_a_ticket_until_it_passes_again(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    store_probes(config, probes("eastus2", T0 - timedelta(minutes=10), 10))
    store = Store(config.database)
    store.write_drills(
        DrillRecords(
            drills=[
                drill("01-eastus2-outage", T0 - timedelta(hours=3), passed=True),
                drill("01-eastus2-outage", T0 - timedelta(hours=1), passed=False, error="success 0.91 < 0.99"),
                drill("02-rate-limited", T0 - timedelta(hours=1), passed=True),
            ]
        )
    )
    run(config, environ, T0)
    (ticket,) = firing(receiver)
    assert (ticket["alert"], ticket["severity"]) == ("drill failed", "ticket")
    assert "01-eastus2-outage" in ticket["summary"] and "success 0.91 < 0.99" in ticket["summary"]
    store.write_drills(DrillRecords(drills=[drill("01-eastus2-outage", T0 + timedelta(minutes=5), passed=True)]))
    run(config, environ, T0 + timedelta(minutes=10))
    assert [p["alert"] for p in delivered(receiver, "resolved")] == ["drill failed"]


def test_a_version_retiring_within_the_window_files_a_ticket_and_a_later_one_does_not(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    store_probes(config, versioned(probes("eastus2", T0 - timedelta(minutes=10), 10), "gpt-4o-2024-08-06"))
    store_probes(config, versioned(probes("swedencentral", T0 - timedelta(minutes=10), 10), "gpt-4o-2024-11-20"))
    within = config.alerts.retiring_within_s // 86400 if config.alerts else 30
    retirements = {
        "gpt-4o-2024-08-06": T0.date() + timedelta(days=within - 1),
        "gpt-4o-2024-11-20": date(2099, 1, 1),
    }
    run(config, environ, T0, retirements=retirements)
    (ticket,) = firing(receiver)
    assert (ticket["alert"], ticket["severity"], ticket["region"]) == ("deployment retiring", "ticket", "eastus2")
    assert "gpt-4o-2024-08-06" in ticket["summary"]


def test_a_page_still_firing_is_sent_again_after_repeat_after_and_a_ticket_is_not(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)  # repeat_after = "4h"
    start = T0 - timedelta(hours=1)
    store_probes(config, probes("eastus2", start, 60) + probes("eastus2", T0, 5 * 60, bad=True))
    store_probes(config, probes("swedencentral", start, 6 * 60))
    run(config, environ, T0 + timedelta(minutes=10))
    first = firing(receiver, "availability burn rate")
    assert sorted(p["severity"] for p in first) == ["page", "ticket"]
    run(config, environ, T0 + timedelta(hours=3))
    assert len(firing(receiver, "availability burn rate")) == 2  # still firing, inside repeat_after
    run(config, environ, T0 + timedelta(hours=4, minutes=11))
    again = firing(receiver, "availability burn rate")[2:]
    assert [(p["severity"], p["dedup_key"]) for p in again] == [
        ("page", next(p["dedup_key"] for p in first if p["severity"] == "page"))
    ]
