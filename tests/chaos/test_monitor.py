"""The simulator's Azure Monitor endpoints as Azure's SDK clients see them: refusals Azure makes
(31-day window, unknown metric, wrong audience, bad KQL), the default of 10 series, and the managed
identity endpoint's check of its secret header."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.chaos.simulator.auth import mint_token
from aoai_watch.chaos.simulator.monitor import resource_id
from aoai_watch.chaos.simulator.simulator import Simulator
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.monitor.query import LogsQueryClient
from azure.monitor.querymetrics import MetricsClient

from ..conftest import KEY, chat, sdk


class Minted:
    """A TokenCredential handing out simulator tokens for one audience."""

    def __init__(self, audience: str | None = None) -> None:
        self.audience = audience

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        audience = self.audience or scopes[0].removesuffix("/.default")
        return AccessToken(mint_token(aud=audience), int(datetime.now(UTC).timestamp()) + 3600)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorThread]:
    regions = [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    with SimulatorThread(regions, monitor_lag_s=0) as sim:
        yield sim


def metrics(sim: SimulatorThread, credential: object | None = None) -> MetricsClient:
    info = sim.simulator.monitor.describe()
    return MetricsClient(
        info["metrics_endpoints"]["eastus2"], credential or Minted(), connection_verify=info["ca_file"]
    )


def query(client: MetricsClient, **kwargs: object):  # type: ignore[no-untyped-def]
    options = {
        "resource_ids": [resource_id("eastus2")],
        "metric_namespace": "Microsoft.CognitiveServices/accounts",
        "metric_names": ["AzureOpenAIRequests"],
        "timespan": timedelta(hours=1),
        "granularity": timedelta(minutes=1),
        **kwargs,
    }
    return client.query_resources(**options)  # type: ignore[arg-type]


def test_a_query_over_31_days_is_refused(sim: SimulatorThread) -> None:
    with pytest.raises(HttpResponseError) as refused:
        query(metrics(sim), timespan=timedelta(days=32))
    assert refused.value.status_code == 400 and "31 days" in refused.value.response.text()


def test_an_unknown_metric_is_refused_with_the_valid_ones(sim: SimulatorThread) -> None:
    with pytest.raises(HttpResponseError) as refused:
        query(metrics(sim), metric_names=["Latency"])
    assert refused.value.status_code == 400 and "AzureOpenAIRequests" in refused.value.response.text()


def test_a_token_for_another_audience_gets_401(sim: SimulatorThread) -> None:
    with pytest.raises(HttpResponseError) as refused:
        query(metrics(sim, Minted("https://cognitiveservices.azure.com")))
    assert refused.value.status_code == 401


def test_split_series_are_capped_at_ten_unless_more_are_asked_for(sim: SimulatorThread) -> None:
    client = sdk(sim, "eastus2")
    statuses = (400, 403, 404, 408, 409, 422, 500, 502, 503, 504, 507)
    for status in statuses:  # eleven error codes and 200: twelve StatusCode series
        fault = sim.add_fault("http_error", "eastus2", {"status": status})
        with pytest.raises(openai.APIStatusError):
            chat(client)
        sim.clear_fault(fault.id)
    chat(client)
    default = query(metrics(sim), filter="StatusCode eq '*'")[0].metrics[0]
    asked = query(metrics(sim), filter="StatusCode eq '*'", max_results=100)[0].metrics[0]
    assert len(default.timeseries) == 10
    assert sorted(int(t.metadata_values["statuscode"]) for t in asked.timeseries) == sorted([200, *statuses])


def test_points_are_aligned_to_the_time_grain(sim: SimulatorThread) -> None:
    chat(sdk(sim, "eastus2"))
    start = datetime.now(UTC) - timedelta(minutes=7, seconds=13)
    result = query(metrics(sim), timespan=(start, timedelta(minutes=10)))[0]
    stamps = [p.timestamp for p in result.metrics[0].timeseries[0].data]
    assert all(t.second == 0 and t.microsecond == 0 for t in stamps) and len(stamps) == 11


def test_log_analytics_refuses_kql_outside_the_subset_and_answers_the_subset(sim: SimulatorThread) -> None:
    info = sim.simulator.monitor.describe()
    client = LogsQueryClient(
        Minted(),
        endpoint=info["logs_endpoint"],
        audience="https://api.loganalytics.io",
        connection_verify=info["ca_file"],
    )
    raw = sdk(sim, "swedencentral").chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "ping"}]
    )
    answer = client.query_workspace(
        info["workspace_id"],
        f"AzureDiagnostics | where _ResourceId =~ '{resource_id('swedencentral').upper()}' | project CorrelationId",
        timespan=timedelta(hours=1),
    )
    assert [raw.headers["apim-request-id"]] in [list(row) for row in answer.tables[0].rows]
    with pytest.raises(HttpResponseError) as refused:
        client.query_workspace(
            info["workspace_id"], "AzureDiagnostics | summarize count()", timespan=timedelta(hours=1)
        )
    assert refused.value.status_code == 400


def test_the_identity_endpoint_wants_its_secret_header(sim: SimulatorThread) -> None:
    info = sim.simulator.monitor.describe()
    url = f"{info['identity_endpoint']}?api-version=2019-08-01&resource=https://metrics.monitor.azure.com"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, headers={"X-IDENTITY-HEADER": "wrong"}), timeout=5)
    assert refused.value.code == 400
    good = urllib.request.urlopen(
        urllib.request.Request(url, headers={"X-IDENTITY-HEADER": info["identity_header"]}), timeout=5
    )
    assert json.loads(good.read())["token_type"] == "Bearer"


def test_a_simulator_without_monitor_serves_no_monitor() -> None:
    with SimulatorThread([default_region("eastus2", KEY, latency_scale=0)]) as plain:
        assert isinstance(plain.simulator, Simulator) and plain.simulator.monitor is None
        with pytest.raises(urllib.error.HTTPError) as absent:
            urllib.request.urlopen(f"{plain.control_url}/monitor", timeout=5)
        assert absent.value.code == 404
