"""`aoai-watch slo rules`: the SLOs of `[slo]` and the guard of `[alerts]` as Prometheus rule groups
over the metrics of probes/metrics.py, for Prometheus or Azure Monitor managed Prometheus to
evaluate, the way Sloth and Pyrra generate theirs.

The arithmetic is the built-in alerts' (alerts/rules.py), from the same data: the windows are
`slo.windows()` of `slo.ALERT_ROWS`, a row fires when the burn rate over both its windows reaches
its rate, and only while its short window holds `min_bad_events` bad probes (the low-traffic
guard; 0 turns it off). Per SLO, one group: a recording rule for the error ratio over every window
and for the bad probes over every short window (aggregated by region; the failover composite is
region="failover"), then one alert per table row, its windows and rate as static labels. A third
group holds `AOAIProberSilent`.

Prometheus' increase() extrapolates to the window's edges, so at one probe a minute the guard
counts about, not exactly, the probes the store holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..failover.config import ConfigError
from ..failover.outcomes import GOOD, SUCCESSFUL, promql_regex
from ..probes import slo
from ..probes.alert_settings import AlertSettings
from ..probes.config import SloTargets
from ..probes.metrics import BUCKETS_S, DURATION, LAST_TIMESTAMP, REQUESTS, bucket_label

__all__ = ["ALERT_NAMES", "SILENT_ALERT", "dump_yaml", "rule_groups"]

ALERT_NAMES = {"availability": "AOAIAvailabilityBudgetBurn", "latency": "AOAILatencyBudgetBurn"}
SILENT_ALERT = "AOAIProberSilent"
EVALUATION_INTERVAL = "1m"
# how far back a silent prober's last timestamp is still read: a prober that stopped serving
# /metrics goes stale at once, and its silence must still page
SILENT_LOOKBACK = "1d"


def ratio_record(name: str, window_s: int) -> str:
    return f"region:aoai_probe_{name}_errors:ratio_rate{slo.window_label(window_s)}"


def bad_record(name: str, window_s: int) -> str:
    return f"region:aoai_probe_{name}_bad:increase{slo.window_label(window_s)}"


def _by_region(function: str, selector: str, window_s: int) -> str:
    return f"sum by (region) ({function}({selector}[{slo.window_label(window_s)}]))"


def _selectors(name: str, threshold_le: str) -> tuple[str, str]:
    """(bad events, valid events) for an SLO; latency's bad ones are valid minus fast."""
    if name == "availability":
        return f'{REQUESTS}_total{{outcome!~"{promql_regex(GOOD)}"}}', f"{REQUESTS}_total"
    successful = f'outcome=~"{promql_regex(SUCCESSFUL)}"'
    return f'{DURATION}_bucket{{le="{threshold_le}", {successful}}}', f"{DURATION}_count{{{successful}}}"


def _ratio_expr(name: str, window_s: int, threshold_le: str) -> str:
    first, valid = _selectors(name, threshold_le)
    if name == "availability":  # bad / valid
        return f"{_by_region('rate', first, window_s)}\n/\n{_by_region('rate', valid, window_s)}"
    # 1 - fast / successful, as the built-in SLI (probes/slo.py) has it
    return f"1 - (\n  {_by_region('rate', first, window_s)}\n  /\n  {_by_region('rate', valid, window_s)}\n)"


def _bad_expr(name: str, window_s: int, threshold_le: str) -> str:
    first, valid = _selectors(name, threshold_le)
    if name == "availability":
        return _by_region("increase", first, window_s)
    return f"{_by_region('increase', valid, window_s)}\n-\n{_by_region('increase', first, window_s)}"


def _burn_alert(name: str, row: slo.AlertRow, target: float, min_bad_events: int) -> dict[str, Any]:
    long_w, short_w = slo.window_label(row.long_window_s), slo.window_label(row.short_window_s)
    budget = f"(1 - {target!r})"
    terms = [
        f"{ratio_record(name, row.long_window_s)} / {budget} >= {row.burn_rate!r}",
        f"{ratio_record(name, row.short_window_s)} / {budget} >= {row.burn_rate!r}",
    ]
    if min_bad_events > 0:
        terms.append(f"{bad_record(name, row.short_window_s)} >= {min_bad_events}")
    guard = f", and at least {min_bad_events} bad probes in {short_w}" if min_bad_events > 0 else ""
    return {
        "alert": ALERT_NAMES[name],
        "expr": "\n  and\n".join(terms),
        "labels": {
            "severity": row.severity,
            "slo": name,
            "long_window": long_w,
            "short_window": short_w,
            "burn_rate": f"{row.burn_rate:g}",
        },
        "annotations": {
            "summary": (
                f'{{{{ $labels.region }}}}: {name} error budget burning at {{{{ $value | printf "%.1f" }}}}x '
                f"over {long_w} / {short_w} (threshold {row.burn_rate:g}x)"
            ),
            "description": (
                f"The {name} SLO ({target:.4g}) of {{{{ $labels.region }}}} burns its error budget at "
                f"{row.burn_rate:g}x or faster over both {long_w} and {short_w}{guard}."
            ),
        },
    }


