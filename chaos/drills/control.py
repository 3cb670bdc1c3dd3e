"""The drill runner's side of the simulator's control API: the HTTP client (`SimulatorControl`, the
same path for embedded and external simulators), the fault request a timeline step becomes, and
the check of a whole timeline against the simulator before any load runs.

Every failure is a `ControlError` whose message is one line: the simulator's own reason when it
gave one (a 400's `error.message`), else why it could not be reached.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .model import Drill, Step

__all__ = ["ControlError", "SimulatorControl", "fault_body", "timeline_problem"]


class ControlError(RuntimeError):
    """A control call failed; `reason` is what the simulator said (or why it could not be asked)."""

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"simulator control {method} {path}: {reason}")


class SimulatorControl:
    """The simulator's control API over HTTP."""

    def __init__(self, control_url: str) -> None:
        self.url = control_url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise ControlError(method, path, f"HTTP {err.code}: {_reason(err.read())}") from None
        except (urllib.error.URLError, OSError) as err:  # refused, reset, timed out: no traceback, one line
            raise ControlError(method, path, f"cannot reach {self.url} ({getattr(err, 'reason', err)})") from None

    def regions(self) -> dict[str, str]:
        return {r["name"]: r["url"] for r in self._call("GET", "/regions")["regions"]}

    def check_fault(self, body: dict[str, Any]) -> None:
        """Raise the ControlError `add_fault` would raise for this body; nothing is put in force."""
        self._call("POST", "/faults/check", body)

    def add_fault(self, body: dict[str, Any]) -> str:
        return self._call("POST", "/faults", body)["id"]

    def clear(self, fault_id: str) -> None:
        self._call("DELETE", f"/faults/{fault_id}")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests")["requests"]


def _reason(raw: bytes) -> str:
    """A control 400's `error.message`, else the body's text (bounded: it goes into one line)."""
    text = raw.decode("utf-8", "replace")
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = text
    return " ".join(str(message).split())[:500]


def fault_body(step: Step) -> dict[str, Any]:
    """The POST /faults body for one timeline step."""
    body: dict[str, Any] = {
        "kind": step.fault,
        "region": step.region,
        "params": step.params,
        "probability": step.probability,
    }
    if step.deployment:
        body["deployment"] = step.deployment
    if step.duration_s is not None:
        body["duration_s"] = step.duration_s
    return body


def timeline_problem(drill: Drill, control: SimulatorControl, served: dict[str, str]) -> tuple[str, Any] | None:
    """Why this drill cannot run on this simulator, or None: a drill region it does not serve, or
    a timeline step it would refuse (asked of the simulator itself, so the rules are its own: a
    deployment it lacks, `refuse` scoped to a deployment, ...). Returns (one line, the journal's
    output)."""
    missing = [name for name in drill.regions if name not in served]
    if missing:
        line = f"the simulator does not serve region {', '.join(missing)} (it serves {', '.join(served)})"
        return line, {"regions": list(drill.regions), "served": list(served)}
    for index, step in enumerate(drill.timeline):  # file order: the index is the file's timeline[i]
        body = fault_body(step)
        try:
            control.check_fault(body)
        except ControlError as exc:
            line = f"timeline[{index}] ({step.fault} on {step.region}) cannot be applied: {exc.reason}"
            return line, {"step": f"timeline[{index}]", "fault": body, "error": exc.reason}
    return None
