"""One simulated region as an ASGI app: routing, the order Azure checks things in, common headers.

Order of checks for every request, as Azure's gateway does it: route (unknown path -> 404), read
the body (over 32 MB -> 413 before reading it), gateway faults, credentials (401), faults that need
an authenticated caller, then the operation itself (JSON, fields, deployment, quota, the answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import math
import random
import re
import time
import zlib
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from .. import wire
from ..faults import BlackHole, Effects, FaultSet, Reply, ResetConnection, reply_headers, run_faults
from . import asgi, auth, stall
from .answer import AnswerLog
from .model import DeploymentSpec, RegionSpec
from .ptu import UtilizationMeter, header_value
from .quota import Admission, QuotaTracker

log = logging.getLogger("aoai_watch.simulator")
_VARIANT = {c: "89ab"[int(c, 16) % 4] for c in "0123456789abcdef"}
Handler = Callable[["Call"], Awaitable[None]]
MAX_STORED_RESPONSES = 50_000  # per region; the oldest go first, as a bounded stand-in for 30 days
LOG_SIZE = 200_000  # answers remembered per region (drills, /requests, the Azure Monitor endpoints)


def _header_bytes(api_key: str | None) -> bytes | None:
    """`api_key` as the raw header a client sends it in (headers are latin-1), None when no header
    could match it (no key, or one latin-1 cannot carry: `auth.check` decides those)."""
    try:
        return api_key.encode("latin-1") if api_key else None
    except UnicodeEncodeError:
        return None


class Refusal(Exception):
    """Raised by a handler to answer with an error: status, Azure's body, extra headers."""

    def __init__(self, status: int, body: Any, headers: Any = ()) -> None:
        self.status = status
        self.body = body
        self.headers = headers


