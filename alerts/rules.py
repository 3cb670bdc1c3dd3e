"""The alert rules: pure functions from the `Facts` of one moment to the conditions true at it.
A rule is data plus one function; `RULES` lists them by name, and `conditions` runs them all.

- availability / latency burn rate: per region and the failover composite, from the multiwindow
  table of probes/slo.py (the Overview's), one alert per SLO x region x severity: it fires while any
  row of that severity fires, low-traffic guard included (`min_bad_events`).
- prober silent (page): no probe row for `silence_after`, or none ever.
- model version changed (ticket): a `model_changes` row in the last day.
- drill failed (ticket): a drill's latest run in the last week failed.
- deployment retiring (ticket): the version a deployment answers with retires (Microsoft's
  published date, chaos/simulator/lifecycle.py) within `retiring_within`, or already has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..probes import slo
from ..probes.alert_settings import AlertSettings
from ..probes.config import SloTargets
from .facts import Facts
from .model import Condition

__all__ = ["RULES", "RuleContext", "conditions"]

AVAILABILITY, LATENCY = "availability burn rate", "latency burn rate"
SILENT, MODEL_CHANGED, DRILL_FAILED, RETIRING = (
    "prober silent",
    "model version changed",
    "drill failed",
    "deployment retiring",
)
ALL_REGIONS = "all"  # the region of an alert about no region in particular


@dataclass(frozen=True)
class RuleContext:
    settings: AlertSettings
    slo: SloTargets
    retirements: Mapping[str, dt.date]  # model version -> the day inference ends


Rule = Callable[[Facts, RuleContext], list[Condition]]


def _burn(name: str, which: str) -> Rule:
    def rule(facts: Facts, ctx: RuleContext) -> list[Condition]:
        target = ctx.slo.availability_target if which == "availability" else ctx.slo.latency_target
        found = []
        for region, counts in facts.counts.items():
            slis = counts.availability if which == "availability" else counts.latency
            states = slo.alert_states(slis, target, min_bad_events=ctx.settings.min_bad_events)
            for severity in dict.fromkeys(s.row.severity for s in states):
                firing = [s for s in states if s.row.severity == severity and s.firing]
                if not firing:
                    continue
                s = firing[0]  # the fastest firing row of the severity
                long_sli = slis[s.row.long_window_s]
                long_w, short_w = slo.window_label(s.row.long_window_s), slo.window_label(s.row.short_window_s)
                windows = f"{long_w} / {short_w}"
                found.append(
                    Condition(
                        dedup_key=f"{which}-burn:{region}:{severity}",
                        rule=name,
                        severity=severity,
                        region=region,
                        summary=(
                            f"{region}: {which} error budget burning at {s.long_burn:.1f}x over {windows} "
                            f"(threshold {s.row.burn_rate:g}x; {long_sli.bad} of {long_sli.valid} probes bad "
                            f"in {long_w}, {s.short_bad} in {short_w})"
                        ),
                        value=round(s.long_burn or 0.0, 3),
                        threshold=s.row.burn_rate,
                    )
                )
        return found

    return rule


def prober_silent(facts: Facts, ctx: RuleContext) -> list[Condition]:
    limit_s = ctx.settings.silence_after_s
    if facts.last_probe_ts is not None:
        silent_s = (facts.now - facts.last_probe_ts).total_seconds()
        if silent_s < limit_s:
            return []
        summary = f"no probe row for {silent_s / 60:.0f} min (last at {facts.last_probe_ts:%Y-%m-%d %H:%M} UTC)"
    else:
        silent_s, summary = limit_s, "no probe row at all: the prober never wrote to this database"
    summary += "; is the cron job or `probe --every` running, the machine up, the database writable?"
    return [
        Condition("prober-silent", SILENT, "page", ALL_REGIONS, summary, value=round(silent_s, 1), threshold=limit_s)
    ]


def model_changed(facts: Facts, ctx: RuleContext) -> list[Condition]:
    return [
        Condition(
            f"model-changed:{c.region}:{c.deployment}:{c.new_version}",
            MODEL_CHANGED,
            "ticket",
            c.region,
            f"{c.region}/{c.deployment} answers with model version {c.new_version} since {c.ts:%Y-%m-%d %H:%M} UTC "
            f"(was {c.old_version or 'unknown'})",
        )
        for c in facts.model_changes
    ]


def drill_failed(facts: Facts, ctx: RuleContext) -> list[Condition]:
    return [
        Condition(
            f"drill-failed:{d.drill}",
            DRILL_FAILED,
            "ticket",
            ALL_REGIONS,
            f"drill {d.drill} failed at {d.started:%Y-%m-%d %H:%M} UTC (run {d.run_id})"
            + (f": {d.error[:200]}" if d.error else ""),
        )
        for d in facts.drill_runs
        if not d.passed
    ]


def deployment_retiring(facts: Facts, ctx: RuleContext) -> list[Condition]:
    found = []
    within_days = ctx.settings.retiring_within_s / 86400
    for (region, deployment), version in sorted(facts.versions.items()):
        retires = ctx.retirements.get(version)
        if retires is None:
            continue
        days = (retires - facts.now.date()).days
        if days > within_days:
            continue
        when = f"retires on {retires} (in {days} days)" if days >= 0 else f"retired on {retires}"
        found.append(
            Condition(
                f"retiring:{region}:{deployment}:{version}",
                RETIRING,
                "ticket",
                region,
                f"{region}/{deployment} answers with {version}, which {when}: upgrade the deployment",
                value=float(days),
                threshold=within_days,
            )
        )
    return found


RULES: dict[str, Rule] = {
    AVAILABILITY: _burn(AVAILABILITY, "availability"),
    LATENCY: _burn(LATENCY, "latency"),
    SILENT: prober_silent,
    MODEL_CHANGED: model_changed,
    DRILL_FAILED: drill_failed,
    RETIRING: deployment_retiring,
}


def conditions(facts: Facts, ctx: RuleContext) -> list[Condition]:
    """Every rule's conditions at `facts.now`, one per dedup key."""
    found = {c.dedup_key: c for rule in RULES.values() for c in rule(facts, ctx)}
    return list(found.values())
