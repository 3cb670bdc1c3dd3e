"""Reading Azure Monitor through Azure's own SDK clients, and saying clearly what went wrong.

Metrics: `azure.monitor.querymetrics.MetricsClient` (the batch API at the resource's regional
endpoint; azure-monitor-query 2.x no longer has a metrics client). Logs:
`azure.monitor.query.LogsQueryClient` over `AzureDiagnostics`. Both get Entra tokens from one
credential (DefaultAzureCredential unless one is passed in), every token call bounded in time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .settings import MonitorSettings, RegionMonitor

__all__ = ["BoundedCredential", "MonitorError", "explain", "fetch_logs", "fetch_metrics", "metrics_client"]

NAMESPACE = "Microsoft.CognitiveServices/accounts"
LOGS_AUDIENCE = "https://api.loganalytics.io"
# (metric names, aggregation, filter): two queries per window; Azure splits by the filter's '*' dimensions
QUERIES = (
    (
        ("AzureOpenAIRequests", "ProcessedPromptTokens", "GeneratedTokens"),
        "Total",
        "StatusCode eq '*' and ModelDeploymentName eq '*'",
    ),
    # the latency metrics exist only for provisioned deployments: Standard ones answer with no series
    (
        ("AzureOpenAIAvailabilityRate", "AzureOpenAITimeToResponse", "AzureOpenAITTLTInMS"),
        "Average",
        "ModelDeploymentName eq '*'",
    ),
)
MAX_SERIES = 1000  # the batch API returns only 10 time series per metric unless asked for more
KQL = (
    "AzureDiagnostics | where _ResourceId =~ '{resource_id}' and Category == 'RequestResponse' "
    "| project TimeGenerated, CorrelationId, OperationName, ResultSignature, DurationMs, properties_s"
)


class MonitorError(Exception):
    """What went wrong for one region, and the fix; never a token."""


class BoundedCredential:
    """A TokenCredential whose `get_token` returns within `timeout_s` or raises MonitorError.

    The call runs in a daemon thread: a credential hung on an unreachable managed-identity endpoint
    neither blocks the import nor keeps the process alive at exit.
    """

    def __init__(self, inner: Any, timeout_s: float) -> None:
        self.inner = inner
        self.timeout_s = timeout_s

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        box: dict[str, Any] = {}

        def fetch() -> None:
            try:
                box["token"] = self.inner.get_token(*scopes, **kwargs)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        thread = threading.Thread(target=fetch, name="aoai-monitor-credential", daemon=True)
        thread.start()
        thread.join(self.timeout_s)
        if thread.is_alive():
            raise MonitorError(
                f"no Azure credential produced a token within {self.timeout_s:g} s. Fix: sign in with "
                "`az login`, or run where a managed identity is assigned, or set AZURE_TENANT_ID, "
                "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; [monitor] credential_timeout_s sets this bound"
            )
        if "error" in box:
            raise box["error"]
        return box["token"]

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def default_credential(settings: MonitorSettings) -> BoundedCredential:
    from azure.identity import DefaultAzureCredential

    return BoundedCredential(DefaultAzureCredential(), settings.credential_timeout_s)


def _transport_options(settings: MonitorSettings) -> dict[str, Any]:
    return {"connection_verify": str(settings.ca_file)} if settings.ca_file else {}


def metrics_client(region: RegionMonitor, credential: Any, settings: MonitorSettings) -> Any:
    from azure.monitor.querymetrics import MetricsClient

    return MetricsClient(region.metrics_endpoint, credential, **_transport_options(settings))


def logs_client(credential: Any, settings: MonitorSettings) -> Any:
    from azure.monitor.query import LogsQueryClient

    # the audience stays Log Analytics' even when the endpoint is another host (a simulator, a proxy)
    return LogsQueryClient(
        credential, endpoint=settings.logs_endpoint, audience=LOGS_AUDIENCE, **_transport_options(settings)
    )


def fetch_metrics(
    client: Any, region: RegionMonitor, start: datetime, end: datetime, settled_before: datetime, now: datetime
) -> list[dict[str, Any]]:
    """One-minute points of every metric in QUERIES for [start, end): rows for monitor_metrics."""
    rows: dict[tuple[str, datetime, str, str], dict[str, Any]] = {}
    for names, aggregation, filter_ in QUERIES:
        results = client.query_resources(
            resource_ids=[region.resource_id],
            metric_namespace=NAMESPACE,
            metric_names=list(names),
            timespan=(start, end),
            granularity=timedelta(minutes=1),
            aggregations=[aggregation],
            filter=filter_,
            max_results=MAX_SERIES,
        )
        for result in results:
            for metric in result.metrics:
                for series in metric.timeseries:
                    dims = {k.lower(): v for k, v in (series.metadata_values or {}).items()}
                    for point in series.data:
                        value = point.total if aggregation == "Total" else point.average
                        # Azure fills every minute of a count series; its zeros are not worth a row
                        if value is None or point.timestamp is None or (aggregation == "Total" and value == 0):
                            continue
                        ts = point.timestamp.astimezone(UTC).replace(tzinfo=None)
                        key = (metric.name, ts, dims.get("modeldeploymentname", ""), dims.get("statuscode", ""))
                        rows[key] = {
                            "region": region.region,
                            "metric": metric.name,
                            "ts": ts,
                            "deployment": key[2],
                            "status_code": key[3],
                            "value": float(value),
                            "unit": str(metric.unit) if metric.unit else None,
                            "resource_id": region.resource_id,
                            "settled": ts + timedelta(minutes=1) <= settled_before,
                            "imported_at": now,
                        }
    return list(rows.values())


def fetch_logs(
    client: Any, region: RegionMonitor, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """The region's RequestResponse log rows in [start, end): rows for monitor_requests."""
    assert region.workspace_id is not None
    response = client.query_workspace(
        region.workspace_id, KQL.format(resource_id=region.resource_id.replace("'", "")), timespan=(start, end)
    )
    tables = getattr(response, "tables", None) or getattr(response, "partial_data", None) or []
    rows: dict[str, dict[str, Any]] = {}
    for table in tables:
        for row in table.rows:
            record = dict(zip(table.columns, row, strict=False))
            request_id = record.get("CorrelationId")
            if not request_id:
                continue
            try:
                properties = json.loads(record.get("properties_s") or "{}")
            except ValueError:
                properties = {}
            properties = properties if isinstance(properties, dict) else {}
            ts = record["TimeGenerated"]
            ts = ts.astimezone(UTC).replace(tzinfo=None) if isinstance(ts, datetime) else ts
            signature = str(record.get("ResultSignature") or "")
            rows[str(request_id)] = {
                "region": region.region,
                "request_id": str(request_id),
                "ts": ts,
                "operation": record.get("OperationName"),
                "deployment": properties.get("modelDeploymentName"),
                "model": properties.get("modelName"),
                "status_code": int(signature) if signature.isdigit() else None,
                "duration_ms": float(record["DurationMs"]) if record.get("DurationMs") is not None else None,
                "stream_type": properties.get("streamType"),
                "resource_id": region.resource_id,
                "imported_at": now,
            }
    return list(rows.values())


