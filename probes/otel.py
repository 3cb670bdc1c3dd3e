"""Probe rows out over OTLP/HTTP (protobuf) with the GenAI semantic conventions, when the config
has `[otel]` (probes/otel_settings.py). Needs the `otel` extra; nothing imports this module
unless `[otel]` is set.

Each row a cycle measured is recorded once, after the cycle's rows are in the store, and the cycle
ends with one export (no background thread: a cycle's export is part of the cycle, bounded by
`timeout_s`). Per row: one `gen_ai.client.operation.duration` point (every row, failures too),
`gen_ai.client.token.usage` for the tokens it reports (input, output) and
`gen_ai.client.operation.time_to_first_chunk` when it measured one (stream, realtime); the
attributes are `failover.otel`'s, so a dashboard reads probes and the failover client alike.

With cumulative temporality (the default) an export that fails is made good by the next one, which
carries the totals; with delta the failed cycle's points are gone from the collector (never from
the database). A failed export is one log line (where, why; never a header value, never a
traceback) and never costs a row or a cycle.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from ..failover.otel import (
    COMPOSITE_REGION,
    DEPLOYMENT,
    OPERATION_NAME,
    PROVIDER,
    PROVIDER_NAME,
    REGION,
    REQUEST_MODEL,
    RESPONSE_MODEL,
    SCOPE,
    STATUS_CODE,
    TIER,
    GenAiMetrics,
    outcome_attributes,
    server_attributes,
)
from ..failover.redact import Redactor
from .config import AppConfig
from .result import ProbeResult, is_composite

__all__ = ["KIND", "PROBER", "ExportReport", "ProbeExporter", "operation_for_kind"]

log = logging.getLogger(__name__)

KIND = "aoai_watch.kind"
PROBER = "aoai_watch.prober"
# what each probe kind's call is (gen_ai.operation.name): a kind not listed here is a chat call
_OPERATIONS = {"embeddings": "embeddings", "realtime": "realtime"}
# the SDK's own export loggers: their lines are folded into this module's one line per failure
_SDK_LOGGERS = ("opentelemetry.exporter.otlp.proto.http.metric_exporter", "opentelemetry.exporter.otlp.common.http")
_MAX_REASON_CHARS = 300
_STATUS = re.compile(r"code: (\d{3}), reason: ([^;]*?)(?:$| Failed| Transient)")
_SOCKET_ERROR = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def operation_for_kind(kind: str) -> str:
    return _OPERATIONS.get(kind, "chat")


@dataclass(frozen=True)
class ExportReport:
    """One cycle's export: how many rows it recorded, and the problem when the collector did not
    take them (None: it did)."""

    rows: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Collector(logging.Filter):
    """Keeps the SDK exporter's log lines (the reason of a failure) instead of letting them print."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.lines.append(record.getMessage())
        return False


class _Exporter(OTLPMetricExporter):
    """The SDK's OTLP/HTTP exporter, remembering how its last export went."""

    last: MetricExportResult | None = None

    def export(self, metrics_data: MetricsData, timeout_millis: float | None = 10_000, **kwargs: Any) -> Any:
        try:
            self.last = super().export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:  # the cycle goes on whatever the exporter does
            self.last = MetricExportResult.FAILURE
            log.debug("OTLP exporter raised %s", type(exc).__name__)
        return self.last


