"""`[alerts]` validated like every other table: every problem at once, each naming file, field, fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.app.cli import main
from aoai_watch.failover.config import ConfigError
from aoai_watch.probes.alert_settings import parse_alerts, parse_duration_s

REGION = """
[[regions]]
name = "eastus2"
endpoint = "https://contoso-eastus2.openai.azure.com"
api_key_env = "AOAI_KEY_EASTUS2"
[regions.deployments]
gpt-4o = "gpt-4o"
"""


def test_defaults_and_durations() -> None:
    settings = parse_alerts({"channels": [{"name": "x", "kind": "slack", "url_env": "AOAI_ALERT_SLACK"}]}, Path("f"))
    assert settings is not None
    assert (settings.min_bad_events, settings.silence_after_s, settings.repeat_after_s) == (3, 300, 4 * 3600)
    assert settings.channels[0].severities == ("page", "ticket")
    assert parse_alerts(None, Path("f")) is None
    assert parse_duration_s("90s", "f", "x") == 90 and parse_duration_s("1d", "f", "x") == 86400
    with pytest.raises(ConfigError, match=r'alerts\.silence_after: must be a duration such as "90s"'):
        parse_alerts({"silence_after": 300}, Path("f"))


def test_check_config_reports_every_alerts_problem_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        REGION
        + """
[alerts]
min_bad_event = 3
[[alerts.channels]]
name = "a"
kind = "pagerduti"
url_env = "AOAI_ALERT_PD"
[[alerts.channels]]
name = "b"
kind = "slack"
[[alerts.channels]]
name = "c"
kind = "teams"
url_env = "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual?sig=s3cr3t"
[[alerts.channels]]
name = "d"
kind = "pagerduty"
url_env = "d3adb33fc0ffee00d3adb33fc0ffee00"
"""
    )
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 5, err
    assert "alerts.min_bad_event: unknown key (did you mean min_bad_events?)" in err
    assert "alerts.channels[0] (a).kind: must be one of webhook, slack, teams, pagerduty; got 'pagerduti'" in err
    assert "(did you mean pagerduty?)" in err
    assert "alerts.channels[1] (b).url_env: required: the name of the environment variable" in err
    assert "alerts.channels[2] (c).url_env: this is a URL, not the name of an environment variable" in err
    assert "alerts.channels[3] (d).url_env: this is a key, not the name" in err
    assert "s3cr3t" not in err and "d3adb33f" not in err  # a pasted secret is never repeated back


def test_check_config_lists_the_channels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "good.toml"
    path.write_text(
        REGION + '[alerts]\n[[alerts.channels]]\nname = "oncall"\nkind = "pagerduty"\n'
        'url_env = "AOAI_ALERT_PAGERDUTY_KEY"\nseverities = ["page"]\n'
    )
    assert main(["check-config", str(path)]) == 0
    assert "alerts -> oncall       pagerduty $AOAI_ALERT_PAGERDUTY_KEY (variable not set here)  page" in (
        capsys.readouterr().out
    )
