"""The `[alerts]` table: the rules' knobs and the channels notifications go to, validated at load.

    [alerts]
    min_bad_events = 3                   # the low-traffic guard: bad probes a short window must hold
    silence_after = "5m"                 # "prober silent" after this long without a probe row
    repeat_after = "4h"                  # re-notify a page that is still firing
    retiring_within = "30d"              # "deployment retiring" ticket this long before the date
    dashboard_url = "https://aoai-watch.contoso.net"
    timeout_s = 10                       # one delivery attempt
    attempts = 3                         # within one run, with backoff; then kept for the next run
    [[alerts.channels]]
    name = "oncall"
    kind = "pagerduty"                   # webhook | slack | teams | pagerduty
    url_env = "AOAI_ALERT_PAGERDUTY_KEY" # URLs and keys are secrets: environment variable names only
    severities = ["page"]

Secrets (webhook URLs, the PagerDuty routing key, the webhook's HMAC secret) are never in the
file: only the names of the environment variables holding them. A URL or key pasted where a
variable name belongs is refused with the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..failover.config import ConfigError, Problems, check_number, is_loopback_host, nearest, unknown_key
from .slo import MIN_BAD_EVENTS

__all__ = [
    "CHANNEL_KINDS",
    "PAGERDUTY_EVENTS_URL",
    "SEVERITIES",
    "AlertSettings",
    "ChannelSettings",
    "parse_alerts",
    "parse_duration_s",
]

CHANNEL_KINDS = ("webhook", "slack", "teams", "pagerduty")
SEVERITIES = ("page", "ticket")
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
_KEYS = (
    "min_bad_events",
    "silence_after",
    "repeat_after",
    "retiring_within",
    "dashboard_url",
    "timeout_s",
    "attempts",
    "channels",
)
_CHANNEL_KEYS = ("name", "kind", "url_env", "severities", "secret_env", "endpoint")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_KEY = re.compile(r"^(?=.*\d)(?=.*[a-z])[A-Za-z0-9+/=_-]{20,}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ChannelSettings:
    """Where notifications of `severities` go. `url_env` names the variable holding the webhook URL
    (the routing key for pagerduty); `secret_env` the webhook's HMAC-SHA256 secret; `endpoint` the
    Events API URL for pagerduty (not a secret)."""

    name: str
    kind: str
    url_env: str
    severities: tuple[str, ...] = SEVERITIES
    secret_env: str | None = None
    endpoint: str = PAGERDUTY_EVENTS_URL


@dataclass(frozen=True)
class AlertSettings:
    min_bad_events: int = MIN_BAD_EVENTS
    silence_after_s: float = 300.0
    repeat_after_s: float = 4 * 3600.0
    retiring_within_s: float = 30 * 86400.0
    dashboard_url: str = ""
    timeout_s: float = 10.0
    attempts: int = 3
    channels: tuple[ChannelSettings, ...] = ()


def parse_duration_s(value: object, path: str | Path, field: str, low_s: float = 1.0) -> float:
    """A duration such as "90s", "5m", "4h" or "30d" as seconds (at least `low_s`, at most a year)."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(path, field, f'must be a duration such as "90s", "5m", "4h" or "30d"; got {value!r}')
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if not low_s <= seconds <= 366 * 86400:
        raise ConfigError(path, field, f"must be at least {low_s:g} s and at most 366d; got {value!r}")
    return seconds


def _variable_problem(value: object, what: str) -> str | None:
    """What is wrong with a field that must name an environment variable, or None: a URL (or a
    key, long with lower-case letters and digits) pasted in its place is a secret in the file."""
    if not isinstance(value, str) or not value:
        return f'required: the name of the environment variable that holds the {what}, e.g. "AOAI_ALERT_ONCALL"'
    pasted = "a URL" if "://" in value or "/" in value else "a key" if _LOOKS_LIKE_KEY.match(value) else None
    if pasted:
        return (
            f"this is {pasted}, not the name of an environment variable; the {what} is a secret and never "
            'belongs in a config file: export it as AOAI_ALERT_... and write its name, e.g. "AOAI_ALERT_ONCALL"'
        )
    if not _ENV_NAME.match(value):
        return f"{value!r} is not a valid environment variable name (letters, digits and underscores)"
    return None


def _url_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a URL string; got {value!r}"
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f'must be an http(s) URL, e.g. "https://aoai-watch.contoso.net"; got {value!r}'
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return f"must be https:// (http only to a loopback address); got {value!r}"
    return None


