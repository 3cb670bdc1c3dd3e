"""The chaos proxy: forwards to a real endpoint (Azure, in a staging subscription) and applies the
simulator's faults on the way, so a team can drill against real Azure.

    aoai-watch chaos proxy --upstream https://contoso-eastus2.openai.azure.com --listen 127.0.0.1:8100

Point the client's endpoint at http://127.0.0.1:8100; set faults through the control API exactly as
with the simulator (region name: `--name`, default "proxy"). Request-level faults (http_error,
refuse, reset, black_hole, rate_limit, latency, rbac_propagation, error_format, flapping, capacity,
state_loss, content_filter on the prompt) and stream faults (slow_stream) apply; model_version,
ws_drop and content_filter on the completion need the simulator (the proxy does not rewrite bodies
or carry WebSockets; it refuses content_filter on the completion with a reason). Credentials pass through untouched; the
proxy never logs or stores them. The request target (path and query) reaches the upstream byte for
byte, never decoded or normalised; a target that is not a path (`*`) is answered 400.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

import httpx2
import orjson

from . import wire
from .faults import BlackHole, Effects, FaultVerdict, Reply, ResetConnection, reply_headers, run_faults
from .simulator import asgi
from .simulator.region import RegionState

__all__ = ["ProxyApp"]

# hop-by-hop headers (RFC 9110) and the ones httpx sets itself
_DROP_REQUEST = {
    b"host",
    b"content-length",
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"upgrade",
    b"proxy-connection",
    b"te",
    b"trailer",
    b"accept-encoding",
}
_ORIGIN_FORM = re.compile(rb"/[\x21-\x7e]*")  # what an HTTP/1.1 request line may carry to the upstream
_DROP_RESPONSE = {"content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding"}


class ProxyApp:
    """ASGI app: faults first (before and after auth alike: the upstream authenticates), then the
    request forwarded and the answer streamed back."""

    builds_answers = False  # it forwards the upstream's: faults that rewrite a body are refused (Fault.needs_simulator)

    def __init__(self, state: RegionState, upstream: str, timeout_s: float = 600.0) -> None:
        self.state = state
        self.upstream = upstream.rstrip("/")
        self.base = httpx2.URL(self.upstream).raw_path.rstrip(b"/")  # an upstream's own path prefix, if any
        self.client = httpx2.AsyncClient(timeout=httpx2.Timeout(timeout_s, connect=10.0), follow_redirects=False)

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1011, "reason": "the chaos proxy does not carry WebSockets"})
            return
        if scope["type"] != "http":
            return
        target = request_target(scope)
        if target is None:
            self.state.record(None, 400, None)
            await _bad_target(send, "it must be a path starting with / in printable ASCII")
            return
        try:
            body = await asgi.read_body(asgi.header(scope, b"content-length"), receive, wire.MAX_BODY_BYTES)
        except asgi.BodyTooLarge:
            await asgi.send_response(send, 413, wire.body_too_large(), [(b"connection", b"close")])
            return
        except asgi.ClientGone:
            return
        parsed: Any = None
        if body:
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                parsed = None
        deployment = _deployment(scope["path"], parsed)
        request_id = self.state.new_id()
        effects = Effects()
        for stage in ("before_auth", "after_auth"):
            try:
                verdict = await run_faults(
                    self.state, deployment, scope["path"], request_id, stage, scope["method"], parsed, effects
                )
            except asyncio.CancelledError:  # the connection ended while a fault held the request
                self.state.record(deployment, 0, None)
                raise
            if verdict is not None:
                await self._fault_answer(verdict, scope, receive, send, deployment, request_id)
                return
        await self._forward(scope, send, body, deployment, effects, target)

    async def _fault_answer(
        self,
        verdict: FaultVerdict,
        scope: asgi.Scope,
        receive: asgi.Receive,
        send: asgi.Send,
        deployment: str | None,
        request_id: str,
    ) -> None:
        if verdict is ResetConnection:
            self.state.record(deployment, 0, None)
            self.state.reset_connection(scope.get("client"))
            await asgi.wait_for_disconnect(receive)
        elif verdict is BlackHole:
            await asgi.wait_for_disconnect(receive)
        else:
            assert isinstance(verdict, Reply)
            self.state.record(deployment, verdict.status, None)
            await asgi.send_response(
                send, verdict.status, verdict.body, [(b"apim-request-id", request_id.encode()), *reply_headers(verdict)]
            )

    async def _forward(
        self, scope: asgi.Scope, send: asgi.Send, body: bytes, deployment: str | None, effects: Effects, target: bytes
    ) -> None:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k not in _DROP_REQUEST]
        # the URL names the upstream only; the target goes as its own bytes (httpcore's "target"
        # extension), because building it into a URL would decode, re-quote and normalise it
        request = self.client.build_request(
            scope["method"], self.upstream, headers=headers, content=body, extensions={"target": self.base + target}
        )
        try:
            response = await self.client.send(request, stream=True)
        except (httpx2.InvalidURL, httpx2.LocalProtocolError) as exc:  # checked before; a last line, not a 500
            await _bad_target(send, f"it cannot be forwarded ({type(exc).__name__})")
            return
        except httpx2.TimeoutException:
            await asgi.send_response(
                send, 504, {"error": {"code": "GatewayTimeout", "message": "The upstream did not answer in time."}}, []
            )
            return
        except httpx2.TransportError as exc:
            await asgi.send_response(
                send,
                502,
                {"error": {"code": "BadGateway", "message": f"Upstream unreachable ({type(exc).__name__})."}},
                [],
            )
            return
        self.state.record(deployment, response.status_code, None)
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in response.headers.multi_items()
            if k.lower() not in _DROP_RESPONSE
        ]
        await send({"type": "http.response.start", "status": response.status_code, "headers": out_headers})
        delay = effects.chunk_delay_s
        stop_after = effects.stop_after_chunks
        try:
            chunks = 0
            async for chunk in response.aiter_raw():
                if stop_after is not None and chunks >= stop_after:
                    self.state.reset_connection(scope.get("client"), graceful=True)
                    return
                if delay and chunks:
                    await asyncio.sleep(delay)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunks += 1
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


def request_target(scope: asgi.Scope) -> bytes | None:
    """The request target exactly as the client sent it: the raw path (still percent-encoded)
    and the raw query, or None when it is not an origin-form path the upstream can be sent
    (`*`, or bytes outside printable ASCII). The decoded `path` must not be used: `%3F` would
    become a query and `%0d%0a` a line break in the upstream request."""
    raw = scope.get("raw_path") or quote(scope["path"], safe="/").encode()  # raw_path is optional in ASGI
    query = scope.get("query_string", b"")
    target = raw + b"?" + query if query else raw
    return target if _ORIGIN_FORM.fullmatch(target) else None


async def _bad_target(send: asgi.Send, why: str) -> None:
    message = f"The request target is not valid: {why}."
    await asgi.send_response(send, 400, {"error": {"code": "BadRequest", "message": message}}, [])


def _deployment(path: str, body: Any) -> str | None:
    if path.startswith("/openai/deployments/"):
        return path.split("/")[3] if path.count("/") >= 3 else None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None
