"""The two nouns of alerting: a `Condition` (what a rule finds true now) and a `Notification`
(one message about an alert, the one shape every channel formats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["FIRING", "RESOLVED", "Condition", "Notification"]

FIRING, RESOLVED = "firing", "resolved"


@dataclass(frozen=True)
class Condition:
    """A rule's finding: `dedup_key` names the alert (one per rule x subject x severity), so the
    same condition seen by the next run is the same alert, not a new one."""

    dedup_key: str
    rule: str
    severity: str  # "page" | "ticket"
    region: str
    summary: str
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Notification:
    """One message about one alert. `as_payload` is the webhook's JSON object (the fields the
    README documents); the other channels format the same fields their own way."""

    status: str  # FIRING | RESOLVED
    alert: str  # the rule's name
    severity: str
    region: str
    summary: str
    value: float | None
    threshold: float | None
    started_at: datetime  # naive UTC, as every ts in the store
    dedup_key: str
    dashboard_url: str
    resolved_at: datetime | None = None

    def as_payload(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "alert": self.alert,
            "severity": self.severity,
            "region": self.region,
            "summary": self.summary,
            "value": self.value,
            "threshold": self.threshold,
            "started_at": _iso(self.started_at),
            "resolved_at": _iso(self.resolved_at) if self.resolved_at else None,
            "dedup_key": self.dedup_key,
            "dashboard_url": self.dashboard_url,
        }

    @property
    def title(self) -> str:
        """One line for a message's heading: `[FIRING] page: availability burn rate, eastus2`."""
        return f"[{self.status.upper()}] {self.severity}: {self.alert}, {self.region}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
