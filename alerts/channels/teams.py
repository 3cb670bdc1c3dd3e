"""`teams`: the envelope a Teams **Workflows** webhook ("Send webhook alerts to a channel")
accepts: a `message` whose one attachment is an Adaptive Card (`contentType`
application/vnd.microsoft.card.adaptive, card `version` 1.4). Office 365 connectors (the old
MessageCard webhooks) are being retired, so this is the only Teams shape sent."""

from __future__ import annotations

from typing import Any

from ..model import FIRING, Notification
from .request import Request, Target, json_body

__all__ = ["CARD_CONTENT_TYPE", "CARD_VERSION", "build", "message"]

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(n: Notification) -> dict[str, Any]:
    facts = [
        {"title": "Severity", "value": n.severity},
        {"title": "Region", "value": n.region},
        {"title": "Since", "value": n.as_payload()["started_at"]},
    ]
    if n.value is not None:
        facts.append(
            {"title": "Value", "value": f"{n.value:g}" + (f" (threshold {n.threshold:g})" if n.threshold else "")}
        )
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": n.title,
            "weight": "Bolder",
            "size": "Medium",
            "color": "Attention" if n.status == FIRING else "Good",
            "wrap": True,
        },
        {"type": "TextBlock", "text": n.summary, "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    document: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    if n.dashboard_url:
        document["actions"] = [{"type": "Action.OpenUrl", "title": "Open the Alerts page", "url": n.dashboard_url}]
    return document


def message(n: Notification) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card(n)}],
    }


def build(notification: Notification, target: Target) -> Request:
    return Request(target.secret, json_body(message(notification)), {"Content-Type": "application/json"})
