"""Hostile config and drill files, generated from the example config and the shipped drills by a
table of mutations (wrong types, nan/inf/negative/huge numbers, missing and unknown keys, deep
nesting, bad endpoints, bytes that are not UTF-8, empty files). Each one is given to the installed
command as a user would (`aoai-watch check-config FILE`, `aoai-watch drill run FILE`, which
validates every file before anything runs): it must exit 2 with exactly one line on stderr naming
the file, and no traceback."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import AOAI, cli_env

ROOT = Path(__file__).parents[2]
EXAMPLE = (ROOT / "data" / "aoai-watch.example.toml").read_text()
OUTAGE = (ROOT / "data" / "drills" / "01-eastus2-outage.toml").read_text()
RESPONSES = (ROOT / "data" / "drills" / "05-responses-state-loss.toml").read_text()

Mutation = Callable[[], str | bytes]
# The module fixture runs every command (about 0.8 s each, two at a time); its time counts
# against the first test's timeout.
pytestmark = pytest.mark.timeout(900)


def _section(lines: list[str], header: str) -> tuple[int, int]:
    """The line range of the first `header` table's body (after its header line, a comment allowed,
    up to the next header); `""` is the top level, before the first header."""
    start = next(i for i, line in enumerate(lines) if line.split("#")[0].strip() == header) + 1 if header else 0
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    return start, end


def set_key(text: str, header: str, key: str, value: str) -> str:
    """`key = value` in the first `header` table (`""` for the top level): replaced, else added."""
    lines = text.splitlines()
    start, end = _section(lines, header)
    for i in range(start, end):
        if re.match(rf"{re.escape(key)}\s*=", lines[i]):
            lines[i] = f"{key} = {value}"
            break
    else:
        lines.insert(start, f"{key} = {value}")
    return "\n".join(lines) + "\n"


def drop_key(text: str, header: str, key: str) -> str:
    lines = text.splitlines()
    start, end = _section(lines, header)
    kept = [line for i, line in enumerate(lines) if not (start <= i < end and re.match(rf"{key}\s*=", line))]
    assert len(kept) == len(lines) - 1, f"{key} not in {header}"
    return "\n".join(kept) + "\n"


def drop_table(text: str, header: str) -> str:
    lines = text.splitlines()
    start, end = _section(lines, header)
    return "\n".join(lines[: start - 1] + lines[end:]) + "\n"


DEEP_ARRAY = "[" * 5000 + "]" * 5000
DEEP_TABLE = "{ a = " * 5000 + "1" + " }" * 5000
NUMBERS = {"nan": "nan", "inf": "inf", "-inf": "-inf", "negative": "-1", "huge": "1e300", "bool": "true", "str": '"30"'}
CONFIG_NUMBERS = [
    ("[probes]", "timeout_s"),
    ("[probes]", "every_s"),
    ("[failover]", "read_timeout_s"),
    ("[failover]", "breaker_failures"),
    ("[slo.latency]", "threshold_s"),
    ("[monitor]", "credential_timeout_s"),
]


def _config_cases() -> Iterator[tuple[str, Mutation]]:
    e = EXAMPLE
    for header, key in CONFIG_NUMBERS:
        for name, value in NUMBERS.items():
            yield f"{header.strip('[]')}.{key}={name}", lambda h=header, k=key, v=value: set_key(e, h, k, v)
    table: dict[str, Mutation] = {
        "failover.deadline_s=nan": lambda: set_key(e, "[failover]", "deadline_s", "nan"),
        "failover.breaker_failure_ratio=inf": lambda: set_key(e, "[failover]", "breaker_failure_ratio", "inf"),
        "failover.backoff_max_s<base": lambda: set_key(e, "[failover]", "backoff_max_s", "0.1"),
        "failover.hedge_after_s=inf": lambda: set_key(e, "[failover]", "hedge_after_s", "inf"),
        "failover.conversations_kept=1.5": lambda: set_key(e, "[failover]", "conversations_kept", "1.5"),
        "probes.max_tokens=nan": lambda: set_key(e, "[probes]", "max_tokens", "nan"),
        "probes.max_tokens=huge": lambda: set_key(e, "[probes]", "max_tokens", "99999999999999999999999"),
        "slo.availability.target=nan": lambda: set_key(e, "[slo.availability]", "target", "nan"),
        "slo.latency.target=1": lambda: set_key(e, "[slo.latency]", "target", "1"),
        "slo.window=huge": lambda: set_key(e, "[slo.latency]", "window", '"99999999999999999999d"'),
        "monitor.ingestion_lag_s=inf": lambda: set_key(e, "[monitor]", "ingestion_lag_s", "inf"),
        "prices.input=inf": lambda: e + "[prices.gpt-4o]\ninput = inf\noutput = 10\n",
        "region.priority=nan": lambda: set_key(e, "[[regions]]", "priority", "nan"),
        "region.priority=0": lambda: set_key(e, "[[regions]]", "priority", "0"),
        # wrong types
        "probes=int": lambda: set_key(drop_table(e, "[probes]"), "", "probes", "3"),
        "failover=array": lambda: set_key(drop_table(e, "[failover]"), "", "failover", "[1, 2]"),
        "database=int": lambda: set_key(e, "", "database", "5"),
        "probes.kinds=string": lambda: set_key(e, "[probes]", "kinds", '"chat"'),
        "probes.kinds=nested": lambda: set_key(e, "[probes]", "kinds", '[["chat"]]'),
        "probes.chat_model=int": lambda: set_key(e, "[probes]", "chat_model", "4"),
        "region.name=int": lambda: set_key(e, "[[regions]]", "name", "7"),
        "region.auth=table": lambda: set_key(e, "[[regions]]", "auth", "{ kind = 'entra' }"),
        "region.deployment=int": lambda: set_key(e, "[regions.deployments]", "gpt-4o", "4"),
        "slo.window=int": lambda: set_key(e, "[slo.latency]", "window", "30"),
        "monitor region unknown": lambda: e.replace("[monitor.regions.eastus2]", "[monitor.regions.eastus2x]"),
        # missing and unknown keys
        "no regions": lambda: re.sub(r"^\[\[regions\]\].*?(?=^\[failover\])", "", e, flags=re.S | re.M),
        "region without endpoint": lambda: drop_key(e, "[[regions]]", "endpoint"),
        "region without name": lambda: drop_key(e, "[[regions]]", "name"),
        "region without key variable": lambda: drop_key(e, "[[regions]]", "api_key_env"),
        "region without deployments": lambda: drop_table(e, "[regions.deployments]"),
        "monitor region without resource_id": lambda: drop_key(e, "[monitor.regions.eastus2]", "resource_id"),
        "unknown top-level key": lambda: set_key(e, "", "dashbord", '"x"'),
        "unknown probes key": lambda: set_key(e, "[probes]", "timeout", "30"),
        "unknown failover key": lambda: set_key(e, "[failover]", "retries", "3"),
        "unknown region key": lambda: set_key(e, "[[regions]]", "weight", "1"),
        "literal api_key": lambda: set_key(e, "[[regions]]", "api_key", '"0123456789abcdef0123456789abcdef"'),
        "duplicate region": lambda: e.replace('name = "swedencentral"', 'name = "eastus2"'),
        # deep nesting
        "deep array": lambda: set_key(e, "[probes]", "kinds", DEEP_ARRAY),
        "deep inline table": lambda: set_key(e, "", "database", DEEP_TABLE),
        "deep unclosed": lambda: "a = " + "[" * 5000,
        "deep dotted key": lambda: e + "[probes.x" + ".y" * 5000 + "]\n",
        # bad endpoints
        "endpoint with a space": lambda: e.replace("contoso-eastus2.openai", "contoso eastus2.openai"),
        "endpoint plain http": lambda: e.replace("https://contoso-eastus2", "http://contoso-eastus2"),
        "endpoint with a path": lambda: e.replace('.openai.azure.com"', '.openai.azure.com/openai/v1"', 1),
        "endpoint with a query": lambda: e.replace('.openai.azure.com"', '.openai.azure.com?x=1"', 1),
        "endpoint with userinfo": lambda: e.replace("https://contoso-eastus2", "https://u:p@contoso-eastus2"),
        "endpoint port out of range": lambda: e.replace('.openai.azure.com"', '.openai.azure.com:99999"', 1),
        "endpoint ftp": lambda: e.replace("https://contoso-eastus2", "ftp://contoso-eastus2"),
        "endpoint empty": lambda: set_key(e, "[[regions]]", "endpoint", '""'),
        # bytes and syntax
        "not utf-8 in a comment": lambda: e.encode() + b"# \xff\xfe caf\xe9\n",
        "not utf-8 in a string": lambda: e.encode().replace(b"my-gpt4-mini", b"my-gpt4-m\xeeni"),
        "utf-16": lambda: e.encode("utf-16"),
        "nul byte": lambda: e.replace("database", "data\x00base", 1),
        "empty file": lambda: "",
        "only a comment": lambda: "# nothing here\n",
        "truncated": lambda: e[: e.index("contoso-swedencentral") + 5],
        "binary": lambda: bytes(range(256)) * 4,
    }
    yield from table.items()


def _drill_cases() -> Iterator[tuple[str, Mutation]]:
    o, r = OUTAGE, RESPONSES
    table: dict[str, Mutation] = {
        "at_s=nan": lambda: set_key(o, "[[timeline]]", "at_s", "nan"),
        "at_s=inf": lambda: set_key(o, "[[timeline]]", "at_s", "inf"),
        "at_s=-1": lambda: set_key(o, "[[timeline]]", "at_s", "-1"),
        "at_s=string": lambda: set_key(o, "[[timeline]]", "at_s", '"soon"'),
        "load.duration_s=inf": lambda: set_key(o, "[load]", "duration_s", "inf"),
        "load.duration_s=nan": lambda: set_key(o, "[load]", "duration_s", "nan"),
        "load.duration_s=huge": lambda: set_key(o, "[load]", "duration_s", "1e300"),
        "step.duration_s=inf": lambda: set_key(o, "[[timeline]]", "duration_s", "inf"),
        "step.duration_s=0": lambda: set_key(o, "[[timeline]]", "duration_s", "0"),
        "step.probability=nan": lambda: set_key(o, "[[timeline]]", "probability", "nan"),
        "step.probability=2": lambda: set_key(o, "[[timeline]]", "probability", "2"),
        "expect.min=nan": lambda: set_key(o, "[[expect]]", "min", "nan"),
        "expect.min=inf": lambda: set_key(o, "[[expect]]", "min", "inf"),
        "expect.min=bool": lambda: set_key(o, "[[expect]]", "min", "true"),
        "expect.max=nan": lambda: re.sub(r"max = 1.0", "max = nan", o),
        "expect.max=-inf": lambda: re.sub(r"max = 1.0", "max = -inf", o),
        "expect.from_s=nan": lambda: set_key(o, "[[expect]]", "from_s", "nan"),
        "load.concurrency=0": lambda: set_key(o, "[load]", "concurrency", "0"),
        "load.concurrency=inf": lambda: set_key(o, "[load]", "concurrency", "inf"),
        "load.concurrency=1.5": lambda: set_key(o, "[load]", "concurrency", "1.5"),
        "load.concurrency=huge": lambda: set_key(o, "[load]", "concurrency", "10000000000"),
        "load.turns=nan": lambda: set_key(r, "[load]", "turns", "nan"),
        "load rate and concurrency": lambda: set_key(o, "[load]", "rate_per_s", "5"),
        "client.read_timeout_s=0": lambda: set_key(o, "[client]", "read_timeout_s", "0"),
        "client.read_timeout_s=inf": lambda: set_key(o, "[client]", "read_timeout_s", "inf"),
        "client.deadline_s=nan": lambda: set_key(o, "[client]", "deadline_s", "nan"),
        "client.breaker_failures=0": lambda: set_key(o, "[client]", "breaker_failures", "0"),
        "client.breaker_failures=inf": lambda: set_key(o, "[client]", "breaker_failures", "inf"),
        "client.backoff_max_s<base": lambda: set_key(o, "[client]", "backoff_max_s", "0.01"),
        "client.backoff_base_s>default max": lambda: set_key(r, "[client]", "backoff_base_s", "10"),
        "client unknown option": lambda: set_key(o, "[client]", "retries", "3"),
        "client=int": lambda: drop_table(o, "[client]").replace("[load]", "client = 3\n\n[load]", 1),
        "unknown top-level key": lambda: set_key(o, "", "owner", '"me"'),
        "no title": lambda: drop_key(o, "", "title"),
        "title=int": lambda: set_key(o, "", "title", "5"),
        "description=table": lambda: re.sub(r'description = """.*?"""', "description = { a = 1 }", o, flags=re.S),
        "regions=string": lambda: set_key(o, "", "regions", '"eastus2"'),
        "no load": lambda: drop_table(o, "[load]"),
        "load=int": lambda: drop_table(o, "[load]").replace("[client]", "load = 3\n\n[client]", 1),
        "bad shape": lambda: set_key(o, "[load]", "shape", '"sms"'),
        "no expectations": lambda: re.sub(r"\[\[expect\]\].*", "", o, flags=re.S),
        "unknown fault": lambda: set_key(o, "[[timeline]]", "fault", '"meteor"'),
        "fault=array": lambda: set_key(o, "[[timeline]]", "fault", '["http_error"]'),
        "region not in drill": lambda: set_key(o, "[[timeline]]", "region", '"mars"'),
        "params=string": lambda: set_key(o, "[[timeline]]", "params", '"503"'),
        "params.status=nan": lambda: set_key(o, "[[timeline]]", "params", "{ status = nan }"),
        "unknown metric": lambda: set_key(o, "[[expect]]", "metric", '"happiness"'),
        "metric=table": lambda: set_key(o, "[[expect]]", "metric", "{ a = 1 }"),
        "deep array": lambda: set_key(o, "", "regions", DEEP_ARRAY),
        "deep inline table": lambda: set_key(o, "[[timeline]]", "params", DEEP_TABLE),
        "deep dotted key": lambda: o + "[load" + ".x" * 5000 + "]\n",
        "not utf-8": lambda: o.encode().replace(b"East US 2 outage", b"East US 2 \xff\xfe outage"),
        "empty file": lambda: "",
        "binary": lambda: bytes(range(256)) * 4,
    }
    yield from table.items()


CASES = [("config", name, make) for name, make in _config_cases()] + [
    ("drill", name, make) for name, make in _drill_cases()
]
COMMANDS = {"config": ("check-config",), "drill": ("drill", "run")}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], tuple[Path, subprocess.CompletedProcess[str]]]:
    """Every case's file written and its command run, two at a time (the machine has 2 cores)."""
    folder = tmp_path_factory.mktemp("hostile")

    def run(case: tuple[str, str, Mutation]) -> tuple[Path, subprocess.CompletedProcess[str]]:
        kind, name, make = case
        path = folder / f"{kind}-{_slug(name)}.toml"
        content = make()
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        command = [AOAI, *COMMANDS[kind], str(path)]
        try:
            return path, subprocess.run(command, capture_output=True, text=True, timeout=30, env=cli_env())
        except subprocess.TimeoutExpired as exc:  # e.g. a drill that runs forever: that case fails alone
            return path, subprocess.CompletedProcess(command, -1, "", f"timed out after 30 s: {exc}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(run, CASES))
    return {(kind, name): outcome for (kind, name, _), outcome in zip(CASES, done, strict=True)}


def test_the_table_is_big_enough_and_its_seeds_are_valid(tmp_path: Path) -> None:
    assert sum(kind == "config" for kind, _, _ in CASES) >= 70 and sum(kind == "drill" for kind, _, _ in CASES) >= 40
    from aoai_watch.chaos.drills.model import load_drill
    from aoai_watch.probes.config import load_config

    (tmp_path / "c.toml").write_text(EXAMPLE)
    load_config(tmp_path / "c.toml")  # the mutations start from files that load
    for text in (OUTAGE, RESPONSES):
        (tmp_path / "d.toml").write_text(text)
        load_drill(tmp_path / "d.toml")


@pytest.mark.parametrize("kind, name", [(kind, name) for kind, name, _ in CASES], ids=[f"{k}:{n}" for k, n, _ in CASES])
def test_hostile_file_exits_2_with_one_line_naming_the_file(
    results: dict[tuple[str, str], tuple[Path, subprocess.CompletedProcess[str]]], kind: str, name: str
) -> None:
    path, result = results[(kind, name)]
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and str(path) in lines[0], result.stderr
