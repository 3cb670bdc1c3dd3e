"""Azure Monitor in front of the simulated regions, over HTTPS with a throw-away certificate authority.

- Metrics batch API, one HTTPS endpoint per region (Azure's https://{region}.metrics.monitor.azure.com):
  `POST /subscriptions/{sub}/metrics:getBatch?metricnamespace&metricnames&starttime&endtime&interval
  &aggregation&filter&top&api-version` with `{"resourceids": [...]}`; errors `{"code", "message"}`.
- Log Analytics query API (Azure's https://api.loganalytics.io): `POST /v1/workspaces/{id}/query`
  with `{"query", "timespan"}`; errors `{"error": {"code", "message"}}`. One workspace collects every
  region's `AzureDiagnostics` rows.
- An App Service-style managed identity endpoint on the control port (`GET /msi/token`, header
  `X-IDENTITY-HEADER`): with `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` set, azure-identity's
  DefaultAzureCredential gets its tokens here, so the real credential chain runs unchanged.

Both APIs check, in Azure's order: a bearer token for their audience (401), the Monitoring Reader
role (403, switchable through the control API), then the query. Numbers come from what the regions
answered, visible only `lag_s` after a request arrived (Azure's ingestion lag; about 3 minutes).
azure-core sends bearer tokens over HTTPS only, hence TLS even on 127.0.0.1: clients trust `ca_file`.
"""

from __future__ import annotations

import abc
import json
import re
import secrets
import ssl
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import asgi, auth, logs, metrics
from .listener import Listener

if TYPE_CHECKING:
    from .simulator import Simulator

SUBSCRIPTION_ID = "5f1c0d2e-0000-4000-8000-00000000a0a1"
RESOURCE_GROUP = "aoai-watch-sim"
WORKSPACE_ID = "0b5e7f00-0000-4000-8000-00000000a0a2"
IDENTITY_OBJECT_ID = "6d7a1f3c-0000-4000-8000-00000000a0a3"
METRICS_AUDIENCE = "https://metrics.monitor.azure.com"
LOGS_AUDIENCE = "https://api.loganalytics.io"
DEFAULT_LAG_S = 180.0
_BATCH_PATH = re.compile(r"/subscriptions/([^/]+)/metrics:getBatch")
_QUERY_PATH = re.compile(r"/v1/workspaces/([^/]+)/query")


def resource_id(region: str) -> str:
    """The simulated Azure OpenAI account behind `region`."""
    return (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}"
        f"/providers/Microsoft.CognitiveServices/accounts/sim-{region}"
    )


class Monitor:
    """The monitor endpoints of one simulator. `monitoring_reader` False answers 403 everywhere."""

    def __init__(self, sim: Simulator, lag_s: float = DEFAULT_LAG_S) -> None:
        import trustme  # only simulators that serve Azure Monitor need a certificate authority

        self.sim = sim
        self.lag_s = lag_s
        self.monitoring_reader = True
        self.identity_secret = secrets.token_hex(16)
        self.ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._ca_dir = tempfile.TemporaryDirectory(prefix="aoai-sim-ca-")
        self.ca_file = Path(self._ca_dir.name) / "aoai-watch-simulator-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.metrics = {name: Listener(MetricsApp(self, name), tls=context) for name in sim.regions}
        self.logs = Listener(LogsApp(self), tls=context)
        self.resources = {resource_id(name).lower(): name for name in sim.regions}

    @property
    def listeners(self) -> list[Listener]:
        return [*self.metrics.values(), self.logs]

    def describe(self) -> dict[str, Any]:
        return {
            "ca_file": str(self.ca_file),
            "metrics_endpoints": {name: listener.url for name, listener in self.metrics.items()},
            "logs_endpoint": self.logs.url,
            "resource_ids": {name: resource_id(name) for name in self.sim.regions},
            "workspace_id": WORKSPACE_ID,
            "identity_endpoint": f"{self.sim.control.url}/msi/token",
            "identity_header": self.identity_secret,
            "lag_s": self.lag_s,
            "monitoring_reader": self.monitoring_reader,
        }

    def answers(self, region: str) -> list[metrics.Sample]:
        state = self.sim.regions[region]
        return metrics.samples(list(state.log), state.spec.deployments, region, time.time() - self.lag_s)

    # --- the managed identity endpoint (App Service protocol, 2019-08-01) -----------------------

    def identity(self, scope: asgi.Scope) -> tuple[int, Any]:
        if asgi.header(scope, b"x-identity-header") != self.identity_secret:
            return 400, {"statusCode": 400, "message": "X-IDENTITY-HEADER is missing or wrong"}
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        resource = query.get("resource", "")
        if query.get("api-version") != "2019-08-01" or not resource.startswith("https://"):
            return 400, {"statusCode": 400, "message": "api-version=2019-08-01 and a resource are required"}
        expires_on = int(time.time()) + 3600
        token = auth.mint_token(aud=resource.removesuffix("/.default").rstrip("/"), oid=IDENTITY_OBJECT_ID)
        return 200, {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": IDENTITY_OBJECT_ID,
        }

    def denied(self, scope: asgi.Scope, audience: str, scope_text: str, action: str) -> tuple[int, str, str] | None:
        """(status, code, message) when the caller may not read, else None."""
        authorization = asgi.header(scope, b"authorization") or ""
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        if not token or not auth.token_valid(token, audience=audience):
            return 401, "InvalidAuthenticationToken", f"The access token is missing, invalid or not for {audience}."
        if not self.monitoring_reader:
            oid = (auth.decode_claims(token) or {}).get("oid", "unknown")
            return (
                403,
                "AuthorizationFailed",
                f"The client '{oid}' with object id '{oid}' does not have authorization to perform action "
                f"'{action}' over scope '{scope_text}' or the scope is invalid. If access was recently granted, "
                "please refresh your credentials.",
            )
        return None


