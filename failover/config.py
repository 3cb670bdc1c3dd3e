"""The `[[regions]]` part of an aoai-watch config file, validated once at load.

The failover client, the probes and the simulator all read this part, so it lives here, in the
package that imports nothing else of aoai-watch. Every problem raises `ConfigError`, whose text
names the file, the field and what would be valid; nothing here ever reads or stores a key itself,
only the name of the environment variable that holds it.
"""

from __future__ import annotations

import ipaddress
import math
import re
import reprlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "AUTH_METHODS",
    "DAY_S",
    "ConfigError",
    "RegionConfig",
    "check_number",
    "endpoint_problem",
    "is_loopback_host",
    "load_toml",
    "number_problem",
    "parse_regions",
    "seconds_fields",
]

DAY_S = 86_400.0  # the upper bound of every timeout, period and duration: longer is a mistake

AUTH_METHODS = ("api-key", "entra")
_REGION_KEYS = ("name", "endpoint", "priority", "auth", "api_key_env", "deployments")
# Keys someone might use to paste a secret straight into the file.
_LITERAL_KEY_FIELDS = ("api_key", "api-key", "key", "apikey", "secret", "token", "password")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REGION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Azure keys are 32 hex digits (older) or 84 base62 characters (newer): a long run with no
# underscore and mixed digits/letters is a key, not an environment variable name.
_LOOKS_LIKE_KEY = re.compile(r"^(?=.*\d)(?=.*[a-zA-Z])[A-Za-z0-9+/=]{32,}$")


class ConfigError(ValueError):
    """A config file is unreadable or invalid. `str()` is the whole message for the user."""

    def __init__(self, path: str | Path, field: str, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class RegionConfig:
    """One Azure OpenAI resource: where it is, how to authenticate, what it deploys.

    `deployments` maps the model name code asks for to this region's deployment name.
    """

    name: str
    endpoint: str  # scheme://host[:port], no trailing slash, no path
    priority: int = 1
    auth: Literal["api-key", "entra"] = "api-key"
    api_key_env: str | None = None
    deployments: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problem = endpoint_problem(self.endpoint)
        if problem is not None:
            raise ValueError(f"region {self.name}: endpoint {problem}")

    @property
    def base_url(self) -> str:
        """The v1 base URL the openai SDK takes: `{endpoint}/openai/v1/`."""
        return f"{self.endpoint}/openai/v1/"

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.endpoint).hostname or "")