class RegionState:
    """Everything one region remembers: quotas, stored responses, its seeded randomness."""

    def __init__(
        self,
        spec: RegionSpec,
        faults: FaultSet,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        seed: int | None,
        reset_connection: Callable[..., None],
    ) -> None:
        self.spec = spec
        self.faults = faults
        self.clock = clock
        self.sleep = sleep
        self.seed = seed
        self.reset_connection = reset_connection
        self.display_name = wire.region_display_name(spec.name).encode()
        # the api-key header bytes that pass `auth.check` (compared as bytes before decoding anything)
        self.api_key_header = _header_bytes(spec.api_key) if spec.auth == "api-key" else None
        self.deployments = {d.name: d for d in reversed(spec.deployments)}  # the first of a name wins, as in spec
        self.served: Counter[tuple[str | None, int]] = Counter()  # (deployment, status) -> count
        # the last answers, for drills and the Azure Monitor view (see `Answer`); status 0 = connection cut
        self.log = AnswerLog(LOG_SIZE)
        self.reset()

    def reset(self) -> None:
        """Forget stored responses and quota counters; restart the random sequence."""
        seed = None if self.seed is None else self.seed ^ zlib.crc32(self.spec.name.encode())
        self.rng = random.Random(seed)
        self.quotas = {d.name: QuotaTracker(d.tpm, d.rpm, d.rpm_window_s, self.clock) for d in self.spec.deployments}
        self.meters = {
            d.name: UtilizationMeter(d.capacity_tpm, d.utilization_window_s, self.clock)
            for d in self.spec.deployments
            if d.is_provisioned
        }
        self.responses: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.served.clear()
        self.log.clear()

    def record(
        self,
        deployment: str | None,
        status: int,
        client_request_id: str | None,
        arrived: float | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        usage: tuple[int, int] = (0, 0),
        stream: bool = False,
    ) -> None:
        """Count an answer; the log keeps when its request *arrived* (what drills judge against) and
        how long the answer took to start (Azure's time to response)."""
        now = time.time()
        arrived = arrived or now
        self.served[(deployment, status)] += 1
        self.log.append(
            arrived,
            deployment,
            status,
            client_request_id,
            request_id,
            operation,
            usage[0],
            usage[1],
            (now - arrived) * 1000.0,
            stream,
        )

    def new_id(self) -> str:
        """A version-4 UUID drawn from the region's seeded generator (repeatable when seeded)."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"

    @property
    def name(self) -> str:
        return self.spec.name

    def model_of(self, deployment: str | None) -> str | None:
        spec = self.spec.deployment(deployment)
        return spec.model if spec else None

    def response_age_s(self, response_id: str) -> float | None:
        record = self.responses.get(response_id)
        return None if record is None else self.clock() - record["stored_at"]

    def store_response(self, record: dict[str, Any]) -> None:
        record["stored_at"] = self.clock()
        self.responses[record["response"]["id"]] = record
        while len(self.responses) > MAX_STORED_RESPONSES:
            self.responses.popitem(last=False)


class Call:
    """One HTTP request in flight, with what has been learnt about it so far."""

    __slots__ = (
        "arrived",
        "body",
        "deployment",
        "deployment_name",
        "effects",
        "headers",
        "operation",
        "path_params",
        "ptu_charge",
        "query",
        "receive",
        "recorded",
        "region",
        "request_headers",
        "request_id",
        "scope",
        "send",
        "usage",
    )

    def __init__(self, region: RegionState, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        self.region = region
        self.scope = scope
        self.receive = receive
        self.send = send
        self.request_id = region.new_id()
        self.arrived = time.time()
        self.body: Any = None
        self.effects = Effects()  # what faults changed about the answer, for the handler to honour
        self.operation: str | None = None
        self.usage = (0, 0)  # (prompt, completion) tokens, set by the handler that answers
        self.recorded = False  # in the region's log yet (once per request: its answer, or 0 if cut)
        self.deployment_name: str | None = None
        self.deployment: DeploymentSpec | None = None
        self.path_params: dict[str, str] = {}
        # a PTU admission's (meter, estimated tokens), settled against the real usage on answering
        self.ptu_charge: tuple[UtilizationMeter, int] | None = None
        # one pass over the raw headers; the first of repeated names wins, as elsewhere
        self.request_headers: dict[bytes, bytes] = dict(reversed(scope["headers"]))
        raw_query = scope.get("query_string", b"")
        self.query = {k: v[0] for k, v in parse_qs(raw_query.decode("latin-1")).items()} if raw_query else {}
        rid = self.request_id.encode()
        self.headers: list[tuple[bytes, bytes]] = [
            (b"apim-request-id", rid),
            (b"x-request-id", rid),
            (b"x-ms-region", region.display_name),
        ]
        client_rid = self.request_headers.get(b"x-ms-client-request-id")
        if client_rid:
            self.headers.append((b"x-ms-client-request-id", client_rid))

    @property
    def client_request_id(self) -> str | None:
        value = self.request_headers.get(b"x-ms-client-request-id")
        return value.decode("latin-1") if value else None

    def header(self, name: bytes) -> str | None:
        value = self.request_headers.get(name)
        return None if value is None else value.decode("latin-1")

    def add_quota_headers(self, admission: Admission, deployment: DeploymentSpec) -> None:
        self.headers += [
            (b"x-ratelimit-remaining-requests", str(admission.remaining_requests).encode()),
            (b"x-ratelimit-remaining-tokens", str(admission.remaining_tokens).encode()),
            *deployment.limit_headers,
        ]

    def record(self, status: int, stream: bool = False) -> None:
        """RegionState.record for this call, written out: it runs on every answer (bench/simulator)."""
        region, deployment, arrived = self.region, self.deployment_name, self.arrived
        self.recorded = True
        prompt, completion = self.usage if status == 200 else (0, 0)
        if self.ptu_charge is not None:
            meter, estimated = self.ptu_charge
            self.ptu_charge = None
            meter.settle(estimated, prompt + completion)
        region.served[(deployment, status)] += 1
        region.log.append(
            arrived,
            deployment,
            status,
            self.request_headers.get(b"x-ms-client-request-id") or None,  # raw bytes: decoded when read
            self.request_id,
            self.operation,
            prompt,
            completion,
            (time.time() - arrived) * 1000.0,
            stream,
        )

    async def reply(self, status: int, body: Any, extra: Any = ()) -> None:
        self.record(status)
        await asgi.send_response(self.send, status, body, self.headers, extra)

    def lookup_deployment(self) -> DeploymentSpec | None:
        if self.deployment is None:
            self.deployment = self.region.deployments.get(self.deployment_name)  # type: ignore[arg-type]
        return self.deployment

    def admit(self, estimated_tokens: int) -> Admission:
        """Admit the request to its deployment or raise Azure's 429: a standard deployment charges
        its TPM/RPM quota (quota.py); a provisioned one its utilization (ptu.py), and a refusal
        there spills over to a standard deployment when one is configured or asked for."""
        deployment = self.deployment
        assert deployment is not None
        if deployment.is_provisioned:
            return self._admit_provisioned(deployment, estimated_tokens)
        admission = self.region.quotas[deployment.name].admit(estimated_tokens)
        self.add_quota_headers(admission, deployment)
        if admission.admitted:
            return admission
        seconds = max(1, math.ceil(admission.retry_after_s))
        flavour = "tokens" if admission.limit == "tokens" else "requests"
        retry = [
            (b"retry-after", str(seconds).encode()),
            (b"retry-after-ms", str(int(admission.retry_after_s * 1000)).encode()),
        ]
        raise Refusal(429, wire.rate_limited(flavour, seconds), retry)

    def _admit_provisioned(self, ptu: DeploymentSpec, estimated_tokens: int) -> Admission:
        meter = self.region.meters[ptu.name]
        verdict = meter.admit(estimated_tokens)
        # a PTU answer reports its utilization instead of the x-ratelimit-* headers
        self.headers.append((_UTILIZATION, header_value(verdict.utilization_pct)))
        if verdict.admitted:
            self.ptu_charge = (meter, estimated_tokens)
            return Admission(True, -1, -1)
        wait_ms = max(1, math.ceil(verdict.retry_after_s * 1000))
        refusal = Refusal(
            429,
            wire.ptu_rate_limited(ptu.name, wait_ms),
            [(_RETRY_AFTER, str(math.ceil(wait_ms / 1000)).encode()), (_RETRY_AFTER_MS, str(wait_ms).encode())],
        )
        # the deployment's spilloverDeploymentName wins over the request's header (Azure's rule);
        # the Responses API never spills over
        target_name = ptu.spillover or self.header(_SPILLOVER_REQUEST)
        if not target_name or self.operation == "responses_create":
            raise refusal
        target = self.region.deployments.get(target_name)
        if target is None:
            failed = 404  # what a request to that deployment would have got
        elif target.is_provisioned or target.model != ptu.model:
            failed = 400  # spillover goes to a standard deployment of the same model only
        else:
            admission = self.region.quotas[target.name].admit(estimated_tokens)
            if admission.admitted:
                self._serve_from(ptu, target, admission)
                return admission
            failed = 429
        # the spillover failed: Azure answers with the PTU's own response and says why
        refusal.headers.append((_SPILLOVER_ERROR, str(failed).encode()))
        raise refusal

    def _serve_from(self, ptu: DeploymentSpec, target: DeploymentSpec, admission: Admission) -> None:
        """Spill this call over to the standard deployment `target`: it serves the answer, counts
        it, and the answer's headers say which deployment served it and which one it spilled from."""
        replaced = {name for name, _ in ptu.response_headers}
        self.headers = [h for h in self.headers if h[0] not in replaced]
        self.headers += target.response_headers
        self.headers.append((wire.spillover_from_header(ptu.name).encode(), ptu.name.encode()))
        self.add_quota_headers(admission, target)
        self.deployment, self.deployment_name = target, target.name