class _JsonApi(abc.ABC):
    """An HTTPS JSON endpoint: read the body (1 MB at most), `answer(scope, raw)` -> (status, body)."""

    @abc.abstractmethod
    def answer(self, scope: asgi.Scope, raw: bytes) -> tuple[int, Any]: ...

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] != "http":
            return
        try:
            raw = await asgi.read_body(asgi.header(scope, b"content-length"), receive, 1024 * 1024)
        except (asgi.BodyTooLarge, asgi.ClientGone):
            return
        status, body = self.answer(scope, raw)
        await asgi.send_response(send, status, body, self.response_headers())

    def response_headers(self) -> list[tuple[bytes, bytes]]:
        return []


class MetricsApp(_JsonApi):
    """One region's metrics endpoint."""

    def __init__(self, monitor: Monitor, location: str) -> None:
        self.monitor = monitor
        self.location = location

    def response_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-ms-request-id", secrets.token_hex(16).encode())]

    def answer(self, scope: asgi.Scope, raw: bytes) -> tuple[int, Any]:
        match = _BATCH_PATH.fullmatch(scope["path"])
        if scope["method"] != "POST" or not match:
            return 404, _metrics_error("NotFound", f"No route for {scope['method']} {scope['path']}")
        subscription = match.group(1)
        denied = self.monitor.denied(
            scope, METRICS_AUDIENCE, f"/subscriptions/{subscription}", "Microsoft.Insights/metrics/read"
        )
        if denied:
            return denied[0], _metrics_error(denied[1], denied[2])
        try:
            return 200, self.batch(subscription, _query(scope), raw)
        except metrics.BadQuery as exc:
            return 400, _metrics_error("BadRequest", str(exc))
        except LookupError as exc:
            return 404, _metrics_error("ResourceNotFound", str(exc.args[0]))

    def batch(self, subscription: str, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        if "api-version" not in query:
            raise metrics.BadQuery("The api-version query parameter is required.")
        namespace = query.get("metricnamespace", "")
        if namespace.lower() != metrics.NAMESPACE:
            raise metrics.BadQuery(f"Metric namespace '{namespace}' is not valid; use {metrics.NAMESPACE}.")
        names = [n.strip() for n in query.get("metricnames", "").split(",") if n.strip()]
        unknown = [n for n in names if n not in metrics.METRICS]
        if not names or unknown:
            raise metrics.BadQuery(
                f"Failed to find metric configuration for provider: Microsoft.CognitiveServices, resource Type: "
                f"accounts, metric: {', '.join(unknown) or '(none)'}, Valid metrics: {', '.join(metrics.METRICS)}"
            )
        end = metrics.parse_time(query["endtime"]) if "endtime" in query else datetime.now(UTC)
        start = metrics.parse_time(query["starttime"]) if "starttime" in query else end - timedelta(hours=1)
        if end - start > metrics.MAX_TIMESPAN:
            raise metrics.BadQuery(
                f"The time range {metrics.iso(start)}/{metrics.iso(end)} exceeds the maximum of 31 days per query."
            )
        interval = query.get("interval", "PT1M")
        if interval not in metrics.INTERVALS:
            raise metrics.BadQuery(f"Invalid interval {interval!r}; valid: {', '.join(metrics.INTERVALS)}")
        aggregations = [a.strip().lower() for a in query.get("aggregation", "").split(",") if a.strip()]
        if any(a not in metrics.AGGREGATIONS for a in aggregations):
            raise metrics.BadQuery(f"Invalid aggregation {query['aggregation']!r}; valid: {metrics.AGGREGATIONS}")
        # Azure aligns a query to its time grain: points start on whole minutes (hours, days)
        start = metrics.align(start, metrics.INTERVALS[interval])
        wanted = metrics.parse_filter(query.get("filter"))
        top = int(query.get("top", "10")) if query.get("top", "10").isdigit() else 10
        try:
            ids = json.loads(raw or b"{}")["resourceids"]
            assert isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)
        except (ValueError, KeyError, TypeError, AssertionError):
            raise metrics.BadQuery('The body must be {"resourceids": ["/subscriptions/..."]}.') from None
        values = []
        for rid in ids:
            region = self.resolve(subscription, rid)
            answers = self.monitor.answers(region)
            values.append(
                {
                    "starttime": metrics.iso(start),
                    "endtime": metrics.iso(end),
                    "interval": interval,
                    "namespace": metrics.NAMESPACE,
                    "resourceregion": region,
                    "resourceid": rid,
                    "value": [
                        {
                            "id": f"{rid}/providers/Microsoft.Insights/metrics/{name}",
                            "type": "Microsoft.Insights/metrics",
                            "name": {"value": name, "localizedValue": metrics.METRICS[name].display},
                            "displayDescription": metrics.METRICS[name].display,
                            "unit": metrics.METRICS[name].unit,
                            "timeseries": metrics.metric_values(
                                metrics.METRICS[name],
                                answers,
                                start,
                                end,
                                metrics.INTERVALS[interval],
                                aggregations or [metrics.METRICS[name].primary],
                                wanted,
                                top,
                            ),
                            "errorCode": "Success",
                        }
                        for name in names
                    ],
                }
            )
        return {"values": values}

    def resolve(self, subscription: str, rid: str) -> str:
        """The simulated region behind a resource id, checked the way the batch API checks it."""
        if not rid.lower().startswith(f"/subscriptions/{subscription.lower()}/"):
            raise metrics.BadQuery(f"Resource id {rid!r} is not in subscription {subscription} of the request path.")
        if "/providers/microsoft.cognitiveservices/accounts/" not in rid.lower():
            raise metrics.BadQuery(f"Resource id {rid!r} is not a Microsoft.CognitiveServices/accounts resource.")
        region = self.monitor.resources.get(rid.lower())
        if region is None:
            raise LookupError(f"The Resource '{rid}' was not found.")
        if region != self.location:
            raise metrics.BadQuery(
                f"The resource {rid} is in region '{region}', but this is the metrics endpoint of region "
                f"'{self.location}'. Query each resource at the endpoint of its own region."
            )
        return region


