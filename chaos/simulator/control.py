"""The control API: set, list and clear faults at run time, over HTTP and JSON.

    POST   /faults       {"kind", "region", "deployment"?, "params"?, "duration_s"?, "probability"?}
                         -> 201 {"id": ...}
    POST   /faults/check (the same body) -> 200 {"valid": true}, or the 400 POST /faults would give;
                         nothing is put in force (drills check their timeline before the load)
    GET    /faults       -> {"faults": [...]}   (active ones; expired faults drop out)
    DELETE /faults/{id}  -> {"id", "cleared": true|false}   (idempotent)
    POST   /reset        -> clears every fault, stored response and quota counter
    GET    /regions      -> each region's URL, auth and deployments
    GET    /kinds        -> the fault catalogue
    GET    /requests     -> every answer given: t (epoch s), region, deployment, status, client_request_id
    GET    /monitor      -> the Azure Monitor endpoints, resource ids, workspace id, CA file (with --monitor)
    POST   /monitor/access {"monitoring_reader": false} -> the monitor APIs answer 403 (true: back)
    GET    /msi/token    -> a managed identity token (App Service protocol; IDENTITY_ENDPOINT points here)
Errors are 400/404/405 with {"error": {"message": ...}}. Numbers in and out are finite: a NaN or
Infinity in a request is a 400 naming its field, and answers are standard JSON.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from ..faults import REGISTRY, FaultParamError
from . import asgi

if TYPE_CHECKING:
    from .simulator import Simulator

_FAULT_FIELDS = ("kind", "region", "deployment", "params", "duration_s", "probability")


def standard_json(body: Any) -> asgi.RawJson:
    """`body` as standard JSON, which every client parses: a NaN or infinite float (input
    validation keeps them out; this is the last line) is sent as null, never as Python's NaN or
    Infinity extension."""
    try:
        return asgi.RawJson(json.dumps(body, separators=(",", ":"), allow_nan=False).encode())
    except ValueError:
        return asgi.RawJson(json.dumps(_finite(body), separators=(",", ":"), allow_nan=False).encode())


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message}}


class ControlApp:
    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/msi/token" and self.sim.monitor is not None:
            status, body = self.sim.monitor.identity(scope)
        else:
            status, body = await self.dispatch(scope, receive)
        await asgi.send_response(send, status, standard_json(body), [])

    async def dispatch(self, scope: asgi.Scope, receive: asgi.Receive) -> tuple[int, Any]:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        try:
            raw = await asgi.read_body(asgi.header(scope, b"content-length"), receive, 1024 * 1024)
        except asgi.BodyTooLarge:
            return 413, _error("control requests are limited to 1 MB")
        except asgi.ClientGone:
            return 400, _error("client went away")
        routes = {
            ("GET", "/faults"): self.list_faults,
            ("POST", "/faults"): self.add_fault,
            ("POST", "/faults/check"): self.check_fault,
            ("POST", "/reset"): self.reset,
            ("GET", "/regions"): self.regions,
            ("GET", "/kinds"): self.catalogue,
            ("GET", "/health"): self.health,
            ("GET", "/requests"): self.requests,
            ("GET", "/monitor"): self.monitor,
            ("POST", "/monitor/access"): self.monitor_access,
        }
        handler = routes.get((method, path))
        if handler is not None:
            return await handler(raw)
        if path.startswith("/faults/") and path.count("/") == 2:
            if method == "DELETE":
                return await self.clear(path.split("/")[2])
            if method == "GET":
                found = [f for f in self.sim.faults.active() if f.id == path.split("/")[2]]
                return (200, found[0].to_json(self.sim.clock())) if found else (404, _error("no such fault"))
        if any(p == path for _, p in routes) or path.startswith("/faults/"):
            return 405, _error(f"{method} is not allowed on {path}")
        return 404, _error(f"unknown path {path}; see GET /kinds, /faults, /regions")

    async def requests(self, raw: bytes) -> tuple[int, Any]:
        """Every answer the regions gave (bounded), oldest first, for drills against a running simulator."""
        return 200, {"requests": self.sim.request_log()}

    async def monitor(self, raw: bytes) -> tuple[int, Any]:
        if self.sim.monitor is None:
            return 404, _error("this simulator does not serve Azure Monitor (start it with --monitor)")
        return 200, self.sim.monitor.describe()

    async def monitor_access(self, raw: bytes) -> tuple[int, Any]:
        """Grant or revoke the Monitoring Reader role of the simulated identity."""
        if self.sim.monitor is None:
            return 404, _error("this simulator does not serve Azure Monitor (start it with --monitor)")
        try:
            request = json.loads(raw or b"null")
            granted = request["monitoring_reader"]
            assert isinstance(granted, bool)
        except (ValueError, KeyError, TypeError, AssertionError, RecursionError):
            return 400, _error('body must be {"monitoring_reader": true|false}')
        self.sim.monitor.monitoring_reader = granted
        return 200, {"monitoring_reader": granted}

    async def health(self, raw: bytes) -> tuple[int, Any]:
        return 200, {"status": "ok"}

    async def catalogue(self, raw: bytes) -> tuple[int, Any]:
        return 200, {"kinds": {name: _module_doc(cls.__module__) for name, cls in sorted(REGISTRY.items())}}

    async def regions(self, raw: bytes) -> tuple[int, Any]:
        return 200, {"regions": self.sim.describe_regions()}

    async def list_faults(self, raw: bytes) -> tuple[int, Any]:
        now = self.sim.clock()
        return 200, {"faults": [f.to_json(now) for f in self.sim.faults.active()]}

    async def add_fault(self, raw: bytes) -> tuple[int, Any]:
        request = _fault_request(raw)
        if isinstance(request, str):
            return 400, _error(request)
        try:
            active = await self.sim.add_fault(**_fault_arguments(request))
        except FaultParamError as exc:
            return 400, _error(str(exc))
        return 201, active.to_json(self.sim.clock())

    async def check_fault(self, raw: bytes) -> tuple[int, Any]:
        """What POST /faults would answer for this body, without putting anything in force: 200
        {"valid": true}, or the same 400 and reason."""
        request = _fault_request(raw)
        if isinstance(request, str):
            return 400, _error(request)
        try:
            self.sim.check_fault(**_fault_arguments(request))
        except FaultParamError as exc:
            return 400, _error(str(exc))
        return 200, {"valid": True}

    async def clear(self, fault_id: str) -> tuple[int, Any]:
        cleared = await self.sim.clear_fault(fault_id)
        return 200, {"id": fault_id, "cleared": cleared}

    async def reset(self, raw: bytes) -> tuple[int, Any]:
        await self.sim.reset()
        return 200, {"reset": True}


def _fault_arguments(request: dict[str, Any]) -> dict[str, Any]:
    """A checked fault request as the keyword arguments of `add_fault` and `check_fault`."""
    return {
        "kind": request["kind"],
        "region": request["region"],
        "params": request.get("params"),
        "deployment": request.get("deployment"),
        "duration_s": request.get("duration_s"),
        "probability": request.get("probability", 1.0),
    }


def _fault_request(raw: bytes) -> dict[str, Any] | str:
    """A fault request's JSON object with its fields checked, or the reason it is not one."""
    try:
        request = json.loads(raw or b"null")
    except (ValueError, RecursionError):  # json recurses per nesting level: a deep body must be a 400, not a 500
        return 'body must be JSON: {"kind": ..., "region": ..., "params": {...}}'
    if not isinstance(request, dict):
        return "body must be a JSON object with kind and region"
    unknown = sorted(set(request) - set(_FAULT_FIELDS))
    if unknown:
        return f"unknown fields {', '.join(unknown)}; valid: {', '.join(_FAULT_FIELDS)}"
    for key in ("kind", "region"):
        if not isinstance(request.get(key), str):
            return f"{key} is required (a string)"
    return request


def _module_doc(module: str) -> str:
    import sys

    doc = (sys.modules[module].__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split())
