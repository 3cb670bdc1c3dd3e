"""Azure Monitor metrics for the simulated regions, computed from the answers they gave.

`metric_values(...)` answers one metric of one resource the way the metrics batch API does:
time series split by the dimensions a filter asks for (`StatusCode eq '*'`), one point per
interval, `total` for counts and token sums, `average` for the availability rate and latencies.
Azure's semantics, as documented for Microsoft.CognitiveServices/accounts:
- AzureOpenAIRequests counts every answered call (a connection cut is no answer);
- AzureOpenAIAvailabilityRate = (total - 5xx) / total, in percent;
- ProcessedPromptTokens / GeneratedTokens / TokenTransaction sum the tokens of successful calls;
- the latency metrics exist only for provisioned deployments (Standard ones report none).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .answer import Answer
from .model import DeploymentSpec

NAMESPACE = "microsoft.cognitiveservices/accounts"
DIMENSIONS = ("ModelDeploymentName", "ModelName", "ModelVersion", "StatusCode", "StreamType", "Region", "OperationName")
AGGREGATIONS = ("average", "count", "maximum", "minimum", "total")
INTERVALS = {
    "PT1M": 60,
    "PT5M": 300,
    "PT15M": 900,
    "PT30M": 1800,
    "PT1H": 3600,
    "PT6H": 21600,
    "PT12H": 43200,
    "P1D": 86400,
}
MAX_TIMESPAN = timedelta(days=31)


@dataclass(frozen=True)
class Sample:
    """One answer as Azure Monitor sees it."""

    t: float  # epoch seconds the request arrived
    dims: dict[str, str]
    status: int
    prompt_tokens: int
    completion_tokens: int
    response_ms: float
    provisioned: bool
    request_id: str | None = None  # apim-request-id (Log Analytics' CorrelationId)


@dataclass(frozen=True)
class MetricDef:
    name: str
    display: str
    unit: str
    primary: str  # the aggregation Azure returns when none is asked for
    value: Callable[[Sample], float | None]  # what one answer contributes (None: nothing)
    provisioned_only: bool = False


def _latency(s: Sample) -> float | None:
    return s.response_ms if s.status == 200 else None


METRICS = {
    m.name: m
    for m in (
        MetricDef("AzureOpenAIRequests", "Azure OpenAI Requests", "Count", "total", lambda s: 1.0),
        MetricDef(
            "AzureOpenAIAvailabilityRate",
            "Availability Rate",
            "Percent",
            "average",
            lambda s: 0.0 if s.status >= 500 else 100.0,
        ),
        MetricDef("ProcessedPromptTokens", "Processed Prompt Tokens", "Count", "total", lambda s: s.prompt_tokens),
        MetricDef("GeneratedTokens", "Generated Completion Tokens", "Count", "total", lambda s: s.completion_tokens),
        MetricDef(
            "TokenTransaction",
            "Processed Inference Tokens",
            "Count",
            "total",
            lambda s: s.prompt_tokens + s.completion_tokens,
        ),
        MetricDef("AzureOpenAITimeToResponse", "Time to Response", "MilliSeconds", "average", _latency, True),
        MetricDef("AzureOpenAITTLTInMS", "Time to Last Byte", "MilliSeconds", "average", _latency, True),
    )
}


class BadQuery(ValueError):
    """A query Azure would refuse with 400 BadRequest; the message is worded as Azure words it."""


def parse_filter(text: str | None) -> dict[str, str | None]:
    """`A eq 'x' and B eq '*'` -> {"A": "x", "B": None} (None: split by this dimension)."""
    if not text:
        return {}
    wanted: dict[str, str | None] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = re.fullmatch(r"\s*([A-Za-z]+)\s+eq\s+'([^']*)'\s*", clause)
        if not match:
            raise BadQuery(f"Invalid filter clause: {clause!r}. Supported: Dimension eq 'value' joined with and.")
        name = next((d for d in DIMENSIONS if d.lower() == match.group(1).lower()), None)
        if name is None:
            raise BadQuery(f"Dimension '{match.group(1)}' is not valid for this metric. Valid: {', '.join(DIMENSIONS)}")
        wanted[name] = None if match.group(2) == "*" else match.group(2)
    return wanted


def samples(
    log: Iterable[Answer], deployments: Sequence[DeploymentSpec], region: str, visible_before: float
) -> list[Sample]:
    """The region's answers that Azure Monitor has ingested by now (arrived before `visible_before`)."""
    by_name = {d.name: d for d in deployments}
    out = []
    for a in log:
        if a.status == 0 or a.arrived >= visible_before:
            continue
        spec = by_name.get(a.deployment or "")
        dims = {
            "ModelDeploymentName": a.deployment or "",
            "ModelName": spec.model if spec else "",
            "ModelVersion": spec.model_version if spec else "",
            "StatusCode": str(a.status),
            "StreamType": "Streaming" if a.stream else "Non-Streaming",
            "Region": region,
            "OperationName": a.operation or "",
        }
        provisioned = bool(spec and spec.sku.lower().endswith("provisionedmanaged"))
        out.append(
            Sample(
                a.arrived,
                dims,
                a.status,
                a.prompt_tokens,
                a.completion_tokens,
                a.response_ms,
                provisioned,
                a.request_id,
            )
        )
    return out


