"""OpenTelemetry for the failover client, opt-in: importing this module is the only thing that
imports OpenTelemetry (`pip install 'aoai-watch[otel]'`); `aoai_watch.failover` alone never does.

    from aoai_watch.failover import FailoverClient
    from aoai_watch.failover.otel import instrument

    client = FailoverClient.from_config("aoai-watch.toml")
    instrument(client)  # the global MeterProvider/TracerProvider, or pass meter_provider=, tracer_provider=

Every call becomes a span (`"{gen_ai.operation.name} {model}"`, kind INTERNAL) with a child span per
attempt (`"attempt {region}/{deployment}"`, kind CLIENT, timed from the attempt's own latency), and
the GenAI semantic-convention metrics (docs/wire-notes.md cites them): each attempt is one
`gen_ai.client.operation.duration` point under its region; each call is one more under
`aoai_watch.region = "failover"` (the composite, as the probes name it), with its
`gen_ai.client.token.usage` (input/output, when the answer says) and, for a stream, its
`gen_ai.client.operation.time_to_first_chunk` (the call hands a stream back at its first output).

`GenAiMetrics` (the instruments, with bucket edges that include the 2 s SLO threshold) and the
attribute names are shared with the probes' exporter (probes/otel.py), so both speak one schema.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from .classify import classify
from .events import RETURN, AttemptEvent, Event
from .outcomes import SUCCESSFUL, Outcome

__all__ = [
    "COMPOSITE_REGION",
    "DURATION",
    "DURATION_EDGES_S",
    "PROVIDER",
    "TIME_TO_FIRST_CHUNK",
    "TOKEN_EDGES",
    "TOKEN_USAGE",
    "GenAiMetrics",
    "Instrumentation",
    "duration_edges_s",
    "instrument",
    "operation_name",
]

SCOPE = "aoai_watch"  # the instrumentation scope (meter and tracer name)
PROVIDER = "azure.ai.openai"  # gen_ai.provider.name's well-known value for Azure OpenAI
DURATION = "gen_ai.client.operation.duration"
TOKEN_USAGE = "gen_ai.client.token.usage"
TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
COMPOSITE_REGION = "failover"  # the caller's view of a call, whichever region served it
SLO_THRESHOLD_S = 2.0
# The conventions' advised edges (0.01 s doubling to 81.92 s) plus 1 s and the SLO's 2 s, so "share
# of calls under 2 s" is a bucket boundary, not an interpolation
DURATION_EDGES_S = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.28, 2.0, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_EDGES = tuple(float(4**i) for i in range(14))  # the conventions' advice: 1, 4, 16, ... 67108864

# the failover client's (and the probes') operations -> gen_ai.operation.name (well-known values;
# "realtime" has none, so it keeps its own name as the conventions allow)
_OPERATIONS = {"chat.completions": "chat", "responses": "chat", "embeddings": "embeddings", "realtime": "realtime"}

# attribute names: the conventions' and aoai-watch's own (aoai_watch.*)
OPERATION_NAME = "gen_ai.operation.name"
PROVIDER_NAME = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
TOKEN_TYPE = "gen_ai.token.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
STATUS_CODE = "http.response.status_code"
OUTCOME = "aoai_watch.outcome"
REGION = "aoai_watch.region"
DEPLOYMENT = "aoai_watch.deployment"
TIER = "aoai_watch.tier"
DECISION = "aoai_watch.decision"
ATTEMPT = "aoai_watch.attempt"


def operation_name(operation: str) -> str:
    """gen_ai.operation.name for a failover operation ("chat.completions" -> "chat")."""
    return _OPERATIONS.get(operation, operation)


def duration_edges_s(threshold_s: float = SLO_THRESHOLD_S) -> tuple[float, ...]:
    """The duration and time-to-first-chunk bucket edges, with a configured latency threshold
    added when it is not already one."""
    return tuple(sorted({*DURATION_EDGES_S, float(threshold_s)}))


def server_attributes(endpoint: str | None) -> dict[str, Any]:
    """server.address and server.port of a region's endpoint (the port as the URL implies it)."""
    if not endpoint:
        return {}
    parts = urlsplit(endpoint)
    if not parts.hostname:
        return {}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {SERVER_ADDRESS: parts.hostname, SERVER_PORT: port}


def outcome_attributes(outcome: Outcome | str) -> dict[str, str]:
    """aoai_watch.outcome always; error.type (the same word) when the outcome is a failure."""
    word = str(outcome)
    return {OUTCOME: word} if word in SUCCESSFUL else {OUTCOME: word, ERROR_TYPE: word}