def _channel(raw: Any, index: int, path: Path) -> ChannelSettings:
    where = f"alerts.channels[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(path, where, "must be a table: [[alerts.channels]]")
    problems = Problems()
    for key in raw:
        if key not in _CHANNEL_KEYS:
            problems.add(ConfigError(path, f"{where}.{key}", unknown_key(key, _CHANNEL_KEYS)))
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name):
        problems.add(ConfigError(path, f"{where}.name", f'required: a short name such as "oncall"; got {name!r}'))
    else:
        where = f"alerts.channels[{index}] ({name})"
    kind = raw.get("kind")
    if kind not in CHANNEL_KINDS:
        close = nearest(kind, CHANNEL_KINDS) if isinstance(kind, str) else None
        hint = f" (did you mean {close}?)" if close else ""
        problems.add(
            ConfigError(path, f"{where}.kind", f"must be one of {', '.join(CHANNEL_KINDS)}; got {kind!r}{hint}")
        )
    what = "routing key" if kind == "pagerduty" else "webhook URL"
    problem = _variable_problem(raw.get("url_env"), what)
    if problem:
        problems.add(ConfigError(path, f"{where}.url_env", problem))
    severities = raw.get("severities", list(SEVERITIES))
    if not isinstance(severities, list) or not severities or any(s not in SEVERITIES for s in severities):
        problems.add(
            ConfigError(
                path, f"{where}.severities", f'must be a non-empty list of "page", "ticket"; got {severities!r}'
            )
        )
    secret_env = raw.get("secret_env")
    if secret_env is not None:
        if kind != "webhook":
            problems.add(ConfigError(path, f"{where}.secret_env", "only a webhook channel signs its requests"))
        elif problem := _variable_problem(secret_env, "HMAC secret"):
            problems.add(ConfigError(path, f"{where}.secret_env", problem))
    endpoint = raw.get("endpoint", PAGERDUTY_EVENTS_URL)
    if "endpoint" in raw:
        if kind != "pagerduty":
            problems.add(
                ConfigError(path, f"{where}.endpoint", "only pagerduty takes an endpoint (the others' URL is secret)")
            )
        elif problem := _url_problem(endpoint):
            problems.add(ConfigError(path, f"{where}.endpoint", problem))
    problems.raise_if_any()
    return ChannelSettings(
        name=str(name),
        kind=str(kind),
        url_env=str(raw["url_env"]),
        severities=tuple(dict.fromkeys(severities)),
        secret_env=secret_env,
        endpoint=str(endpoint),
    )


def parse_alerts(raw: Any, path: Path) -> AlertSettings | None:
    """None without an [alerts] table; every problem reported at once (`ConfigErrors` for several)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "alerts", "must be a table: [alerts]")
    problems = Problems()
    for key in raw:
        if key not in _KEYS:
            problems.add(ConfigError(path, f"alerts.{key}", unknown_key(key, _KEYS)))
    values: dict[str, Any] = {}
    for key, low, high in (("min_bad_events", 0, 1000), ("attempts", 1, 10)):
        if key in raw:
            number = problems.attempt(check_number, raw[key], path, f"alerts.{key}", low, high, whole=True)
            if number is not None:
                values[key] = number
    if "timeout_s" in raw:
        timeout = problems.attempt(check_number, raw["timeout_s"], path, "alerts.timeout_s", 0.1, 300, unit="seconds")
        if timeout is not None:
            values["timeout_s"] = timeout
    for key, low_s in (("silence_after", 30.0), ("repeat_after", 60.0), ("retiring_within", 86400.0)):
        if key in raw:
            seconds = problems.attempt(parse_duration_s, raw[key], path, f"alerts.{key}", low_s)
            if seconds is not None:
                values[f"{key}_s"] = seconds
    if "dashboard_url" in raw:
        problem = _url_problem(raw["dashboard_url"])
        if problem:
            problems.add(ConfigError(path, "alerts.dashboard_url", problem))
        else:
            values["dashboard_url"] = str(raw["dashboard_url"]).rstrip("/")
    channels = raw.get("channels", [])
    if not isinstance(channels, list):
        problems.add(ConfigError(path, "alerts.channels", "must be an array of tables: [[alerts.channels]]"))
        channels = []
    parsed = [problems.attempt(_channel, c, i, path) for i, c in enumerate(channels)]
    names = [c.name for c in parsed if c is not None]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add(ConfigError(path, "alerts.channels", f"two channels are named {name!r}; names must differ"))
    problems.raise_if_any()
    return AlertSettings(**values, channels=tuple(c for c in parsed if c is not None))
