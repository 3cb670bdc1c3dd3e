"""The `[[regions]]` part of an aoai-watch config file, validated once at load.

The failover client, the probes and the simulator all read this part, so it lives here, in the
package that imports nothing else of aoai-watch. Every problem is a `ConfigError`, whose text
names the file, the field and what would be valid; a file with several problems raises
`ConfigErrors`, all of them, one line each (`Problems` collects them). Nothing here ever reads or
stores a key itself, only the name of the environment variable that holds it.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import reprlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

__all__ = [
    "AUTH_METHODS",
    "DAY_S",
    "PROVISIONED",
    "STANDARD",
    "TIERS",
    "ConfigError",
    "ConfigErrors",
    "Problems",
    "RegionConfig",
    "check_number",
    "endpoint_problem",
    "is_loopback_host",
    "load_toml",
    "nearest",
    "number_problem",
    "parse_regions",
    "seconds_fields",
    "unknown_key",
]

DAY_S = 86_400.0  # the upper bound of every timeout, period and duration: longer is a mistake

AUTH_METHODS = ("api-key", "entra")
_REGION_KEYS = ("name", "endpoint", "priority", "auth", "api_key_env", "deployments", "provisioned")
# A deployment's tier: provisioned throughput (PTU, `[regions.provisioned]`) or standard
# (pay-as-you-go, `[regions.deployments]`). Attempts try a region's provisioned one first.
PROVISIONED, STANDARD = "provisioned", "standard"
TIERS = (PROVISIONED, STANDARD)
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


class ConfigErrors(ConfigError):
    """Two or more problems in one file, in the order the file has them: `errors` holds one
    `ConfigError` each and `str()` is one line per problem. `path`, `field` and `problem` are the
    first one's, so code that reads one problem still reads a true one."""

    def __init__(self, errors: list[ConfigError]) -> None:
        assert len(errors) >= 2, "one problem is raised as its own ConfigError"
        self.errors = list(errors)
        first = self.errors[0]
        self.path, self.field, self.problem = first.path, first.field, first.problem
        ValueError.__init__(self, "\n".join(str(e) for e in self.errors))


T = TypeVar("T")


class Problems:
    """The problems found so far in one file, so a reader reports all of them at once instead of
    stopping at the first. A check that depends on a part with problems is skipped by its caller
    (a `[monitor.regions.x]` is not matched against regions that did not load), so one mistake
    reads as one line."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def __len__(self) -> int:
        return len(self.errors)

    def add(self, error: ConfigError) -> None:
        self.errors.extend(error.errors if isinstance(error, ConfigErrors) else [error])

    def attempt(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`read(*args, **kwargs)`, or None with its ConfigError(s) kept."""
        try:
            return read(*args, **kwargs)
        except ConfigError as exc:
            self.add(exc)
            return None

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ConfigErrors(self.errors)


