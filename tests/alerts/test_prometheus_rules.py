"""`aoai-watch slo rules` checked by the real promtool: the generated file passes `promtool check
rules`, and `promtool test rules` feeds it probes at one a minute (an outage, a single failed
probe, latency over the threshold, a prober that stops) and asserts which alerts fire.

The unit-tested copy of the rules leaves the alerts' annotations out: promtool compares them too,
and their text carries Prometheus' extrapolated $value; `promtool check rules` checks them (their
templates included) on the file as generated.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from aoai_watch.alerts.prometheus import ALERT_NAMES, SILENT_ALERT, rule_groups
from aoai_watch.probes import slo
from aoai_watch.probes.alert_settings import AlertSettings
from aoai_watch.probes.config import SloTargets

from tests.conftest import AOAI, cli_env

PROMTOOL = shutil.which("promtool") or "promtool"  # `make test` installs Debian's prometheus package
TARGET = 'region="eastus2",deployment="gpt-4o",kind="chat",prober="p"'
LAST = 'aoai_probe_last_timestamp_seconds{region="eastus2",kind="chat",prober="p"}'
CONFIG = """
[[regions]]
name = "eastus2"
endpoint = "https://eastus2.example.openai.azure.com"
api_key_env = "AOAI_KEY"
[regions.deployments]
gpt-4o = "gpt-4o"
"""


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def _rules_without_annotations(settings: AlertSettings) -> dict[str, Any]:
    document = rule_groups(SloTargets(), settings)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return document


def _burn_labels(name: str, severities: tuple[str, ...] = ("page", "ticket")) -> list[dict[str, Any]]:
    """The labels of every table row of `severities` firing for eastus2: one alert per row."""
    return [
        {
            "exp_labels": {
                "region": "eastus2",
                "severity": row.severity,
                "slo": name,
                "long_window": slo.window_label(row.long_window_s),
                "short_window": slo.window_label(row.short_window_s),
                "burn_rate": f"{row.burn_rate:g}",
            }
        }
        for row in slo.ALERT_ROWS
        if row.severity in severities
    ]


def _run_unit_tests(tmp_path: Path, tests: list[dict[str, Any]], settings: AlertSettings | None = None) -> str:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(_rules_without_annotations(settings or AlertSettings())))
    (tmp_path / "tests.yml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests})
    )
    result = _promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _requests(outcome: str, values: str) -> dict[str, str]:
    return {"series": f'aoai_probe_requests_total{{{TARGET},outcome="{outcome}"}}', "values": values}


def _alive(minutes: int = 120) -> dict[str, str]:
    """The prober's last-probe timestamp, advancing once a minute: it is not silent."""
    return {"series": LAST, "values": f"0+60x{minutes}"}