class GenAiMetrics:
    """The three GenAI client histograms on one meter, with explicit bucket edges (an advisory the
    SDK applies unless a View says otherwise)."""

    def __init__(self, meter: metrics.Meter, threshold_s: float = SLO_THRESHOLD_S) -> None:
        edges = list(duration_edges_s(threshold_s))
        self.duration = meter.create_histogram(
            DURATION, unit="s", description="GenAI operation duration.", explicit_bucket_boundaries_advisory=edges
        )
        self.tokens = meter.create_histogram(
            TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(TOKEN_EDGES),
        )
        self.time_to_first_chunk = meter.create_histogram(
            TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of a streamed answer.",
            explicit_bucket_boundaries_advisory=edges,
        )

    def record(
        self,
        duration_s: float,
        attributes: Mapping[str, Any],
        *,
        time_to_first_chunk_s: float | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
    ) -> None:
        """One operation: its duration, and what else it measured."""
        attrs = {k: v for k, v in attributes.items() if v is not None}
        self.duration.record(duration_s, attrs)
        if time_to_first_chunk_s is not None:
            self.time_to_first_chunk.record(time_to_first_chunk_s, attrs)
        # token usage carries no error.type: only answers have usage
        for kind, count in (("input", input_tokens), ("output", output_tokens)):
            if count is not None:
                self.tokens.record(count, {**attrs, TOKEN_TYPE: kind})


@dataclass
class _CallRecord:
    """One call while it runs: its span and the attempts reported so far."""

    operation: str
    model: str
    stream: bool
    span: Span
    started: float = field(default_factory=time.perf_counter)
    attempts: list[AttemptEvent] = field(default_factory=list)
    call_id: int | None = None


_CURRENT: contextvars.ContextVar[_CallRecord | None] = contextvars.ContextVar("aoai_watch_otel_call", default=None)


