"""`aoai-watch demo`: a simulator, probes into DuckDB, a drill, an Azure Monitor import and the
dashboard, all from one command, stopped cleanly with Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import AOAI, cli_env, stop_cleanly


@pytest.mark.timeout(240)  # up to 90 s waiting, 20 s stopping: beyond the suite's 120 s on a loaded machine
def test_demo_probes_into_duckdb_serves_the_dashboard_and_stops_cleanly(tmp_path: Path) -> None:
    import socket as socket_module
    import urllib.request

    with socket_module.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [AOAI, "demo", "--port", str(port), "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
    )
    from aoai_watch.probes.store import Store

    store = Store(tmp_path / "data" / "demo.duckdb")

    def progress() -> dict[str, int]:
        return {
            "probe rows": store.count(),
            "drill runs": store.query("SELECT count(*) FROM drills")[1][0][0],
            "monitor imports": store.query("SELECT count(*) FROM monitor_imports")[1][0][0],  # one per region
        }

    def ready(seen: dict[str, int]) -> bool:
        return seen["probe rows"] >= 6 and seen["drill runs"] == 1 and seen["monitor imports"] >= 2

    seen: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 90  # about 35 s on an idle machine; the demo judges Monitor after 30 s
        while time.monotonic() < deadline:
            try:
                seen = progress()
            except Exception:  # the tables appear one by one; the file may be locked by the demo's writer
                seen = seen or {}
            if seen and ready(seen):
                break
            time.sleep(1)
        assert seen and ready(seen), f"the demo did not get there within 90 s: {seen}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
    finally:
        out, err = stop_cleanly(proc, signal.SIGINT)
    assert f"open http://127.0.0.1:{port}" in out and "demo stopped" in out, err
    _, rows = store.query("SELECT DISTINCT region FROM probe_results ORDER BY region")
    assert [r[0] for r in rows] == ["eastus2", "failover", "swedencentral"]
    # Azure Monitor's view of both regions, imported from the simulator: requests it served
    _, rows = store.query(
        "SELECT region, sum(value) FROM monitor_metrics WHERE metric = 'AzureOpenAIRequests' GROUP BY region"
    )
    assert {region for region, requests in rows if requests > 0} == {"eastus2", "swedencentral"}, err
