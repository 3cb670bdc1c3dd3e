"""`pagerduty`: Events API v2 (`POST /v2/enqueue`): a `trigger` with `routing_key`, `dedup_key`
and `payload.summary/source/severity`, and a `resolve` with the same `dedup_key`, which closes the
incident the trigger opened. A page is PagerDuty severity `critical`, a ticket `warning`."""

from __future__ import annotations

import re
from typing import Any

from ..model import FIRING, Notification
from .request import Request, Target, json_body

__all__ = ["SEVERITY", "build", "event"]

SEVERITY = {"page": "critical", "ticket": "warning"}


def dedup_key(n: Notification) -> str:
    """At most 255 characters, as the Events API allows."""
    return re.sub(r"\s+", "-", n.dedup_key)[:255]


def event(n: Notification, routing_key: str, source: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger" if n.status == FIRING else "resolve",
        "dedup_key": dedup_key(n),
    }
    if n.status == FIRING:
        document["payload"] = {
            "summary": f"{n.alert}: {n.summary}"[:1024],
            "source": source,
            "severity": SEVERITY.get(n.severity, "error"),
            "timestamp": n.as_payload()["started_at"],
            "component": n.region,
            "class": n.alert,
            "custom_details": {k: v for k, v in n.as_payload().items() if k != "dashboard_url"},
        }
        document["client"] = "aoai-watch"
        if n.dashboard_url:
            document["client_url"] = n.dashboard_url
            document["links"] = [{"href": n.dashboard_url, "text": "aoai-watch Alerts page"}]
    return document


def build(notification: Notification, target: Target) -> Request:
    body = json_body(event(notification, target.secret, target.source))
    return Request(target.endpoint, body, {"Content-Type": "application/json"})
