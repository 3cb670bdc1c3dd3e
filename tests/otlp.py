"""A real OTLP/HTTP receiver for the tests: an HTTP server on 127.0.0.1 that decodes what it is sent
(ExportMetricsServiceRequest on /v1/metrics, ExportTraceServiceRequest on /v1/traces) with
opentelemetry-proto, keeps every request with its headers, and answers 200 with an empty export
response (or the status a test sets, to play a failing collector)."""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


def value(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(kvs: Any) -> dict[str, Any]:
    return {kv.key: value(kv.value) for kv in kvs}


@dataclass
class Point:
    """One histogram data point, flattened: its metric's name and unit, its attributes and counts."""

    name: str
    unit: str
    attributes: dict[str, Any]
    count: int
    sum: float
    bounds: list[float]
    bucket_counts: list[int]
    temporality: int
    start_ns: int
    resource: dict[str, Any]


class Receiver:
    """`with Receiver() as otlp:` then `otlp.endpoint` is the base URL for `[otel] endpoint`."""

    def __init__(self) -> None:
        self.metrics: list[ExportMetricsServiceRequest] = []
        self.traces: list[ExportTraceServiceRequest] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200  # what the next requests are answered with
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                if receiver.status != 200:
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/v1/metrics":
                    request: Any = ExportMetricsServiceRequest.FromString(body)
                    answer = ExportMetricsServiceResponse().SerializeToString()
                    store = receiver.metrics
                elif self.path == "/v1/traces":
                    request = ExportTraceServiceRequest.FromString(body)
                    answer = ExportTraceServiceResponse().SerializeToString()
                    store = receiver.traces
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    store.append(request)
                    receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def points(self, name: str, request: int = -1) -> list[Point]:
        """The histogram points named `name` in one received metrics request (default the last;
        none when nothing was sent: the SDK sends no empty export)."""
        with self.lock:
            if not self.metrics:
                return []
            chosen = self.metrics[request]
        return list(_points(chosen, name))

    def spans(self) -> list[Any]:
        with self.lock:
            return [s for req in self.traces for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]


def _points(request: ExportMetricsServiceRequest, name: str) -> Iterator[Point]:
    for rm in request.resource_metrics:
        resource = attributes(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name != name:
                    continue
                assert metric.WhichOneof("data") == "histogram", f"{name} is not a histogram"
                for dp in metric.histogram.data_points:
                    yield Point(
                        name=metric.name,
                        unit=metric.unit,
                        attributes=attributes(dp.attributes),
                        count=dp.count,
                        sum=dp.sum,
                        bounds=list(dp.explicit_bounds),
                        bucket_counts=list(dp.bucket_counts),
                        temporality=metric.histogram.aggregation_temporality,
                        start_ns=dp.start_time_unix_nano,
                        resource=resource,
                    )