class Instrumentation:
    """What `instrument` installed on one client; `uninstrument()` takes it off again."""

    def __init__(
        self,
        client: Any,
        meter_provider: metrics.MeterProvider | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        threshold_s: float = SLO_THRESHOLD_S,
    ) -> None:
        self.client = client
        self.metrics = GenAiMetrics(metrics.get_meter(SCOPE, meter_provider=meter_provider), threshold_s)
        self.tracer = trace.get_tracer(SCOPE, tracer_provider=tracer_provider)
        router = client._router  # same package: the two seams a call passes through
        self._servers = {r.name: server_attributes(r.config.endpoint) for r in router.regions}
        self._calls: dict[int, _CallRecord] = {}  # by call id: a hedge's attempt runs in another thread
        self._lock = threading.Lock()
        self._original_send = client._send
        self._original_next_call_id = router.next_call_id
        self.active = True
        router.next_call_id = self._next_call_id
        client._send = self._async_send if _is_async(client) else self._send
        client.add_listener(self._on_event)

    def uninstrument(self) -> None:
        """Stop: calls go straight to the client again; the listener stays but records nothing."""
        if not self.active:
            return
        self.active = False
        del self.client._send  # the class's method again
        del self.client._router.next_call_id

    # -- the seams --------------------------------------------------------------------------

    def _next_call_id(self) -> int:
        call_id: int = self._original_next_call_id()
        record = _CURRENT.get()
        if record is not None and record.call_id is None:
            record.call_id = call_id
            with self._lock:
                self._calls[call_id] = record
        return call_id

    def _send(self, request: Any) -> Any:
        with self._traced(request) as answer:
            answer.append(self._original_send(request))
        return answer[0]

    async def _async_send(self, request: Any) -> Any:
        with self._traced(request) as answer:
            answer.append(await self._original_send(request))
        return answer[0]

    @contextlib.contextmanager
    def _traced(self, request: Any) -> Iterator[list[Any]]:
        """One call's span around the send inside (sync or async): the caller appends the result to
        the list yielded; the call is finished with it, or with the exception the send raised."""
        record = self._start(request)
        token = _CURRENT.set(record)
        answer: list[Any] = []
        try:
            with trace.use_span(record.span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                yield answer
        except BaseException as exc:
            self._finish(record, None, exc)
            raise
        finally:
            _CURRENT.reset(token)
        self._finish(record, answer[0], None)

    def _on_event(self, event: Event) -> None:
        if not self.active or not isinstance(event, AttemptEvent):
            return
        with self._lock:
            record = self._calls.get(event.call_id)
        if record is None:
            # the call has finished: a stream handed over at its first output and settled later
            # (a stall or a break after it: the client reports that attempt a second time), or a
            # hedge's loser. Its attempt was recorded once already; counting it again would make
            # one attempt two points
            return
        record.attempts.append(event)
        failed = event.outcome not in SUCCESSFUL
        attributes = {
            OPERATION_NAME: operation_name(event.operation),
            PROVIDER_NAME: PROVIDER,
            REQUEST_MODEL: record.model,
            **self._servers.get(event.region, {}),
            **outcome_attributes(event.outcome),
            REGION: event.region,
            DEPLOYMENT: event.deployment,
            TIER: event.tier,
            DECISION: event.decision,
            STATUS_CODE: event.status,
        }
        self.metrics.record(event.latency_ms / 1000.0, attributes)
        end_ns = time.time_ns()
        span = self.tracer.start_span(
            f"attempt {event.region}/{event.deployment}",
            context=trace.set_span_in_context(record.span),
            kind=SpanKind.CLIENT,
            start_time=end_ns - int(event.latency_ms * 1e6),
            attributes={k: v for k, v in {**attributes, ATTEMPT: event.attempt}.items() if v is not None},
        )
        if failed:
            span.set_status(Status(StatusCode.ERROR, event.detail[:200] or str(event.outcome)))
        span.end(end_time=end_ns)

    # -- a call -----------------------------------------------------------------------------

    def _start(self, request: Any) -> _CallRecord:
        name = operation_name(request.operation)
        span = self.tracer.start_span(
            f"{name} {request.model}",
            kind=SpanKind.INTERNAL,
            attributes={OPERATION_NAME: name, PROVIDER_NAME: PROVIDER, REQUEST_MODEL: request.model},
        )
        return _CallRecord(request.operation, request.model, request.stream, span)

    def _finish(self, record: _CallRecord, result: Any, exc: BaseException | None) -> None:
        elapsed_s = time.perf_counter() - record.started
        if record.call_id is not None:
            with self._lock:
                self._calls.pop(record.call_id, None)
        served = next((a for a in reversed(record.attempts) if a.decision == RETURN), None)
        cancelled = exc is not None and not isinstance(exc, Exception)  # KeyboardInterrupt, CancelledError
        if exc is None:
            outcome: Outcome = Outcome.OK
        elif record.attempts:
            outcome = record.attempts[-1].outcome
        else:
            outcome = classify(exc).outcome if isinstance(exc, Exception) else Outcome.TIMEOUT
        answer = _answer(result) if exc is None and not record.stream else None
        usage = getattr(answer, "usage", None)
        attributes = {
            OPERATION_NAME: operation_name(record.operation),
            PROVIDER_NAME: PROVIDER,
            REQUEST_MODEL: record.model,
            RESPONSE_MODEL: _text(getattr(answer, "model", None)),
            **(self._servers.get(served.region, {}) if served else {}),
            # a cancelled call has no outcome word: error.type names what ended it
            **({ERROR_TYPE: type(exc).__name__} if cancelled else outcome_attributes(outcome)),
            REGION: COMPOSITE_REGION,
            DEPLOYMENT: served.deployment if served else None,
            TIER: served.tier if served else None,
        }
        self.metrics.record(
            elapsed_s,
            attributes,
            time_to_first_chunk_s=elapsed_s if record.stream and exc is None else None,
            input_tokens=_count(usage, "prompt_tokens", "input_tokens"),
            output_tokens=_count(usage, "completion_tokens", "output_tokens"),
        )
        span = record.span
        span.set_attributes({k: v for k, v in attributes.items() if v is not None and k != REGION})
        if served is not None:
            span.set_attribute("aoai_watch.served_by", served.region)
        span.set_attribute("aoai_watch.attempts", len(record.attempts))
        if exc is not None:
            # the type and the outcome word, never the message: no text a server sent is copied here
            status = type(exc).__name__ if cancelled else f"{type(exc).__name__}: {outcome}"
            span.set_status(Status(StatusCode.ERROR, status))
        span.end()


def instrument(
    client: Any,
    *,
    meter_provider: metrics.MeterProvider | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    threshold_s: float = SLO_THRESHOLD_S,
) -> Instrumentation:
    """Instrument a `FailoverClient` or `AsyncFailoverClient` (once: a second call raises). The
    providers default to the global ones (`opentelemetry.metrics/trace.set_*_provider`);
    `threshold_s` is added to the duration bucket edges when it is not one already."""
    if "_send" in vars(client):
        raise RuntimeError("this client is already instrumented; uninstrument() the first Instrumentation first")
    return Instrumentation(client, meter_provider, tracer_provider, threshold_s)


def _is_async(client: Any) -> bool:
    from .client import AsyncFailoverClient  # the caller built one: the SDK is already loaded

    return isinstance(client, AsyncFailoverClient)


def _answer(result: Any) -> Any:
    """The parsed answer of a plain or raw (`with_raw_response`) result."""
    parse: Callable[[], Any] | None = getattr(result, "parse", None)
    if callable(parse) and not hasattr(result, "usage"):
        try:
            return parse()
        except Exception:  # the caller's parse will say what is wrong; telemetry does not
            return None
    return result


def _count(usage: Any, *names: str) -> int | None:
    for name in names:
        value = getattr(usage, name, None)
        if isinstance(value, int):
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
