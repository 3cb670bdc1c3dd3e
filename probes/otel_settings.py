"""The `[otel]` table: where probes send their metrics over OTLP/HTTP (protobuf), and how.

    [otel]
    endpoint = "http://127.0.0.1:4318"        # the collector's base URL; /v1/metrics is appended
    headers_env = { "api-key" = "OTEL_KEY" }  # header name -> environment variable holding its value
    timeout_s = 5                             # bound on one export, retries included
    temporality = "cumulative"                # or "delta"
    service_name = "aoai-watch"               # the resource's service.name

Header values are never in the file, the logs or an error: only the names of the variables that
hold them. The OpenTelemetry SDK's own `OTEL_EXPORTER_OTLP_METRICS_HEADERS` /
`OTEL_EXPORTER_OTLP_HEADERS` apply too (the exporter merges them); a header named in both is
`headers_env`'s. Nothing here imports OpenTelemetry: reading a config stays light (probes/otel.py
exports).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..failover.config import ConfigError, Problems, is_loopback_host, seconds_fields, unknown_key

__all__ = ["METRICS_PATH", "TEMPORALITIES", "OtelSettings", "parse_otel"]

METRICS_PATH = "/v1/metrics"  # OTLP/HTTP's metrics path under the collector's base URL
TEMPORALITIES = ("cumulative", "delta")
_EXAMPLE = '"http://127.0.0.1:4318"'
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token (RFC 9110)
_VALID = ("endpoint", "headers_env", "timeout_s", "temporality", "service_name")


@dataclass(frozen=True)
class OtelSettings:
    endpoint: str  # the collector's base URL, without /v1/metrics
    headers_env: tuple[tuple[str, str], ...] = ()  # (header name, environment variable)
    timeout_s: float = 5.0
    temporality: str = "cumulative"
    service_name: str = "aoai-watch"

    @property
    def metrics_url(self) -> str:
        return self.endpoint.rstrip("/") + METRICS_PATH


def parse_otel(raw: Any, path: Path) -> OtelSettings | None:
    """None when the file has no [otel] table. Every problem is reported (`ConfigErrors` for
    several), each naming the file, the field and the fix."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "otel", f"must be a table: [otel] with endpoint = {_EXAMPLE}")
    problems = Problems()
    for key in raw:
        if key not in _VALID:
            problems.add(ConfigError(path, f"otel.{key}", unknown_key(key, _VALID)))
    values: dict[str, Any] = {}
    headers = problems.attempt(_headers_env, raw.get("headers_env", {}), path)
    if headers is not None:
        values["headers_env"] = headers
    endpoint = problems.attempt(_endpoint, raw.get("endpoint"), path, bool(headers))
    values.update(problems.attempt(seconds_fields, raw, "otel", {"timeout_s": 0.1}, path) or {})
    temporality = raw.get("temporality", "cumulative")
    if temporality not in TEMPORALITIES:
        problems.add(ConfigError(path, "otel.temporality", f'must be "cumulative" or "delta"; got {temporality!r}'))
    else:
        values["temporality"] = temporality
    if "service_name" in raw:
        name = raw["service_name"]
        if not isinstance(name, str) or not name.strip():
            problems.add(ConfigError(path, "otel.service_name", 'must be a non-empty string, e.g. "aoai-watch"'))
        else:
            values["service_name"] = name
    where = {key: i for i, key in enumerate(raw)}  # in the file's order, whatever order they are read in
    problems.errors.sort(key=lambda e: where.get(e.field.split(".")[1] if "." in e.field else "", -1))
    problems.raise_if_any()
    assert endpoint is not None
    return OtelSettings(endpoint=endpoint, **values)


def _endpoint(value: Any, path: Path, has_headers: bool) -> str:
    """The collector's base URL: http(s), a host, no credentials, query or fragment, and not the
    signal path itself. Plain http:// carries headers only to a loopback collector: a header is
    usually a key, and a key never travels in clear text."""
    field = "otel.endpoint"
    if value is None:
        raise ConfigError(path, field, f"required: the OTLP/HTTP collector's base URL, e.g. endpoint = {_EXAMPLE}")
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(path, field, f"must be an http:// or https:// URL such as {_EXAMPLE}; got {value!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            path, field, "must not carry credentials, a query or a fragment; put credentials in otel.headers_env"
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ConfigError(path, field, f"has an invalid port: {value!r}") from None
    if parts.path.rstrip("/").endswith(("/v1/metrics", "/v1/traces", "/v1/logs")):
        base = value[: value.rindex("/v1/")]
        raise ConfigError(
            path, field, f"give the collector's base URL ({base!r}); aoai-watch appends {METRICS_PATH} itself"
        )
    if has_headers and parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            path,
            field,
            "plain http:// to a host that is not loopback would send otel.headers_env in clear text: use https://",
        )
    return str(value).rstrip("/")


def _headers_env(raw: Any, path: Path) -> tuple[tuple[str, str], ...]:
    field = "otel.headers_env"
    example = '{ "api-key" = "OTEL_KEY" }'
    if not isinstance(raw, Mapping):
        raise ConfigError(path, field, f"must be a table of header name = environment variable, e.g. {example}")
    problems = Problems()
    pairs = []
    for header, env in raw.items():
        if not _HEADER_NAME.match(header):
            problems.add(ConfigError(path, f"{field}.{header}", "is not a valid HTTP header name"))
        elif not isinstance(env, str) or not _ENV_NAME.match(env):
            problems.add(
                ConfigError(
                    path,
                    f"{field}.{header}",
                    "must be the name of the environment variable that holds the value (letters, digits and "
                    'underscores, e.g. "OTEL_KEY"); values are never read from a config file',
                )
            )
        else:
            pairs.append((header, env))
    problems.raise_if_any()
    return tuple(pairs)
