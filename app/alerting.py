"""The command line's side of alerting: one evaluation with Microsoft's published retirement
dates (chaos/simulator/lifecycle.py), and its report as lines for a terminal or a cron log.
Nothing printed holds a secret: requests show each secret's variable name (dry runs), and
answers are masked before they are stored (aoai_watch.alerts.deliver)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TextIO

from ..alerts.run import RunReport, evaluate
from ..chaos.simulator.lifecycle import DEFAULT_LIFECYCLES
from ..probes.config import AppConfig

__all__ = ["print_report", "published_retirements", "run_alerts"]


def published_retirements() -> dict[str, dt.date]:
    return {version: lc.deprecation_inference for version, lc in DEFAULT_LIFECYCLES.items()}


def run_alerts(config: AppConfig, at: dt.datetime | None = None, dry_run: bool = False) -> RunReport:
    return evaluate(config, now=at, dry_run=dry_run, retirements=published_retirements())


def print_report(report: RunReport, stamp: str = "", out: TextIO = sys.stdout) -> None:
    """One line per condition (dry runs), per delivery tried, and a summary."""
    if report.skipped:
        print(f"{stamp}aoai-watch alert: {report.skipped}", file=sys.stderr, flush=True)
        return
    at = report.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if report.dry_run:
        for c in report.conditions:
            print(f"{stamp}{c.severity:<6} {c.rule}: {c.summary}", file=out)
    for o in report.outcomes:
        d = o.delivery
        line = f"{stamp}{d.status:<8} {o.alert.severity:<6} {o.alert.rule} ({o.alert.region}) -> {d.channel} [{d.kind}]"
        if o.request is not None:
            # a dry run's request holds variable names, never secrets: its URL is shown
            print(f"{line}: would POST to {o.request.url}: {json.loads(o.request.body)}", file=out)
            continue
        shown = f" HTTP {d.http_status}" if d.http_status else ""
        answer = f": {d.answer}" if d.answer and d.state != "delivered" else ""
        print(f"{line}: {d.state}{shown} after {d.attempts} attempt(s){answer}", file=out)
    firing = len(report.conditions)
    verb = "would send" if report.dry_run else "sent or retried"
    print(f"{stamp}alerts at {at}: {firing} condition(s) true; {len(report.outcomes)} notification(s) {verb}", file=out)
    out.flush()