def metric_values(
    metric: MetricDef,
    answers: Sequence[Sample],
    start: datetime,
    end: datetime,
    interval_s: int,
    aggregations: Sequence[str],
    wanted: dict[str, str | None],
    top: int,
) -> list[dict[str, Any]]:
    """Azure's `timeseries` list for one metric: one series per combination of the split
    dimensions (at most `top`, largest first), each with a point per interval in [start, end)."""
    t0, t1 = start.timestamp(), end.timestamp()
    split = [d for d, v in wanted.items() if v is None]
    buckets: dict[tuple[str, ...], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for s in answers:
        if not t0 <= s.t < t1 or (metric.provisioned_only and not s.provisioned):
            continue
        if any(v is not None and s.dims[d] != v for d, v in wanted.items()):
            continue
        value = metric.value(s)
        if value is None:
            continue
        key = tuple(s.dims[d] for d in split)
        buckets[key][int((s.t - t0) // interval_s)].append(float(value))
    if not split and not buckets and not metric.provisioned_only:
        buckets[()] = defaultdict(list)  # an unsplit metric always has its one (empty) series
    n_points = max(1, int(-(-(t1 - t0) // interval_s)))
    ranked = sorted(buckets.items(), key=lambda kv: -sum(len(v) for v in kv[1].values()))[:top]
    series = []
    for key, points in ranked:
        data = []
        for i in range(n_points):
            point: dict[str, Any] = {"timeStamp": iso(start + timedelta(seconds=i * interval_s))}
            values = points.get(i, [])
            for aggregation in aggregations:
                if aggregation == "count":
                    point["count"] = float(len(values))
                elif aggregation == "total" and (values or metric.unit == "Count"):
                    point["total"] = float(sum(values))
                elif values and aggregation == "average":
                    point["average"] = sum(values) / len(values)
                elif values and aggregation == "minimum":
                    point["minimum"] = min(values)
                elif values and aggregation == "maximum":
                    point["maximum"] = max(values)
            data.append(point)
        metadata = [
            {"name": {"value": d.lower(), "localizedValue": d.lower()}, "value": v}
            for d, v in zip(split, key, strict=True)
        ]
        series.append({"metadatavalues": metadata, "data": data})
    return series


def parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"Invalid time format: {text!r}. Use ISO 8601, e.g. 2026-11-25T10:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def align(value: datetime, interval_s: int) -> datetime:
    """`value` rounded down to a whole multiple of the interval (UTC)."""
    epoch = value.timestamp()
    return datetime.fromtimestamp(epoch - epoch % interval_s, UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