class ProbeExporter:
    """One per probing process (a loop keeps it across cycles: cumulative totals grow, and the
    start time stays). `export(results)` never raises; `close()` when done."""

    def __init__(self, config: AppConfig, environ: Mapping[str, str] | None = None) -> None:
        assert config.otel is not None, "ProbeExporter needs an [otel] table"
        settings = config.otel
        environ = os.environ if environ is None else environ
        self.config = config
        self.url = settings.metrics_url
        headers: dict[str, str] | None = None
        if settings.headers_env:  # merged over the SDK's own OTEL_EXPORTER_OTLP_(METRICS_)HEADERS
            headers = {}
            for header, variable in settings.headers_env:
                value = (environ.get(variable) or "").strip()
                if value:
                    headers[header] = value
                else:
                    log.warning(
                        "aoai-watch probe: otel.headers_env: %s is not set, so header %s is not sent to %s",
                        variable,
                        header,
                        self.url,
                    )
        self._redact = Redactor((headers or {}).values())
        temporality = (
            AggregationTemporality.DELTA if settings.temporality == "delta" else AggregationTemporality.CUMULATIVE
        )
        self._exporter = _Exporter(
            endpoint=self.url,
            headers=headers,
            timeout=settings.timeout_s,
            preferred_temporality={Histogram: temporality},
        )
        self._timeout_ms = settings.timeout_s * 1000.0
        # math.inf: no background thread; each cycle's force_flush is its one export
        self._reader = PeriodicExportingMetricReader(
            self._exporter, export_interval_millis=math.inf, export_timeout_millis=self._timeout_ms
        )
        resource = Resource.create({"service.name": settings.service_name, "service.instance.id": config.probes.prober})
        self._provider = MeterProvider(resource=resource, metric_readers=[self._reader], shutdown_on_exit=False)
        self._metrics = GenAiMetrics(self._provider.get_meter(SCOPE), config.slo.latency_threshold_s)
        self._endpoints = {r.name: r.endpoint for r in config.regions}
        self._collector = _Collector()
        for name in _SDK_LOGGERS:
            logging.getLogger(name).addFilter(self._collector)

    def attributes(self, result: ProbeResult) -> dict[str, Any]:
        """A row's attributes: the conventions' (provider, operation, models, server, error.type)
        and aoai-watch's (outcome, region, deployment, tier, kind, prober)."""
        served = result.served_by if is_composite(result.region) else result.region
        return {
            PROVIDER_NAME: PROVIDER,
            OPERATION_NAME: operation_for_kind(result.kind),
            REQUEST_MODEL: result.model,
            RESPONSE_MODEL: result.model_version,
            **server_attributes(self._endpoints.get(served or "")),
            **outcome_attributes(result.outcome),
            STATUS_CODE: result.status_code,
            REGION: COMPOSITE_REGION if is_composite(result.region) else result.region,
            DEPLOYMENT: result.deployment,
            TIER: result.tier,
            KIND: result.kind,
            PROBER: result.prober,
        }

    def record(self, result: ProbeResult) -> None:
        if result.latency_ms is None:
            return  # not measured (never the case for a row run_cycle returns)
        self._metrics.record(
            result.latency_ms / 1000.0,
            self.attributes(result),
            time_to_first_chunk_s=result.ttft_ms / 1000.0 if result.ttft_ms is not None else None,
            input_tokens=result.prompt_tokens,
            output_tokens=result.completion_tokens,
        )

    def export(self, results: Sequence[ProbeResult]) -> ExportReport:
        """Record every row and send them: one export, bounded by `timeout_s`. Never raises; a
        failure is logged once (no header value, no traceback) and returned as the problem."""
        try:
            for result in results:
                self.record(result)
            self._collector.lines.clear()
            self._exporter.last = None
            self._reader.force_flush(timeout_millis=self._timeout_ms)
            ok = self._exporter.last in (None, MetricExportResult.SUCCESS)
            problem = None if ok else self._reason()
        except Exception as exc:  # telemetry must never cost a cycle
            problem = f"{type(exc).__name__}"
        if problem is not None:
            log.warning(
                "aoai-watch probe: OTLP export to %s failed (%s); the cycle's %d rows are in the database",
                self.url,
                problem,
                len(results),
            )
        return ExportReport(len(results), problem)

    def _reason(self) -> str:
        """Why the export failed, in a few words: the collector's status, else the socket's error
        (the SDK's own lines repeat a whole exception chain), else what the SDK said last."""
        text = " ".join(" ".join(self._collector.lines).split())
        status = _STATUS.search(text)
        socket_error = _SOCKET_ERROR.findall(text)
        if status:
            reason = f"HTTP {status.group(1)} {status.group(2)}".rstrip()
        elif socket_error:
            reason = socket_error[-1].strip()
        elif "timed out" in text.lower() or "timeout" in text.lower():
            reason = "timed out"
        else:
            reason = text or "the collector did not accept the export"
        return self._redact(reason)[:_MAX_REASON_CHARS]

    def close(self) -> None:
        try:
            self._provider.shutdown(timeout_millis=self._timeout_ms)
        except Exception as exc:  # shutting down telemetry never fails the command
            log.debug("OTLP shutdown: %s", type(exc).__name__)
        for name in _SDK_LOGGERS:
            logging.getLogger(name).removeFilter(self._collector)
