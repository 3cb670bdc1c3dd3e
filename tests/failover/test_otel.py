"""`aoai_watch.failover.otel`: real failover calls through injected outages (chaos faults on the
simulator), exported by the real OTLP/HTTP exporters to a receiver that decodes the protobuf
(tests/otlp.py): a span per call with a child per attempt, and the GenAI metrics per attempt and
per call. And the promise that `aoai_watch.failover` alone never imports OpenTelemetry."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AllRegionsFailed, AsyncFailoverClient, StreamStalled
from aoai_watch.failover.otel import (
    DURATION,
    TIME_TO_FIRST_CHUNK,
    TOKEN_USAGE,
    duration_edges_s,
    instrument,
)
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, make, regions
from tests.otlp import Point, Receiver, attributes


@dataclass
class Telemetry:
    otlp: Receiver
    meters: MeterProvider
    tracers: TracerProvider

    def flush(self) -> None:
        self.tracers.force_flush()
        self.meters.force_flush()

    def points(self, name: str) -> list[Point]:
        self.flush()
        return self.otlp.points(name)

    def spans(self) -> list[Span]:
        self.flush()
        return self.otlp.spans()


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Providers of the application's own, exporting over OTLP/HTTP to a real receiver."""
    with Receiver() as otlp:
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{otlp.endpoint}/v1/metrics", timeout=5), export_interval_millis=math.inf
        )
        meters = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
        tracers = TracerProvider(shutdown_on_exit=False)
        tracers.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp.endpoint}/v1/traces")))
        yield Telemetry(otlp, meters, tracers)
        meters.shutdown()
        tracers.shutdown()


def by_parent(spans: list[Span]) -> tuple[list[Span], dict[bytes, list[Span]]]:
    calls = [s for s in spans if not s.parent_span_id]
    children: dict[bytes, list[Span]] = {}
    for span in spans:
        if span.parent_span_id:
            children.setdefault(span.parent_span_id, []).append(span)
    for group in children.values():
        group.sort(key=lambda s: attributes(s.attributes)["aoai_watch.attempt"])
    return calls, children


def attrs(span_or_point: Any) -> dict[str, Any]:
    return attributes(span_or_point.attributes) if hasattr(span_or_point, "trace_id") else span_or_point.attributes


def test_an_outage_is_a_call_span_with_an_attempt_span_per_region_and_metrics(
    sim: SimulatorThread, telemetry: Telemetry
) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    client = make(sim)
    instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    answers = [client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4) for _ in range(2)]

    calls, children = by_parent(telemetry.spans())
    assert len(calls) == 2
    for call in calls:
        assert call.name == "chat gpt-4o" and call.kind == Span.SPAN_KIND_INTERNAL
        call_attrs = attrs(call)
        assert call_attrs["gen_ai.provider.name"] == "azure.ai.openai"
        assert call_attrs["gen_ai.request.model"] == "gpt-4o" and call_attrs["gen_ai.operation.name"] == "chat"
        assert call_attrs["gen_ai.response.model"] == answers[0].model == "gpt-4o-2024-08-06"
        assert call_attrs["aoai_watch.served_by"] == "swedencentral" and call_attrs["aoai_watch.attempts"] == 2
        assert call_attrs["aoai_watch.outcome"] == "ok" and "error.type" not in call_attrs
        assert call.status.code != Status.STATUS_CODE_ERROR
        failed, served = children[call.span_id]
        assert failed.trace_id == served.trace_id == call.trace_id
        assert failed.name == "attempt eastus2/gpt-4o" and failed.kind == Span.SPAN_KIND_CLIENT
        fa, sa = attrs(failed), attrs(served)
        assert (fa["aoai_watch.attempt"], sa["aoai_watch.attempt"]) == (1, 2)
        assert (fa["aoai_watch.region"], fa["aoai_watch.deployment"], fa["aoai_watch.tier"]) == (
            "eastus2",
            "gpt-4o",
            "standard",
        )
        assert (fa["aoai_watch.decision"], fa["http.response.status_code"], fa["error.type"]) == (
            "fail_over",
            503,
            "server_error",
        )
        assert failed.status.code == Status.STATUS_CODE_ERROR
        assert (sa["aoai_watch.region"], sa["aoai_watch.decision"], sa["http.response.status_code"]) == (
            "swedencentral",
            "return",
            200,
        )
        assert sa["aoai_watch.outcome"] == "ok" and "error.type" not in sa
        assert call.start_time_unix_nano <= failed.start_time_unix_nano <= served.end_time_unix_nano
        assert served.end_time_unix_nano <= call.end_time_unix_nano

    durations = telemetry.points(DURATION)
    assert {p.unit for p in durations} == {"s"} and all(p.bounds == list(duration_edges_s()) for p in durations)
    by_region = {p.attributes["aoai_watch.region"]: p for p in durations}
    assert set(by_region) == {"eastus2", "swedencentral", "failover"} and len(durations) == 3
    eastus2 = by_region["eastus2"]
    assert eastus2.count == 2 and eastus2.attributes["error.type"] == "server_error"
    assert eastus2.attributes["server.port"] == int(sim.urls["eastus2"].rsplit(":", 1)[1])
    assert by_region["swedencentral"].count == 2 and by_region["failover"].count == 2
    composite = by_region["failover"].attributes
    assert composite["gen_ai.operation.name"] == "chat" and composite["aoai_watch.deployment"] == "gpt-4o"
    assert composite["server.port"] == int(sim.urls["swedencentral"].rsplit(":", 1)[1])
    tokens = {p.attributes["gen_ai.token.type"]: p for p in telemetry.points(TOKEN_USAGE)}
    assert tokens["output"].sum == sum(a.usage.completion_tokens for a in answers) and tokens["output"].count == 2
    assert tokens["input"].sum == sum(a.usage.prompt_tokens for a in answers)
    assert tokens["output"].attributes["aoai_watch.region"] == "failover"  # per call: the answer has the usage


