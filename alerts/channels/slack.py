"""`slack`: an incoming-webhook message: Block Kit `blocks` (a header, a section with the summary
and fields, a context line with the dashboard link) and the top-level `text` that notifications
and screen readers show instead of the blocks."""

from __future__ import annotations

from typing import Any

from ..model import Notification
from .request import Request, Target, json_body

__all__ = ["build", "message"]


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit]}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:2000]}


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(n: Notification) -> dict[str, Any]:
    fields = [
        _mrkdwn(f"*Severity*\n{n.severity}"),
        _mrkdwn(f"*Region*\n{_escape(n.region)}"),
        _mrkdwn(f"*Since*\n{n.as_payload()['started_at']}"),
    ]
    if n.value is not None:
        threshold = f" (threshold {n.threshold:g})" if n.threshold is not None else ""
        fields.append(_mrkdwn(f"*Value*\n{n.value:g}{threshold}"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(n.title, 150)},
        {"type": "section", "text": _mrkdwn(_escape(n.summary)), "fields": fields},
    ]
    if n.dashboard_url:
        blocks.append({"type": "context", "elements": [_mrkdwn(f"<{n.dashboard_url}|Open the Alerts page>")]})
    return {"text": f"{n.title}: {n.summary}"[:3000], "blocks": blocks}


def build(notification: Notification, target: Target) -> Request:
    return Request(target.secret, json_body(message(notification)), {"Content-Type": "application/json"})
