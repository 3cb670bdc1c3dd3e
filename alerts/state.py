"""Alert state in the store: `alerts` (one row per firing episode of a dedup key) and
`alert_deliveries` (one row per notification per channel), and `plan`, the pure step from the
open alerts and the conditions of now to what changes and what to send:

- a condition without an open alert opens one, and queues `firing` to every channel of its severity;
- an open page still firing `repeat_after` after its last notification queues `firing` again;
- an open alert whose condition is gone resolves, and queues `resolved` once.

A queued notification is a delivery row in state `pending` until it is `delivered`, or `rejected`
(the channel answered 4xx: recorded with its answer, not retried). A pending row is retried by
every later run, in the order queued, and never queued twice. No URL, key or signature is a column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..probes.alert_settings import AlertSettings, ChannelSettings
from ..probes.store import Store
from .model import FIRING, RESOLVED, Condition, Notification

__all__ = ["AlertRow", "DeliveryRow", "Plan", "alerts_by_id", "open_alerts", "pending_deliveries", "plan", "write"]

PENDING, DELIVERED, REJECTED = "pending", "delivered", "rejected"


@dataclass(frozen=True)
class AlertRow:
    id: str
    dedup_key: str
    rule: str
    severity: str
    region: str
    summary: str
    value: float | None
    threshold: float | None
    state: str  # FIRING | RESOLVED
    started_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None
    notified_at: datetime | None = None

    TABLE = "alerts"

    def notification(self, status: str, dashboard_url: str) -> Notification:
        return Notification(
            status=status,
            alert=self.rule,
            severity=self.severity,
            region=self.region,
            summary=self.summary,
            value=self.value,
            threshold=self.threshold,
            started_at=self.started_at,
            dedup_key=self.dedup_key,
            dashboard_url=dashboard_url,
            resolved_at=self.resolved_at if status == RESOLVED else None,
        )


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    alert_id: str
    channel: str
    kind: str
    status: str  # the notification's: FIRING | RESOLVED
    state: str  # PENDING | DELIVERED | REJECTED
    attempts: int
    created_at: datetime
    http_status: int | None = None
    answer: str | None = None  # the channel's answer or the error, masked and cut short
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    TABLE = "alert_deliveries"


@dataclass(frozen=True)
class Plan:
    alerts: list[AlertRow] = field(default_factory=list)  # rows to write (opened, updated, resolved)
    deliveries: list[DeliveryRow] = field(default_factory=list)  # newly queued, pending


def _row(record: Any) -> dict[str, Any]:
    return {k: getattr(record, k) for k in record.__dataclass_fields__}


def _id(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _queue(alert: AlertRow, status: str, channels: tuple[ChannelSettings, ...], now: datetime) -> list[DeliveryRow]:
    return [
        DeliveryRow(_id(alert.id, c.name, status, now.isoformat()), alert.id, c.name, c.kind, status, PENDING, 0, now)
        for c in channels
        if alert.severity in c.severities
    ]


def plan(open_now: dict[str, AlertRow], found: list[Condition], now: datetime, settings: AlertSettings) -> Plan:
    """What changes at `now`: see the module's docstring. `open_now` maps dedup key -> open alert."""
    out = Plan()
    repeat = timedelta(seconds=settings.repeat_after_s)
    for c in found:
        alert = open_now.get(c.dedup_key)
        if alert is None:
            alert = AlertRow(
                _id(c.dedup_key, now.isoformat()),
                c.dedup_key,
                c.rule,
                c.severity,
                c.region,
                c.summary,
                c.value,
                c.threshold,
                FIRING,
                now,
                now,
                notified_at=now,
            )
            out.alerts.append(alert)
            out.deliveries.extend(_queue(alert, FIRING, settings.channels, now))
            continue
        again = alert.severity == "page" and (alert.notified_at is None or now - alert.notified_at >= repeat)
        alert = replace(
            alert,
            summary=c.summary,
            value=c.value,
            threshold=c.threshold,
            last_seen_at=now,
            notified_at=now if again else alert.notified_at,
        )
        out.alerts.append(alert)
        if again:
            out.deliveries.extend(_queue(alert, FIRING, settings.channels, now))
    seen = {c.dedup_key for c in found}
    for key, alert in open_now.items():
        if key in seen:
            continue
        alert = replace(alert, state=RESOLVED, resolved_at=now)
        out.alerts.append(alert)
        out.deliveries.extend(_queue(alert, RESOLVED, settings.channels, now))
    return out


def _alert_rows(store: Store, where: str, params: list[Any]) -> list[AlertRow]:
    columns = ", ".join(AlertRow.__dataclass_fields__)
    _, rows = store.query(f"SELECT {columns} FROM alerts WHERE {where}", params)
    return [AlertRow(*r) for r in rows]


def open_alerts(store: Store) -> dict[str, AlertRow]:
    """The firing alerts, by dedup key."""
    return {a.dedup_key: a for a in _alert_rows(store, "state = ?", [FIRING])}


def alerts_by_id(store: Store, ids: list[str]) -> dict[str, AlertRow]:
    if not ids:
        return {}
    return {a.id: a for a in _alert_rows(store, f"id IN ({', '.join('?' for _ in ids)})", ids)}


def pending_deliveries(store: Store) -> list[DeliveryRow]:
    """Queued and not yet delivered, oldest first (a firing before its resolution)."""
    columns = ", ".join(DeliveryRow.__dataclass_fields__)
    _, rows = store.query(f"SELECT {columns} FROM alert_deliveries WHERE state = ? ORDER BY created_at, id", [PENDING])
    return [DeliveryRow(*r) for r in rows]


def write(store: Store, alerts: Sequence[AlertRow] = (), deliveries: Sequence[DeliveryRow] = ()) -> None:
    """Insert or replace the rows by id, in one short transaction (raises StoreBusy)."""
    store.write_tables(
        {AlertRow.TABLE: [_row(a) for a in alerts], DeliveryRow.TABLE: [_row(d) for d in deliveries]},
        replace=True,
    )