def test_every_region_down_is_an_error_span_and_a_failed_composite(sim: SimulatorThread, telemetry: Telemetry) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    sim.add_fault("refuse", "swedencentral")
    client = make(sim, deadline_s=2)
    instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    with pytest.raises(AllRegionsFailed):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)
    calls, children = by_parent(telemetry.spans())
    (call,) = calls
    assert call.status.code == Status.STATUS_CODE_ERROR and call.status.message.startswith("AllRegionsFailed: ")
    assert KEY not in call.status.message
    regions_tried = {attrs(s)["aoai_watch.region"] for s in children[call.span_id]}
    assert regions_tried == {"eastus2", "swedencentral"}
    assert all(s.status.code == Status.STATUS_CODE_ERROR for s in children[call.span_id])
    composite = next(p for p in telemetry.points(DURATION) if p.attributes["aoai_watch.region"] == "failover")
    assert composite.count == 1 and composite.attributes["error.type"] == composite.attributes["aoai_watch.outcome"]
    assert "gen_ai.response.model" not in composite.attributes
    assert telemetry.points(TOKEN_USAGE) == []  # no answer, no usage


def test_a_stream_records_its_time_to_first_chunk_per_call(sim: SimulatorThread, telemetry: Telemetry) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 500})
    client = make(sim)
    instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    (ttft,) = telemetry.points(TIME_TO_FIRST_CHUNK)
    assert ttft.count == 1 and ttft.unit == "s" and 2.0 in ttft.bounds
    assert ttft.attributes["aoai_watch.region"] == "failover" and ttft.attributes["server.port"] == int(
        sim.urls["swedencentral"].rsplit(":", 1)[1]
    )
    calls, children = by_parent(telemetry.spans())
    assert [attrs(s)["aoai_watch.region"] for s in children[calls[0].span_id]] == ["eastus2", "swedencentral"]


def test_a_stream_that_stalls_after_its_first_output_is_one_attempt_point_not_two(
    sim: SimulatorThread, telemetry: Telemetry
) -> None:
    # chat sends two events before the first output: stall right after it
    sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": 8})
    client = make(sim, stream_idle_timeout_s=0.5)
    instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=32, stream=True)
    with pytest.raises(StreamStalled):
        for _ in stream:
            pass
    attempts = [p for p in telemetry.points(DURATION) if p.attributes["aoai_watch.region"] == "eastus2"]
    assert sum(p.count for p in attempts) == 1  # the client's late report of the stall is not a second attempt
    calls, children = by_parent(telemetry.spans())
    assert len(calls) == 1 and [attrs(s)["aoai_watch.region"] for s in children[calls[0].span_id]] == ["eastus2"]


def test_the_async_client_gets_the_same_spans(sim: SimulatorThread, telemetry: Telemetry) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})

    async def call() -> Any:
        async with AsyncFailoverClient(
            regions(sim), environ={"SIM_KEY": KEY}, read_timeout_s=2, deadline_s=8, backoff_base_s=0.05
        ) as client:
            instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
            return await client.embeddings.create(model="text-embedding-3-small", input="ping")

    answer = asyncio.run(call())
    calls, children = by_parent(telemetry.spans())
    (span,) = calls
    assert span.name == "embeddings text-embedding-3-small"
    assert [attrs(s)["aoai_watch.decision"] for s in children[span.span_id]] == ["fail_over", "return"]
    tokens = telemetry.points(TOKEN_USAGE)
    assert [(p.attributes["gen_ai.token.type"], p.sum) for p in tokens] == [("input", answer.usage.prompt_tokens)]


def test_a_hedged_attempt_on_another_thread_is_still_a_child_of_its_call(
    sim: SimulatorThread, telemetry: Telemetry
) -> None:
    sim.add_fault("latency", "eastus2", {"ms": 6000})  # only the hedge can answer within the test
    client = make(sim, hedge_after_s=0.2)
    instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)
    calls, children = by_parent(telemetry.spans())
    (call,) = calls
    served = attrs(children[call.span_id][-1])
    assert served["aoai_watch.region"] == "swedencentral" and served["aoai_watch.decision"] == "return"
    assert attrs(call)["aoai_watch.served_by"] == "swedencentral"


def test_uninstrument_puts_the_client_back(sim: SimulatorThread, telemetry: Telemetry) -> None:
    client = make(sim)
    instrumentation = instrument(client, meter_provider=telemetry.meters, tracer_provider=telemetry.tracers)
    with pytest.raises(RuntimeError, match="already instrumented"):
        instrument(client)
    instrumentation.uninstrument()
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)
    assert telemetry.spans() == [] and telemetry.points(DURATION) == []


def test_the_failover_package_imports_no_opentelemetry() -> None:
    code = textwrap.dedent(
        """
        import sys
        import aoai_watch.failover
        from aoai_watch.failover import FailoverClient, AsyncFailoverClient, AttemptEvent
        import aoai_watch.probes.schedule, aoai_watch.probes.config
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")
        assert not loaded, loaded
        import aoai_watch.failover.otel
        assert "opentelemetry.trace" in sys.modules
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