def is_loopback_host(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1: the only hosts that may see plain HTTP."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_SHORT = reprlib.Repr()  # repr cut short (a 5 MB string, a list nested 900 deep): for error messages
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlevel = 3


def number_problem(
    value: object,
    low: float,
    high: float,
    *,
    above: bool = False,
    below: bool = False,
    whole: bool = False,
    unit: str = "",
    note: str = "",
) -> str | None:
    """What is wrong with a number from a file, the command line or code, or None when it is one:
    an int or float (booleans are not numbers), finite (nan and inf are refused), whole if `whole`,
    and within `low`..`high` (`above`/`below` exclude the bound itself). The text says what would
    be valid, e.g. "must be a number of seconds > 0 and <= 86400 (a day; longer is a mistake); got inf"
    (`note` replaces the part in brackets).
    The one number rule: `check_number`, `seconds_fields`, `FailoverOptions` and the drill and
    command-line readers all apply it."""
    kind = "a whole number" if whole else "a number"
    of = f" of {unit}" if unit else ""
    lower = f"> {_plain(low)}" if above else f">= {_plain(low)}"
    upper = f"< {_plain(high)}" if below else f"<= {_plain(high)}"
    if not note and unit == "seconds" and high == DAY_S:
        note = "a day; longer is a mistake"
    wanted = f"must be {kind}{of} {lower} and {upper}" + (f" ({note})" if note else "")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{wanted}; got {_SHORT.repr(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{wanted}; got {value!r}, which is not a finite number"
    too_low = value <= low if above else value < low
    too_high = value >= high if below else value > high
    if too_low or too_high or (whole and value != int(value)):
        return f"{wanted}; got {_SHORT.repr(value)}"
    return None


def _plain(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else f"{bound:g}"


def check_number(
    value: object,
    path: str | Path,
    field: str,
    low: float,
    high: float,
    *,
    above: bool = False,
    below: bool = False,
    whole: bool = False,
    unit: str = "",
    note: str = "",
) -> Any:
    """`value` as a float (an int if `whole`) when `number_problem` finds nothing wrong with it,
    else a `ConfigError` naming the file, the field and what would be valid."""
    problem = number_problem(value, low, high, above=above, below=below, whole=whole, unit=unit, note=note)
    if problem is not None:
        raise ConfigError(path, field, problem)
    assert isinstance(value, int | float)
    return int(value) if whole else float(value)


def seconds_fields(
    table: Mapping[str, Any], name: str, minimums: Mapping[str, float], path: str | Path
) -> dict[str, float]:
    """The keys of `minimums` present in the `[name]` table, each a finite number of seconds from
    its minimum to a day (`check_number`), as floats."""
    return {
        key: check_number(table[key], path, f"{name}.{key}", minimum, DAY_S, unit="seconds")
        for key, minimum in minimums.items()
        if key in table
    }


def load_toml(path: str | Path, what: str = "config (see data/aoai-watch.example.toml)") -> dict[str, Any]:
    """Read a TOML file; a missing or unreadable file, bytes that are not UTF-8, a syntax error and
    nesting too deep to parse (a `RecursionError`) each become a one-line `ConfigError` naming the
    file. `what` is what the "no such file" message asks for."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", f"no such file; pass the path of a TOML {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read the file ({exc.__class__.__name__}: {exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            path, "", "nested too deeply to read; flatten its tables and arrays (a few levels are plenty)"
        ) from None


def parse_regions(doc: Mapping[str, Any], path: str | Path) -> list[RegionConfig]:
    """Validate `doc["regions"]` (an array of tables) into `RegionConfig`s, sorted by priority."""
    raw = doc.get("regions")
    if raw is None:
        raise ConfigError(
            path, "regions", "missing; add at least one [[regions]] table with name, endpoint and [regions.deployments]"
        )
    if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
        raise ConfigError(path, "regions", "must be one or more [[regions]] tables")
    regions = [_parse_region(r, i, path) for i, r in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, region in enumerate(regions):
        if region.name in seen:
            raise ConfigError(
                path,
                f"regions[{i}].name",
                f"{region.name!r} is already used by regions[{seen[region.name]}]; region names must be unique",
            )
        seen[region.name] = i
    return sorted(regions, key=lambda r: r.priority)


def _parse_region(raw: Mapping[str, Any], index: int, path: str | Path) -> RegionConfig:
    where = f"regions[{index}]"

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(path, f"{where}.{key}", problem)

    for key in raw:
        if key.lower() in _LITERAL_KEY_FIELDS:
            raise fail(
                key,
                "keys are never read from a config file; put the key in an environment "
                'variable and name it here with api_key_env = "AOAI_KEY_..." '
                '(or use auth = "entra")',
            )
        if key not in _REGION_KEYS:
            raise fail(key, f"unknown key; valid keys are {', '.join(_REGION_KEYS)}")

    name = raw.get("name")
    if not isinstance(name, str) or not _REGION_NAME.match(name):
        raise fail("name", 'required: a short lower-case region name such as "eastus2" (letters, digits, dashes)')
    where = f"regions[{index}] ({name})"

    endpoint = _parse_endpoint(raw.get("endpoint"), fail)

    priority = raw.get("priority", index + 1)
    problem = number_problem(priority, 1, 1_000_000, whole=True, note="1 is tried first")
    if problem is not None:
        raise fail("priority", problem)
    priority = int(priority)

    auth = raw.get("auth", "api-key")
    if auth not in AUTH_METHODS:
        raise fail("auth", f'must be "api-key" or "entra"; got {auth!r}')

    api_key_env = raw.get("api_key_env")
    if auth == "api-key":
        if api_key_env is None:
            raise fail(
                "api_key_env",
                'required with auth = "api-key": the name of the environment '
                'variable that holds the key, e.g. "AOAI_KEY_EASTUS2"',
            )
        if not isinstance(api_key_env, str) or _LOOKS_LIKE_KEY.match(api_key_env):
            raise fail(
                "api_key_env",
                "this looks like a key, not the name of an environment variable; "
                "keys are never read from a config file: export it as "
                'AOAI_KEY_... and write api_key_env = "AOAI_KEY_..."',
            )
        if not _ENV_NAME.match(api_key_env):
            raise fail(
                "api_key_env",
                f"{api_key_env!r} is not a valid environment variable name "
                "(letters, digits and underscores, not starting with a digit)",
            )
    elif api_key_env is not None:
        raise fail("api_key_env", 'only used with auth = "api-key"; remove it, or set auth = "api-key"')

    deployments = raw.get("deployments")
    if not isinstance(deployments, dict) or not deployments:
        raise fail(
            "deployments",
            "required: a [regions.deployments] table mapping each model to this "
            'region\'s deployment name, e.g. gpt-4o = "my-gpt4"',
        )
    for model, deployment in deployments.items():
        if not isinstance(deployment, str) or not deployment.strip() or "/" in deployment:
            raise fail(
                f"deployments.{model}",
                f"must be the deployment name as a non-empty string without '/'; got {deployment!r}",
            )

    return RegionConfig(
        name=name,
        endpoint=endpoint,
        priority=priority,
        auth=auth,
        api_key_env=api_key_env,
        deployments=dict(deployments),
    )


_EXAMPLE_ENDPOINT = '"https://contoso-eastus2.openai.azure.com"'
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def endpoint_problem(value: object) -> str | None:
    """What is wrong with an endpoint, or None when it is one: `https://host[:port]`, or
    `http://` only to a literal loopback address or `localhost` (a key must never travel in clear
    text), no credentials, query, fragment or path. The one rule, for config files and for
    `RegionConfig` built in code."""
    example = _EXAMPLE_ENDPOINT
    if not isinstance(value, str) or not value:
        return f"required: the resource URL, e.g. {example}"
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"must be an https:// URL such as {example}; got {value!r}"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"must not carry credentials, a query or a fragment; write only scheme and host, e.g. {example}"
    if parts.path not in ("", "/"):
        return (
            f"must not have a path ({parts.path!r}); aoai-watch appends /openai/v1/ "
            f"itself, so write only scheme and host, e.g. {example}"
        )
    if not _valid_host(parts.hostname):
        return f"has an invalid host name {parts.hostname!r}; e.g. {example}"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (
            "plain http:// is only allowed for loopback addresses (127.0.0.1, ::1, localhost: the simulator); "
            "a key must never travel in clear text: use https://"
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return f"has an invalid port: {value!r}"
    return None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.rstrip(".").split(".")
        return all(_HOST_LABEL.match(label) for label in labels)


def _parse_endpoint(value: Any, fail: Any) -> str:
    problem = endpoint_problem(value)
    if problem is not None:
        raise fail("endpoint", problem)
    parts = urlsplit(value)
    host = parts.hostname or ""
    host = host if ":" not in host else f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
