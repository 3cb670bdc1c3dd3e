"""`kill PID` (SIGTERM), Ctrl-C (SIGINT) and a closed terminal (SIGHUP) on the long-running commands:
`dashboard`, `demo`, `simulate`, `chaos proxy`. Each exits 0 and leaves no process of its own
behind (its Streamlit child least of all, which used to be orphaned and keep serving the port);
a Streamlit child that dies on its own ends the command with exit 1 and says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.app.processes import Lines, descendants, free_port, listening, pids_of, survivors, wait_for
from tests.conftest import AOAI, cli_env, wait_for_file

STOPS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _start_dashboard(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [AOAI, "dashboard", "--db", str(tmp_path / "empty.duckdb"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
    )
    wait_for(lambda: _healthy(port), 90, "the dashboard did not answer")
    return process, port


@pytest.mark.timeout(180)
@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_a_stopped_dashboard_leaves_no_streamlit_behind(tmp_path: Path, stop: signal.Signals) -> None:
    process, port = _start_dashboard(tmp_path)
    children = descendants(process.pid)
    assert children, "Streamlit runs as a child of the command"
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert survivors(children) == set(), "a Streamlit process outlived the command"
    assert not listening(port)


@pytest.mark.timeout(180)
def test_a_streamlit_that_dies_ends_the_dashboard_with_an_error(tmp_path: Path) -> None:
    process, _ = _start_dashboard(tmp_path)
    (streamlit, *_) = sorted(descendants(process.pid))
    os.kill(streamlit, signal.SIGKILL)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "the Streamlit server exited on its own" in err and "Traceback" not in err


@pytest.mark.timeout(240)
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stopped_demo_leaves_nothing_behind(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    process = subprocess.Popen(
        [AOAI, "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
    )
    lines = Lines(process)
    lines.until(lambda line: "East US 2 down for a minute" in line, 90)  # the banner's last line
    wait_for(lambda: _healthy(port), 90, "the demo's dashboard did not answer")
    everything = descendants(process.pid)
    assert everything
    process.send_signal(stop)
    process.wait(60)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert "demo stopped" in lines.rest()
    assert survivors(everything) == set()
    assert not listening(port)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_simulate_stops_cleanly_on_every_stop_signal(tmp_path: Path, stop: signal.Signals) -> None:
    ready = tmp_path / "sim.json"
    process = subprocess.Popen(
        [AOAI, "simulate", "--regions", "eastus2", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(AOAI_SIM_KEY="k"),
    )
    wait_for_file(ready, 60)
    ports = [int(url.rsplit(":", 1)[1]) for url in json.loads(ready.read_text())["regions"].values()]
    before = pids_of(process)
    process.send_signal(stop)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "simulator stopped" in out and not ready.exists()  # it unwound: ready file removed
    assert survivors(before) == set() and not any(listening(p) for p in ports)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_chaos_proxy_stops_cleanly_on_every_stop_signal(tmp_path: Path, stop: signal.Signals) -> None:
    ready = tmp_path / "proxy.json"
    port = free_port()
    process = subprocess.Popen(
        [
            AOAI,
            "chaos",
            "proxy",
            "--upstream",
            "https://contoso.openai.azure.com",
            "--listen",
            f"127.0.0.1:{port}",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    wait_for_file(ready, 60)
    assert listening(port)
    before = pids_of(process)
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert not ready.exists() and survivors(before) == set() and not listening(port)
