"""`aoai-watch probe --quiet`, as cron runs it against a real simulator: every line starts with a UTC
timestamp, and each failed probe is one line naming its region, kind, outcome and status."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aoai_watch.chaos.simulator import SimulatorThread

from tests.conftest import AOAI, cli_env
from tests.probes.conftest import ENV, sim_server, write_config  # noqa: F401 - the fixture is used

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def test_quiet_lines_start_with_utc_time_and_name_what_failed(sim_server: SimulatorThread, tmp_path: Path) -> None:  # noqa: F811
    sim_server.reset()
    config = write_config(sim_server, tmp_path, kinds='["chat", "embeddings"]')
    sim_server.add_fault("http_error", "eastus2", {"status": 503}, deployment="gpt-4o")
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        result = subprocess.run(
            [AOAI, "probe", "--config", str(config.path), "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
            env=cli_env(**ENV),
        )
        after = datetime.now(UTC)
    finally:
        sim_server.reset()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(re.match(STAMP + " ", line) for line in lines), result.stdout
    stamps = [datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for line in lines]
    assert all(before - timedelta(seconds=1) <= t <= after for t in stamps)  # UTC, not local time
    failed = [line.split(" ", 1)[1] for line in lines[:-1]]
    assert failed == ["eastus2/chat server_error 503"], result.stdout  # embeddings and swedencentral were fine
    assert re.fullmatch(STAMP + " 4 probes, 1 failed; 4 rows stored in .*", lines[-1]), lines[-1]


def test_a_failure_without_a_status_leaves_it_out(sim_server: SimulatorThread, tmp_path: Path) -> None:  # noqa: F811
    sim_server.reset()
    config = write_config(sim_server, tmp_path, kinds='["chat"]', timeout_s=0.5)
    sim_server.add_fault("black_hole", "swedencentral", {})
    try:
        result = subprocess.run(
            [AOAI, "probe", "--config", str(config.path), "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
            env=cli_env(**ENV),
        )
    finally:
        sim_server.reset()
    failed = [line.split(" ", 1)[1] for line in result.stdout.splitlines()[:-1]]
    assert failed == ["swedencentral/chat timeout"], result.stdout
