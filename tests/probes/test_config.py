"""The whole config file's numbers ([probes], [slo], [prices], [monitor]): the one number rule of
failover.config (finite, in range, booleans refused), each error naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover.config import ConfigError
from aoai_watch.probes.config import load_config

EXAMPLE = Path(__file__).parents[2] / "data" / "aoai-watch.example.toml"
REGION = (
    '[[regions]]\nname = "x"\nendpoint = "https://x.openai.azure.com"\napi_key_env = "K"\n'
    '[regions.deployments]\ngpt-4o = "d"\n\n'
)
RID = (
    "/subscriptions/5f1c0d2e-0000-4000-8000-00000000a0a1/resourceGroups/g"
    "/providers/Microsoft.CognitiveServices/accounts/a"
)

MONITOR = f'[monitor.regions.x]\nresource_id = "{RID}"\nlocation = "eastus2"'


def test_example_values_load_as_before() -> None:
    config = load_config(EXAMPLE)
    assert (config.probes.every_s, config.probes.timeout_s, config.probes.max_tokens) == (60.0, 30.0, 8)
    assert (config.slo.availability_target, config.slo.latency_threshold_s, config.slo.window_days) == (0.999, 2.0, 30)
    assert config.failover.read_timeout_s == 30 and config.monitor is not None
    assert config.monitor.ingestion_lag_s == 300.0


BAD = {
    "probes.timeout_s": "[probes]\ntimeout_s = nan",
    "probes.every_s": "[probes]\nevery_s = nan",
    "probes.every_s ": "[probes]\nevery_s = inf",
    "probes.timeout_s ": "[probes]\ntimeout_s = inf",
    "probes.timeout_s  ": "[probes]\ntimeout_s = 1e9",
    "probes.max_tokens": "[probes]\nmax_tokens = nan",
    "failover.read_timeout_s": "[failover]\nread_timeout_s = inf",
    "slo.latency.threshold_s": "[slo.latency]\nthreshold_s = nan",
    "slo.latency.threshold_s ": "[slo.latency]\nthreshold_s = inf",
    "slo.availability.target": "[slo.availability]\ntarget = nan",
    "slo.latency.window": '[slo.latency]\nwindow = "99999999999999999999d"',
    "prices.gpt-4o.input": "[prices.gpt-4o]\ninput = inf\noutput = 1",
    "prices.gpt-4o.output": "[prices.gpt-4o]\ninput = 1\noutput = nan",
    "monitor.credential_timeout_s": f"[monitor]\ncredential_timeout_s = inf\n{MONITOR}",
    "monitor.ingestion_lag_s": f"[monitor]\ningestion_lag_s = nan\n{MONITOR}",
}


@pytest.mark.parametrize("field", BAD, ids=list(BAD))
def test_each_non_finite_or_huge_number_names_the_file_and_field(tmp_path: Path, field: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(REGION + BAD[field] + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.field == field.strip() and str(path) in str(err.value)
    assert "must be a" in err.value.problem and "\n" not in str(err.value)
