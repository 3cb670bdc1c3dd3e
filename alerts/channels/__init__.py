"""One module per channel kind, each one function from a notification to the HTTP request that
delivers it (`build(notification, target) -> Request`), registered here by kind. Building never
sends and never logs: `Request` carries the secret URL or key, so only deliver.py touches it."""

from __future__ import annotations

from collections.abc import Callable

from ...probes.alert_settings import ChannelSettings
from ..model import Notification
from . import pagerduty, slack, teams, webhook
from .request import Request, Target

__all__ = ["BUILDERS", "Request", "Target", "build"]

BUILDERS: dict[str, Callable[[Notification, Target], Request]] = {
    "webhook": webhook.build,
    "slack": slack.build,
    "teams": teams.build,
    "pagerduty": pagerduty.build,
}


def build(notification: Notification, channel: ChannelSettings, target: Target) -> Request:
    """The request `channel` (its kind's module) sends for `notification`."""
    return BUILDERS[channel.kind](notification, target)