_UTILIZATION = wire.UTILIZATION_HEADER.encode()
_RETRY_AFTER = wire.RETRY_AFTER_HEADER.encode()
_RETRY_AFTER_MS = wire.RETRY_AFTER_MS_HEADER.encode()
_SPILLOVER_REQUEST = wire.SPILLOVER_REQUEST_HEADER.encode()
_SPILLOVER_ERROR = wire.SPILLOVER_ERROR_HEADER.encode()


# (method, compiled path, handler name, deployment taken from the path?)
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/openai/v1/chat/completions"), "chat"),
    ("POST", re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/chat/completions"), "chat"),
    ("POST", re.compile(r"/openai/v1/embeddings"), "embeddings"),
    ("POST", re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/embeddings"), "embeddings"),
    ("POST", re.compile(r"/openai/v1/responses"), "responses_create"),
    ("GET", re.compile(r"/openai/v1/responses/(?P<response_id>[^/]+)"), "responses_get"),
    ("DELETE", re.compile(r"/openai/v1/responses/(?P<response_id>[^/]+)"), "responses_delete"),
    ("POST", re.compile(r"/openai/v1/responses/(?P<response_id>[^/]+)/cancel"), "responses_cancel"),
    # the dated preview paths AzureOpenAI(api_version="2025-04-01-preview") builds for /responses
    ("POST", re.compile(r"/openai/responses"), "responses_create"),
    ("GET", re.compile(r"/openai/responses/(?P<response_id>[^/]+)"), "responses_get"),
    ("DELETE", re.compile(r"/openai/responses/(?P<response_id>[^/]+)"), "responses_delete"),
    ("POST", re.compile(r"/openai/responses/(?P<response_id>[^/]+)/cancel"), "responses_cancel"),
    ("GET", re.compile(r"/openai/v1/models"), "models"),
    ("GET", re.compile(r"/openai/v1/models/(?P<model>[^/]+)"), "models_get"),
    ("GET", re.compile(r"/openai/models"), "models_dated"),
    ("GET", re.compile(r"/openai/models/(?P<model_id>[^/]+)"), "models_dated_get"),
]
_FAST_ROUTES = {(m, p.pattern): h for m, p, h in _ROUTES if "(" not in p.pattern}


def route(method: str, path: str) -> tuple[str | None, dict[str, str], bool]:
    """(handler name, path params, path known for another method)."""
    handler = _FAST_ROUTES.get((method, path))
    if handler is not None:
        return handler, {}, False
    other_method = False
    for m, pattern, name in _ROUTES:
        match = pattern.fullmatch(path)
        if match:
            if m == method:
                return name, match.groupdict(), False
            other_method = True
    return None, {}, other_method


class RegionApp:
    """The ASGI app serving one region. `handlers` maps route names to coroutine functions."""

    builds_answers = True  # the handlers build every answer: faults may change them (Effects)

    def __init__(
        self,
        state: RegionState,
        handlers: dict[str, Handler],
        websocket: Callable[[RegionState, asgi.Scope, asgi.Receive, asgi.Send], Awaitable[None]],
    ) -> None:
        self.state = state
        self.handlers = handlers
        self.websocket = websocket

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "http":
            call = Call(self.state, scope, receive, send)
            try:
                await self.http(call)
            except asyncio.CancelledError:
                # the connection ended first (the listener stops the work): the client never got
                # an answer, so the log says so, as it does for a connection the simulator cuts
                if not call.recorded:
                    call.record(0)
                raise
        elif scope["type"] == "websocket":
            await self.websocket(self.state, scope, receive, send)

    async def http(self, call: Call) -> None:
        state, scope, receive = self.state, call.scope, call.receive
        method = scope["method"]
        name, call.path_params, other_method = route(method, scope["path"])
        call.operation = name
        if name is None:
            if other_method:
                await call.reply(405, wire.method_not_allowed(method))
            else:
                await call.reply(404, wire.RESOURCE_NOT_FOUND)
            return
        parse_error = False
        if method == "POST":
            try:
                raw = await asgi.read_body(call.request_headers.get(b"content-length"), receive, wire.MAX_BODY_BYTES)
            except asgi.BodyTooLarge:
                # Tell the server to close after replying: the rest of the body is never read.
                await call.reply(413, wire.body_too_large(), [(b"connection", b"close")])
                return
            except asgi.ClientGone:
                return
            try:
                call.body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                parse_error = True
        call.deployment_name = call.path_params.get("deployment")
        if call.deployment_name is None and isinstance(call.body, dict):
            model = call.body.get("model")
            call.deployment_name = model if isinstance(model, str) else None

        faulty = state.faults.has_faults(state.spec.name)  # the common case skips both fault stages
        if faulty and await self.apply_faults(call, "before_auth"):
            return
        key = call.request_headers.get(b"api-key")
        if key is None or state.api_key_header is None or not hmac.compare_digest(key, state.api_key_header):
            denied = auth.check(
                state.spec.auth, state.spec.api_key, call.header(b"api-key"), call.header(b"authorization")
            )
            if denied is not None:
                await call.reply(401, denied)
                return
        if faulty and await self.apply_faults(call, "after_auth"):
            return
        if "api-version" not in call.query and not scope["path"].startswith("/openai/v1/"):
            await call.reply(404, wire.RESOURCE_NOT_FOUND)  # what Azure answers a dated path without one
            return
        if call.effects.stall_after_events is not None:  # the stream_stall fault holds the stream's events
            client = scope.get("client")
            call.send = stall.stalling(
                call.send,
                call.effects.stall_after_events,
                call.effects.stall_s,
                state.sleep,
                lambda: state.reset_connection(client, graceful=True),
            )
        if parse_error:
            await call.reply(
                400,
                wire.invalid_request(
                    "We could not parse the JSON body of your request. The API expects a JSON payload, "
                    "but what was sent was not valid JSON."
                ),
            )
            return
        try:
            await self.handlers[name](call)
        except Refusal as refusal:
            await call.reply(refusal.status, refusal.body, refusal.headers)
        except Exception:
            # A bug in the simulator must look like Azure having a bad moment, not kill the region.
            log.exception("simulator error on %s %s (request %s)", method, scope["path"], call.request_id)
            with contextlib.suppress(Exception):  # the response may have started already (a stream)
                await call.reply(500, wire.server_error(call.request_id))

    async def apply_faults(self, call: Call, stage: str) -> bool:
        """Run the faults firing for this request; True when one of them answered (or broke) it."""
        verdict = await run_faults(
            self.state,
            call.deployment_name,
            call.scope["path"],
            call.request_id,
            stage,
            call.scope["method"],
            call.body,
            call.effects,
        )
        if verdict is None:
            return False
        if verdict is ResetConnection:
            call.record(0)
            self.state.reset_connection(call.scope.get("client"))
            await asgi.wait_for_disconnect(call.receive)  # returns at once: the transport is gone
        elif verdict is BlackHole:
            await asgi.wait_for_disconnect(call.receive)
        else:
            assert isinstance(verdict, Reply)
            await call.reply(verdict.status, verdict.body, reply_headers(verdict))
        return True