def explain(exc: BaseException, region: RegionMonitor, api: str, redact: Callable[[str], str] = str) -> str:
    """One line: what failed for this region and API ("metrics" or "logs"), and how to fix it."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    where = f"region {region.region} ({api})"
    if isinstance(exc, MonitorError):
        return f"{where}: {exc}"
    status = getattr(exc, "status_code", None)
    code, message = _service_error(exc)
    if status is None and isinstance(exc, ClientAuthenticationError):
        from ...failover.auth import credential_failure

        return (
            f"{where}: no Azure credential is available ({redact(credential_failure(exc))}). "
            "Fix: `az login`, a managed identity, "
            "or AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET in the environment"
        )
    if status == 401:
        return (
            f"{where}: Azure refused the token ({code}). Fix: sign in to the tenant that owns "
            f"{region.resource_id.split('/')[2]} (az login --tenant ...)"
        )
    if status == 403:
        if api == "logs":
            return (
                f"{where}: the identity may not query workspace {region.workspace_id} ({code}). Fix: grant it "
                "'Log Analytics Reader' (or 'Monitoring Reader') on the workspace"
            )
        return (
            f"{where}: the identity lacks the Monitoring Reader role ({code}). Fix: az role assignment create "
            f"--assignee <principal id> --role 'Monitoring Reader' --scope {region.resource_id}  "
            "(role assignments can take minutes to apply)"
        )
    if status == 404 and api == "logs":
        return f"{where}: workspace {region.workspace_id} not found ({code}). Fix: use the workspace's customerId GUID"
    if status == 404:
        return (
            f"{where}: resource {region.resource_id} not found ({code}). Fix: check resource_id "
            "(az cognitiveservices account show -n NAME -g GROUP --query id -o tsv)"
        )
    if status == 400 and api == "metrics" and ("region" in message.lower() or "location" in message.lower()):
        return (
            f"{where}: the metrics endpoint {region.metrics_endpoint} does not serve this resource's region: "
            f"{redact(message)} Fix: set location (and metrics_endpoint) in [monitor.regions.{region.region}] to "
            "the resource's region (az resource show --ids ID --query location -o tsv)"
        )
    if isinstance(exc, HttpResponseError) and status is not None:
        return f"{where}: Azure Monitor answered {status} {code}: {redact(message)}"
    if isinstance(exc, ServiceRequestError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return (
                f"{where}: the endpoint's TLS certificate is not trusted. Fix: set [monitor] ca_file to the CA's "
                "PEM file (the simulator prints its own)"
            )
        endpoint = region.metrics_endpoint if api == "metrics" else "the Log Analytics endpoint"
        return f"{where}: cannot reach {endpoint} ({type(exc).__name__}). Fix: check the endpoint and the network"
    return f"{where}: {type(exc).__name__}: {redact(str(exc))}"


def _service_error(exc: BaseException) -> tuple[str, str]:
    """Azure's error code and message: `{"code", "message"}` (metrics) or `{"error": {...}}` (logs)."""
    response = getattr(exc, "response", None)
    body: Any = None
    if response is not None:
        try:
            body = json.loads(response.text())
        except (ValueError, TypeError, AttributeError):
            body = None
    if isinstance(body, dict):
        error = body.get("error")
        inner = error if isinstance(error, dict) else body
        return str(inner.get("code", "")), str(inner.get("message", ""))
    return "", str(getattr(exc, "message", "") or exc)
