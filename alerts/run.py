"""One evaluation, as `aoai-watch alert` (and `probe --every`, after each cycle) runs it: hold the
alerts lock, read the facts at `now`, run the rules, plan what changes, store it, then deliver
every pending notification (this run's and earlier runs' that failed) and store each outcome.

Overlapping runs never send twice: an evaluation holds `<db>.alerts.lock` (probes.schedule's cycle
lock, its own file, so a slow channel never makes a probe cycle skip) and a second one skips.
`dry_run` reads and plans only: nothing is written or sent, and the printed requests carry each
secret's variable name (`$AOAI_ALERT_...`) in its place.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from ..probes.alert_settings import AlertSettings, ChannelSettings
from ..probes.config import AppConfig
from ..probes.schedule import CycleBusy, cycle_lock
from ..probes.store import Store
from .channels import Request, Target, build
from .deliver import send_with_retries
from .facts import read_facts
from .model import Condition
from .rules import RuleContext, conditions
from .state import (
    DELIVERED,
    PENDING,
    REJECTED,
    AlertRow,
    DeliveryRow,
    Plan,
    alerts_by_id,
    open_alerts,
    pending_deliveries,
    plan,
    write,
)

__all__ = ["LOCK_SUFFIX", "RunReport", "evaluate"]

LOCK_SUFFIX = ".alerts.lock"


@dataclass(frozen=True)
class Outcome:
    """One delivery tried in this run (or, in a dry run, what would be sent)."""

    delivery: DeliveryRow
    alert: AlertRow
    request: Request | None = None  # dry runs only: secrets replaced by their variable names


@dataclass(frozen=True)
class RunReport:
    now: datetime
    conditions: list[Condition] = field(default_factory=list)
    plan: Plan = field(default_factory=Plan)
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: str | None = None  # another evaluation held the lock
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Every due notification delivered or still queued for a retry (none rejected)."""
        return all(o.delivery.state != REJECTED for o in self.outcomes)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _target(channel: ChannelSettings, environ: Mapping[str, str], source: str, dry_run: bool) -> Target | str:
    """The channel's secrets from the environment, or the problem (a variable not set)."""
    if dry_run:
        signing = f"${channel.secret_env}" if channel.secret_env else None
        return Target(f"${channel.url_env}", channel.endpoint, signing, source)
    secret = environ.get(channel.url_env, "").strip()
    if not secret:
        return f"${channel.url_env} is not set in the environment of this run; kept for the next run"
    signing = None
    if channel.secret_env:
        signing = environ.get(channel.secret_env, "").strip()
        if not signing:
            return f"${channel.secret_env} (the signing secret) is not set; kept for the next run"
    return Target(secret, channel.endpoint, signing, source)


def evaluate(
    config: AppConfig,
    now: datetime | None = None,
    dry_run: bool = False,
    store: Store | None = None,
    sleep: Callable[[float], None] = time.sleep,
    environ: Mapping[str, str] = os.environ,
    rng: random.Random | None = None,
    retirements: Mapping[str, date] | None = None,
) -> RunReport:
    """One evaluation at `now` (naive UTC; default: now). `retirements` maps a model version to
    its retirement day (the caller passes Microsoft's published table, chaos/simulator/lifecycle.py;
    none: the retiring rule finds nothing). Raises StoreBusy when the database stays locked."""
    settings = config.alerts or AlertSettings()
    now = now or _now()
    store = store or Store(config.database)
    try:
        with cycle_lock(config.database, LOCK_SUFFIX, "an alert evaluation"):
            ctx = RuleContext(settings, config.slo, retirements or {})
            return _evaluate(config, ctx, now, dry_run, store, sleep, environ, rng)
    except CycleBusy as busy:
        return RunReport(now, skipped=str(busy), dry_run=dry_run)


def _evaluate(
    config: AppConfig,
    ctx: RuleContext,
    now: datetime,
    dry_run: bool,
    store: Store,
    sleep: Callable[[float], None],
    environ: Mapping[str, str],
    rng: random.Random | None,
) -> RunReport:
    store.write_tables({})  # the schema's migrations: an older database gains the alert tables
    settings = ctx.settings
    found = conditions(read_facts(store, now, config.slo.latency_threshold_s * 1000), ctx)
    changes = plan(open_alerts(store), found, now, settings)
    if not dry_run:
        write(store, changes.alerts, changes.deliveries)
    # a dry run shows what this run would queue and what earlier runs left pending
    queued = [*changes.deliveries, *pending_deliveries(store)] if dry_run else pending_deliveries(store)
    known = {a.id: a for a in changes.alerts}
    known.update(alerts_by_id(store, sorted({d.alert_id for d in queued} - set(known))))
    channels = {c.name: c for c in settings.channels}
    position = {name: i for i, name in enumerate(channels)}  # the file's channel order, within one moment
    queued = sorted(queued, key=lambda d: (d.created_at, position.get(d.channel, len(position))))
    outcomes = []
    for delivery in queued:
        alert = known[delivery.alert_id]
        channel = channels.get(delivery.channel)
        if channel is None:
            gone = replace(delivery, state=REJECTED, answer="the channel is no longer configured", last_attempt_at=now)
            outcomes.append(Outcome(gone, alert))
            if not dry_run:
                write(store, deliveries=[gone])
            continue
        target = _target(channel, environ, config.probes.prober, dry_run)
        if isinstance(target, str):
            outcomes.append(Outcome(replace(delivery, answer=target, last_attempt_at=now), alert))
            if not dry_run:
                write(store, deliveries=[outcomes[-1].delivery])
            continue
        request = build(alert.notification(delivery.status, _alerts_url(settings)), channel, target)
        if dry_run:
            outcomes.append(Outcome(delivery, alert, request))
            continue
        attempt = send_with_retries(request, settings.timeout_s, settings.attempts, target.secrets, sleep, rng)
        state = DELIVERED if attempt.delivered else PENDING if attempt.retryable else REJECTED
        done = replace(
            delivery,
            state=state,
            attempts=delivery.attempts + attempt.attempts,
            http_status=attempt.http_status,
            answer=attempt.answer,
            last_attempt_at=_now(),
            delivered_at=_now() if attempt.delivered else None,
        )
        write(store, deliveries=[done])
        outcomes.append(Outcome(done, alert))
    return RunReport(now, found, changes, outcomes, dry_run=dry_run)


def _alerts_url(settings: AlertSettings) -> str:
    """The dashboard's Alerts page, when the dashboard's address is configured."""
    return f"{settings.dashboard_url}/alerts" if settings.dashboard_url else ""