def test_generated_rules_pass_promtool_check_rules(tmp_path: Path) -> None:
    config = tmp_path / "aoai-watch.toml"
    config.write_text(CONFIG)
    out = tmp_path / "rules.yml"
    result = subprocess.run(
        [AOAI, "slo", "rules", "--config", str(config), "--format", "prometheus", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(),
    )
    assert result.returncode == 0, result.stderr
    checked = _promtool("check", "rules", str(out), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    document = yaml.safe_load(out.read_text())
    rules = [r for g in document["groups"] for r in g["rules"]]
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout
    # one recording rule per SLO and window of the table, one alert per SLO and table row
    windows = slo.windows()
    for name in ("availability", "latency"):
        records = {r["record"] for r in rules if "record" in r}
        assert {f"region:aoai_probe_{name}_errors:ratio_rate{slo.window_label(w)}" for w in windows} <= records
        alerts = [r for r in rules if r.get("alert") == ALERT_NAMES[name]]
        assert [(a["labels"]["long_window"], a["labels"]["severity"]) for a in alerts] == [
            (slo.window_label(row.long_window_s), row.severity) for row in slo.ALERT_ROWS
        ]
        assert all(">= 3" in a["expr"] for a in alerts)  # the low-traffic guard, [alerts]' default
    assert [r["alert"] for r in rules if r.get("alert") == SILENT_ALERT] == [SILENT_ALERT]
    # standard output without -o: the same document
    printed = subprocess.run(
        [AOAI, "slo", "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, env=cli_env()
    )
    assert printed.returncode == 0 and yaml.safe_load(printed.stdout) == document


def test_an_outage_at_one_probe_a_minute_fires_every_row(tmp_path: Path) -> None:
    # an hour of good probes, then every probe fails (from minute 60 on)
    everything = _burn_labels("availability")
    tests = [
        {
            "interval": "1m",
            "input_series": [_requests("ok", "0+1x59 60x60"), _requests("server_error", "0x59 1+1x60"), _alive()],
            "alert_rule_test": [
                {"eval_time": "61m", "alertname": ALERT_NAMES["availability"], "exp_alerts": []},  # 2 bad: guarded
                {"eval_time": "62m", "alertname": ALERT_NAMES["availability"], "exp_alerts": everything},  # the 3rd
                {
                    "eval_time": "70m",
                    "alertname": ALERT_NAMES["availability"],
                    "exp_alerts": _burn_labels("availability"),
                },
                {"eval_time": "70m", "alertname": SILENT_ALERT, "exp_alerts": []},
            ],
        }
    ]
    assert "SUCCESS" in _run_unit_tests(tmp_path, tests)


def test_a_single_failed_probe_pages_no_one(tmp_path: Path) -> None:
    # one a minute for two hours; the probe at minute 61 fails, the rest succeed
    single = [_requests("ok", "0+1x60 60+1x59"), _requests("server_error", "0x60 1x59")]
    times = ("61m", "62m", "65m", "70m", "90m")
    tests = [
        {
            "interval": "1m",
            "input_series": single,
            "alert_rule_test": [
                {"eval_time": t, "alertname": ALERT_NAMES["availability"], "exp_alerts": []} for t in times
            ],
        }
    ]
    assert "SUCCESS" in _run_unit_tests(tmp_path, tests)
    # the guard is what holds it back: without it (min_bad_events = 0) the same probe pages
    tests[0]["alert_rule_test"] = [
        {
            "eval_time": "62m",
            "alertname": ALERT_NAMES["availability"],
            "exp_alerts": _burn_labels("availability"),
        }
    ]
    assert "SUCCESS" in _run_unit_tests(tmp_path, tests, AlertSettings(min_bad_events=0))


def test_latency_over_the_threshold_fires_the_latency_alert(tmp_path: Path) -> None:
    # an hour of fast answers, then every probe answers in full but slower than 2 s
    def series(outcome: str, suffix: str, values: str) -> dict[str, str]:
        return {"series": f'aoai_probe_duration_seconds_{suffix}{{{TARGET},outcome="{outcome}"}}', "values": values}

    tests = [
        {
            "interval": "1m",
            "input_series": [
                _requests("ok", "0+1x59 60x60"),
                _requests("slow", "0x59 1+1x60"),
                series("ok", "count", "0+1x59 60x60"),
                {
                    **series("ok", "bucket", "0+1x59 60x60"),
                    "series": f'aoai_probe_duration_seconds_bucket{{{TARGET},outcome="ok",le="2.0"}}',
                },
                series("slow", "count", "0x59 1+1x60"),
                {
                    **series("slow", "bucket", "0x120"),
                    "series": f'aoai_probe_duration_seconds_bucket{{{TARGET},outcome="slow",le="2.0"}}',
                },
            ],
            "alert_rule_test": [
                {"eval_time": "70m", "alertname": ALERT_NAMES["latency"], "exp_alerts": _burn_labels("latency")},
                {"eval_time": "70m", "alertname": ALERT_NAMES["availability"], "exp_alerts": []},  # slow is good
            ],
        }
    ]
    assert "SUCCESS" in _run_unit_tests(tmp_path, tests)


def test_a_prober_that_stops_is_silent_and_no_prober_at_all_too(tmp_path: Path) -> None:
    silent = {"severity": "page", "region": "all"}
    tests = [
        {  # probes once a minute for half an hour, then stops (its series goes stale)
            "interval": "1m",
            "input_series": [{"series": LAST, "values": "0+60x30"}],
            "alert_rule_test": [
                {"eval_time": "33m", "alertname": SILENT_ALERT, "exp_alerts": []},
                {
                    "eval_time": "40m",
                    "alertname": SILENT_ALERT,
                    "exp_alerts": [{"exp_labels": {**silent, "prober": "p"}}],
                },
            ],
        },
        {  # nothing was ever scraped
            "interval": "1m",
            "input_series": [_requests("ok", "0+1x20")],
            "alert_rule_test": [
                {"eval_time": "10m", "alertname": SILENT_ALERT, "exp_alerts": [{"exp_labels": silent}]}
            ],
        },
    ]
    assert "SUCCESS" in _run_unit_tests(tmp_path, tests)


def test_a_threshold_that_is_no_bucket_edge_is_refused_with_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "aoai-watch.toml"
    config.write_text(CONFIG + "\n[slo.latency]\nthreshold_s = 1.7\n")
    result = subprocess.run(
        [AOAI, "slo", "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, env=cli_env()
    )
    assert result.returncode == 2
    assert "slo.latency.threshold_s: must be a bucket edge of aoai_probe_duration_seconds" in result.stderr
    assert "2" in result.stderr and "Traceback" not in result.stderr


def test_targets_and_guard_come_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "aoai-watch.toml"
    config.write_text(CONFIG + "\n[slo.availability]\ntarget = 0.995\n[alerts]\nmin_bad_events = 5\n")
    result = subprocess.run(
        [AOAI, "slo", "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, env=cli_env()
    )
    assert result.returncode == 0, result.stderr
    rules = [r for g in yaml.safe_load(result.stdout)["groups"] for r in g["rules"]]
    availability = [r for r in rules if r.get("alert") == ALERT_NAMES["availability"]]
    latency = [r for r in rules if r.get("alert") == ALERT_NAMES["latency"]]
    assert availability and all("/ (1 - 0.995) >=" in a["expr"] and ">= 5" in a["expr"] for a in availability)
    assert latency and all("/ (1 - 0.99) >=" in a["expr"] for a in latency)  # the default latency target