def _silent_alert(settings: AlertSettings) -> dict[str, Any]:
    """A prober whose last probe is older than `silence_after` (read back `SILENT_LOOKBACK`, so a
    prober that stopped serving /metrics still pages, with its name), or, once that is past too, no
    probe series at all (a prober that never reported pages at the first evaluation)."""
    limit_s = settings.silence_after_s
    silence = slo.window_label(int(limit_s)) if limit_s % 60 == 0 else f"{limit_s:g}s"
    fix = "is the cron job or `probe --every` running, the machine up, the exporter scraped?"
    return {
        "alert": SILENT_ALERT,
        "expr": (
            f"time() - max by (prober) (max_over_time({LAST_TIMESTAMP}[{SILENT_LOOKBACK}])) > {limit_s:g}\n"
            f"or\nabsent_over_time({LAST_TIMESTAMP}[{SILENT_LOOKBACK}])"
        ),
        "labels": {"severity": "page", "region": "all"},
        "annotations": {
            "summary": (
                "{{ if $labels.prober }}prober {{ $labels.prober }} has not probed for "
                f"{{{{ $value | humanizeDuration }}}}{{{{ else }}}}no prober has reported a probe for {SILENT_LOOKBACK}"
                "{{ end }}"
            ),
            "description": f"No probe for longer than {silence}; {fix}",
        },
    }


def rule_groups(targets: SloTargets, settings: AlertSettings, path: str | Path = "") -> dict[str, Any]:
    """The rule file as data: {"groups": [...]}. A latency threshold that is not a bucket edge of
    the duration histogram cannot be a rule: ConfigError naming `slo.latency.threshold_s`."""
    if targets.latency_threshold_s not in BUCKETS_S:
        edges = ", ".join(f"{e:g}" for e in BUCKETS_S)
        raise ConfigError(
            path,
            "slo.latency.threshold_s",
            f"must be a bucket edge of {DURATION} to become a Prometheus rule ({edges}); "
            f"got {targets.latency_threshold_s:g}",
        )
    threshold_le = bucket_label(targets.latency_threshold_s)
    windows = slo.windows()
    short_windows = sorted({r.short_window_s for r in slo.ALERT_ROWS})
    groups = []
    for name, target in (("availability", targets.availability_target), ("latency", targets.latency_target)):
        rules: list[dict[str, Any]] = [
            {"record": ratio_record(name, w), "expr": _ratio_expr(name, w, threshold_le)} for w in windows
        ]
        rules += [{"record": bad_record(name, w), "expr": _bad_expr(name, w, threshold_le)} for w in short_windows]
        rules += [_burn_alert(name, row, target, settings.min_bad_events) for row in slo.ALERT_ROWS]
        groups.append({"name": f"aoai-watch-slo-{name}", "interval": EVALUATION_INTERVAL, "rules": rules})
    groups.append({"name": "aoai-watch-prober", "interval": EVALUATION_INTERVAL, "rules": [_silent_alert(settings)]})
    return {"groups": groups}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a YAML double-quoted scalar


def _lines(node: object, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list) and value:
                out.append(f"{pad}{key}:")
                out += _lines(value, indent + 2)
            elif isinstance(value, str) and "\n" in value:
                out.append(f"{pad}{key}: |-")
                out += [f"{pad}  {line}" for line in value.split("\n")]
            else:
                out.append(f"{pad}{key}: {_scalar(value)}")
    elif isinstance(node, list):
        for item in node:
            inner = _lines(item, indent + 2) if isinstance(item, dict | list) else [f"{pad}  {_scalar(item)}"]
            out.append(f"{pad}- {inner[0][indent + 2 :]}")
            out += inner[1:]
    return out


def dump_yaml(document: dict[str, Any]) -> str:
    """The rule file as YAML: block style, strings double-quoted (multi-line ones as `|-` blocks)."""
    return "\n".join(_lines(document, 0)) + "\n"
