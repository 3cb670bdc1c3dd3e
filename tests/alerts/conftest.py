"""A config with the four channel kinds pointed at one local receiver, and probe rows by the minute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aoai_watch.failover.outcomes import Outcome
from aoai_watch.probes.config import AppConfig, load_config
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store

from .receiver import Receiver

T0 = datetime(2026, 12, 2, 3, 0, 0)  # naive UTC, as the store keeps time
SECRETS = {
    "AOAI_ALERT_HOOK": "",  # filled with the receiver's URL + a secret path
    "AOAI_ALERT_SLACK": "",
    "AOAI_ALERT_TEAMS": "",
    "AOAI_ALERT_PD_KEY": "pd0routing0key0d3adb33fc0ffee1234",
    "AOAI_ALERT_HOOK_SECRET": "hmac-s3cret-value-42",
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def environ(receiver: Receiver) -> dict[str, str]:
    env = dict(SECRETS)
    env["AOAI_ALERT_HOOK"] = f"{receiver.url}/hook/T0SECRETPATH0hook"
    env["AOAI_ALERT_SLACK"] = f"{receiver.url}/slack/services/T000/B000/XXXXslacksecret"
    env["AOAI_ALERT_TEAMS"] = f"{receiver.url}/teams/workflows/sig=teamssecret999"
    return env


def write_config(tmp_path: Path, receiver: Receiver, extra: str = "") -> AppConfig:
    text = f"""
database = "{tmp_path / "a.duckdb"}"
[[regions]]
name = "eastus2"
endpoint = "https://contoso-eastus2.openai.azure.com"
api_key_env = "AOAI_KEY_EASTUS2"
priority = 1
[regions.deployments]
gpt-4o = "gpt-4o"
[[regions]]
name = "swedencentral"
endpoint = "https://contoso-sweden.openai.azure.com"
api_key_env = "AOAI_KEY_SWEDEN"
priority = 2
[regions.deployments]
gpt-4o = "gpt-4o"
[probes]
prober = "test-prober"
[alerts]
min_bad_events = 3
silence_after = "5m"
repeat_after = "4h"
dashboard_url = "https://aoai-watch.contoso.net"
timeout_s = 0.5
attempts = 3
{extra}
[[alerts.channels]]
name = "hook"
kind = "webhook"
url_env = "AOAI_ALERT_HOOK"
secret_env = "AOAI_ALERT_HOOK_SECRET"
[[alerts.channels]]
name = "chat"
kind = "slack"
url_env = "AOAI_ALERT_SLACK"
[[alerts.channels]]
name = "team"
kind = "teams"
url_env = "AOAI_ALERT_TEAMS"
[[alerts.channels]]
name = "oncall"
kind = "pagerduty"
url_env = "AOAI_ALERT_PD_KEY"
endpoint = "{receiver.url}/v2/enqueue"
"""
    path = tmp_path / "alerts.toml"
    path.write_text(text)
    return load_config(path)


def probes(region: str, start: datetime, minutes: int, bad: bool = False) -> list[ProbeResult]:
    """One chat probe a minute for `minutes` from `start`; each failed (503) when `bad`."""
    return [
        ProbeResult(
            region=region,
            deployment="gpt-4o",
            kind="chat",
            outcome=Outcome.SERVER_ERROR if bad else Outcome.OK,
            ts=start + timedelta(minutes=i),
            prober="test-prober",
            status_code=503 if bad else 200,
            latency_ms=None if bad else 300.0,
        )
        for i in range(minutes)
    ]


def store_probes(config: AppConfig, rows: list[ProbeResult]) -> None:
    assert Store(config.database).write(rows).written == len(rows)