class LogsApp(_JsonApi):
    """The Log Analytics query endpoint: one workspace holding every region's AzureDiagnostics."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def answer(self, scope: asgi.Scope, raw: bytes) -> tuple[int, Any]:
        match = _QUERY_PATH.fullmatch(scope["path"])
        if scope["method"] != "POST" or not match:
            return 404, _logs_error("PathNotFoundError", f"The requested path does not exist: {scope['path']}")
        workspace = match.group(1)
        denied = self.monitor.denied(
            scope, LOGS_AUDIENCE, f"/workspaces/{workspace}", "Microsoft.OperationalInsights/workspaces/query/read"
        )
        if denied:
            code = "InsufficientAccessError" if denied[0] == 403 else denied[1]
            return denied[0], _logs_error(code, denied[2])
        if workspace != WORKSPACE_ID:
            return 404, _logs_error("WorkspaceNotFoundError", f"Workspace {workspace} not found")
        try:
            request = json.loads(raw or b"{}")
            text, timespan = request["query"], request.get("timespan")
            assert isinstance(text, str)
        except (ValueError, KeyError, TypeError, AssertionError):
            return 400, _logs_error("BadArgumentError", 'The body must be {"query": "...", "timespan": "..."}.')
        try:
            start, end = _timespan(timespan)
        except ValueError as exc:
            return 400, _logs_error("BadArgumentError", str(exc))
        rows = []
        for region in self.monitor.sim.regions:
            answers = [a for a in self.monitor.answers(region) if start <= a.t < end]
            rows += logs.diagnostics_rows(resource_id(region), region, answers)
        rows.sort(key=lambda r: r["TimeGenerated"])
        try:
            return 200, logs.run(text, {"AzureDiagnostics": rows})
        except logs.BadKql as exc:
            return 400, _logs_error("BadArgumentError", "The request had some invalid properties", str(exc))


def _query(scope: asgi.Scope) -> dict[str, str]:
    return {k.lower(): v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


def _timespan(text: Any) -> tuple[float, float]:
    """Log Analytics' `start/end` (or `start/duration`, or a bare duration ending now) -> epoch seconds."""
    now = time.time()
    if not text:
        return now - 86400, now
    if not isinstance(text, str):
        raise ValueError("timespan must be an ISO 8601 interval")
    first, _, second = text.partition("/")
    if not second:
        return now - _duration_s(first), now
    start = metrics.parse_time(first).timestamp()
    if second.startswith("P"):
        return start, start + _duration_s(second)
    return start, metrics.parse_time(second).timestamp()


def _duration_s(text: str) -> float:
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", text)
    if not match or not any(match.groups()):
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _metrics_error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


def _logs_error(code: str, message: str, detail: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if detail:
        error["innererror"] = {"code": "SemanticError", "message": detail}
    return {"error": error}
