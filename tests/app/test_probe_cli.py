"""`aoai-watch probe` and `prune` as cron and systemd run them."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.schedule import cycle_lock
from aoai_watch.probes.store import Store

from tests.conftest import AOAI, cli_env
from tests.probes.conftest import ENV, sim_server, write_config  # noqa: F401 - the fixture is used


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AOAI, *args], capture_output=True, text=True, timeout=timeout, env=cli_env(**ENV))


def test_one_cycle_stores_rows_and_exits_0_even_when_probes_fail(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat", "embeddings", "failover"]')
    sim.add_fault("http_error", "eastus2", {"status": 503})
    result = run("probe", "--config", str(config.path))
    assert result.returncode == 0, result.stderr
    assert "server_error" in result.stdout and "5 probes, 2 failed; 5 rows stored" in result.stdout
    assert Store(config.database).count() == 5
    other = tmp_path / "other.duckdb"
    assert run("probe", "--config", str(config.path), "--db", str(other), "--quiet").returncode == 0
    assert Store(other).count() == 5


def test_overlapping_cycle_skips_without_losing_anything(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    with cycle_lock(config.database):
        result = run("probe", "--config", str(config.path))
    assert result.returncode == 0
    assert "a probe cycle is still running" in result.stderr and "skipping" in result.stderr
    assert Store(config.database).count() == 0
    assert run("probe", "--config", str(config.path)).returncode == 0
    assert Store(config.database).count() == 2


def test_loop_runs_cycles_until_sigterm(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    proc = subprocess.Popen(
        [AOAI, "probe", "--config", str(config.path), "--every", "1", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**ENV),
    )
    time.sleep(3.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    cycles = out.count("2 probes, 0 failed")
    assert cycles >= 2 and Store(config.database).count() == 2 * cycles


def test_bad_kinds_and_prune(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    bad = run("probe", "--config", str(config.path), "--kinds", "chat,telepathy")
    assert bad.returncode == 2 and "unknown probe kind(s) telepathy" in bad.stderr
    assert run("probe", "--config", str(config.path)).returncode == 0
    pruned = run("prune", "--older-than", "90d", "--config", str(config.path))
    assert pruned.returncode == 0 and "deleted 0 probe rows" in pruned.stdout
    assert run("prune", "--older-than", "3 months", "--db", str(config.database)).returncode == 2