def nearest(word: str, valid: tuple[str, ...] | list[str]) -> str | None:
    """The valid word `word` is most likely a typo of (difflib's ratio of 0.6 or more), or None."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key(key: str, valid: tuple[str, ...] | list[str], noun: str = "key", listing: str | None = None) -> str:
    """The problem text for a key no reader knows: the nearest valid one when the key looks like
    a typo of it (difflib), then what is valid (`listing`, default "valid keys are a, b")."""
    close = nearest(key, valid)
    hint = f" (did you mean {close}?)" if close else ""
    return f"unknown {noun}{hint}; " + (listing or f"valid keys are {', '.join(valid)}")


@dataclass(frozen=True)
class RegionConfig:
    """One Azure OpenAI resource: where it is, how to authenticate, what it deploys.

    `deployments` maps the model name code asks for to this region's standard (pay-as-you-go)
    deployment name; `provisioned` (optional) maps a model to a provisioned-throughput (PTU)
    deployment, tried before the standard one.
    """

    name: str
    endpoint: str  # scheme://host[:port], no trailing slash, no path
    priority: int = 1
    auth: Literal["api-key", "entra"] = "api-key"
    api_key_env: str | None = None
    deployments: Mapping[str, str] = field(default_factory=dict)
    provisioned: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problem = endpoint_problem(self.endpoint)
        if problem is not None:
            raise ValueError(f"region {self.name}: endpoint {problem}")

    @property
    def models(self) -> list[str]:
        """Every model this region deploys, in either tier, each once (standard ones first)."""
        return list(dict.fromkeys([*self.deployments, *self.provisioned]))

    def tiers_for(self, model: str) -> list[tuple[str, str]]:
        """(tier, deployment name) for `model`, in the order attempts take them: the provisioned
        deployment first, then the standard one; empty when the region does not deploy it."""
        found = [(PROVISIONED, self.provisioned.get(model)), (STANDARD, self.deployments.get(model))]
        return [(tier, name) for tier, name in found if name is not None]

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


def parse_regions(doc: Mapping[str, Any], path: str | Path, problems: Problems | None = None) -> list[RegionConfig]:
    """Validate `doc["regions"]` (an array of tables) into `RegionConfig`s, sorted by priority.

    Every problem of every region is reported: raised at the end (one `ConfigError`, or
    `ConfigErrors` for several), or, given `problems`, added to it (the regions that loaded are
    returned, so the caller can go on checking the rest of the file)."""
    own = problems is None
    found = Problems() if problems is None else problems
    regions = _regions(doc, path, found)
    if own:
        found.raise_if_any()
    return regions


def _regions(doc: Mapping[str, Any], path: str | Path, problems: Problems) -> list[RegionConfig]:
    raw = doc.get("regions")
    if raw is None:
        problems.add(
            ConfigError(
                path,
                "regions",
                "missing; add at least one [[regions]] table with name, endpoint and [regions.deployments]",
            )
        )
        return []
    if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
        problems.add(ConfigError(path, "regions", "must be one or more [[regions]] tables"))
        return []
    parsed = [(i, _parse_region(r, i, path, problems)) for i, r in enumerate(raw)]
    regions = []
    seen: dict[str, int] = {}
    for i, region in parsed:
        if region is None:
            continue
        if region.name in seen:
            problems.add(
                ConfigError(
                    path,
                    f"regions[{i}].name",
                    f"{region.name!r} is already used by regions[{seen[region.name]}]; region names must be unique",
                )
            )
            continue
        seen[region.name] = i
        regions.append(region)
    return sorted(regions, key=lambda r: r.priority)


def _parse_region(raw: Mapping[str, Any], index: int, path: str | Path, problems: Problems) -> RegionConfig | None:
    """One region, or None when it has problems (each one added to `problems`)."""
    where = f"regions[{index}]"
    before = len(problems)
    # a required key written with a typo is one mistake: the typo's line names the key it meant
    misspelt = {nearest(key, _REGION_KEYS) for key in raw if key not in _REGION_KEYS}

    def fail(key: str, problem: str) -> None:
        if key in misspelt and key not in raw:
            return
        problems.add(ConfigError(path, f"{where}.{key}", problem))

    name = raw.get("name")
    if not isinstance(name, str) or not _REGION_NAME.match(name):
        fail("name", 'required: a short lower-case region name such as "eastus2" (letters, digits, dashes)')
    else:
        where = f"regions[{index}] ({name})"

    for key in raw:
        if key.lower() in _LITERAL_KEY_FIELDS:
            fail(
                key,
                "keys are never read from a config file; put the key in an environment "
                'variable and name it here with api_key_env = "AOAI_KEY_..." '
                '(or use auth = "entra")',
            )
        elif key not in _REGION_KEYS:
            fail(key, unknown_key(key, _REGION_KEYS))

    endpoint = raw.get("endpoint")
    problem = endpoint_problem(endpoint)
    if problem is not None:
        fail("endpoint", problem)

    priority = raw.get("priority", index + 1)
    problem = number_problem(priority, 1, 1_000_000, whole=True, note="1 is tried first")
    if problem is not None:
        fail("priority", problem)

    auth = raw.get("auth", "api-key")
    api_key_env = raw.get("api_key_env")
    if auth not in AUTH_METHODS:
        fail("auth", f'must be "api-key" or "entra"; got {_SHORT.repr(auth)}')
    elif auth == "api-key":
        problem = _key_variable_problem(api_key_env)
        if problem is not None:
            fail("api_key_env", problem)
    elif api_key_env is not None:
        fail("api_key_env", 'only used with auth = "api-key"; remove it, or set auth = "api-key"')

    deployments = raw.get("deployments")
    if not isinstance(deployments, dict) or not deployments:
        fail(
            "deployments",
            "required: a [regions.deployments] table mapping each model to this "
            'region\'s deployment name, e.g. gpt-4o = "my-gpt4"',
        )
    else:
        _deployment_names(deployments, "deployments", fail)

    provisioned = raw.get("provisioned", {})
    if not isinstance(provisioned, dict):
        fail(
            "provisioned",
            "must be a [regions.provisioned] table mapping a model to this region's provisioned (PTU) "
            'deployment name, e.g. gpt-4o = "gpt4o-ptu"',
        )
    else:
        _deployment_names(provisioned, "provisioned", fail)
        standard = deployments if isinstance(deployments, dict) else {}
        for model, deployment in provisioned.items():
            if standard.get(model) == deployment:
                fail(
                    f"provisioned.{model}",
                    f"{deployment!r} is also this model's standard deployment; a provisioned deployment is a "
                    "separate deployment (sku ProvisionedManaged) with its own name",
                )

    if len(problems) > before:
        return None
    assert isinstance(name, str) and isinstance(deployments, dict) and isinstance(provisioned, dict)
    return RegionConfig(
        name=name,
        endpoint=_normal_endpoint(str(endpoint)),
        priority=int(priority),
        auth=auth,
        api_key_env=api_key_env,
        deployments=dict(deployments),
        provisioned=dict(provisioned),
    )


def _deployment_names(table: Mapping[str, Any], key: str, fail: Callable[[str, str], None]) -> None:
    """Each value of a deployments table must be a deployment name (non-empty, no '/')."""
    for model, deployment in table.items():
        if not isinstance(deployment, str) or not deployment.strip() or "/" in deployment:
            fail(
                f"{key}.{model}",
                f"must be the deployment name as a non-empty string without '/'; got {_SHORT.repr(deployment)}",
            )


def _key_variable_problem(api_key_env: object) -> str | None:
    """What is wrong with `api_key_env` of an api-key region, or None."""
    if api_key_env is None:
        return (
            'required with auth = "api-key": the name of the environment '
            'variable that holds the key, e.g. "AOAI_KEY_EASTUS2"'
        )
    if not isinstance(api_key_env, str) or _LOOKS_LIKE_KEY.match(api_key_env):
        return (
            "this looks like a key, not the name of an environment variable; "
            "keys are never read from a config file: export it as "
            'AOAI_KEY_... and write api_key_env = "AOAI_KEY_..."'
        )
    if not _ENV_NAME.match(api_key_env):
        return (
            f"{api_key_env!r} is not a valid environment variable name "
            "(letters, digits and underscores, not starting with a digit)"
        )
    return None


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


def _normal_endpoint(value: str) -> str:
    """A valid endpoint (`endpoint_problem` found nothing) as scheme://host[:port]."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    host = host if ":" not in host else f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
