"""`aoai-watch demo`: everything on one machine with no Azure account.

A simulator with eastus2 (fast, a little flaky) and swedencentral (slower, stable), real probes
every 5 s into `data/demo.duckdb`, one drill early so the Drills page has a run, Azure Monitor's
view of the same regions imported every minute from the simulator's metrics and logs APIs (so the
Azure Monitor page has data), and the dashboard at http://127.0.0.1:8501. Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from ..chaos.simulator import SimulatorThread, default_region
from ..chaos.simulator.cli import toml_string

DEMO_DB = Path("data/demo.duckdb")
DRILL = Path(__file__).resolve().parents[1] / "data" / "drills" / "01-eastus2-outage.toml"
KEY_ENV = "AOAI_DEMO_KEY"
MONITOR_LAG_S = 10  # how late the simulated Azure Monitor shows a request (Azure's own lag is minutes)
FIRST_IMPORT_S, IMPORT_EVERY_S = 15, 60


def _config(urls: dict[str, str], folder: Path, monitor_tables: list[str]) -> Path:
    text = f"database = {toml_string(DEMO_DB.resolve())}\n"
    for priority, name in enumerate(("eastus2", "swedencentral"), start=1):
        text += (
            f'[[regions]]\nname = "{name}"\nendpoint = "{urls[name]}"\npriority = {priority}\n'
            f'api_key_env = "{KEY_ENV}"\n[regions.deployments]\ngpt-4o = "gpt-4o"\n'
            'text-embedding-3-small = "text-embedding-3-small"\ngpt-realtime = "gpt-4o"\n'
        )
    text += (
        '[probes]\nkinds = ["chat", "stream", "responses_chain", "embeddings", "realtime", "failover"]\n'
        'every_s = 5\ntimeout_s = 10\nprober = "demo"\n'
    )
    text += "\n".join(monitor_tables) + "\n"
    path = folder / "demo.toml"
    path.write_text(text)
    return path


def run(port: int = 8501, seed: int | None = None) -> int:
    from ..chaos.drills.model import load_drill
    from ..chaos.drills.report import store_records
    from ..chaos.drills.runner import run_drill
    from ..chaos.simulator.cli import monitor_tables
    from ..probes.config import load_config
    from ..probes.schedule import CycleReport, run_loop
    from ..probes.store import Store
    from . import serve

    os.environ[KEY_ENV] = secrets.token_hex(16)
    DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    regions = [default_region("eastus2", os.environ[KEY_ENV]), default_region("swedencentral", os.environ[KEY_ENV])]
    with SimulatorThread(regions, seed=seed, monitor_lag_s=MONITOR_LAG_S) as sim:
        # eastus2 is fast but flaky, as in practice: a few 503s and 429s, now and then
        sim.add_fault("http_error", "eastus2", {"status": 503}, probability=0.04)
        sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 5}, probability=0.03)
        monitor = sim.simulator.monitor.describe()  # type: ignore[union-attr]
        # the simulator's managed identity, set before any thread starts (setenv is not thread-safe)
        os.environ["IDENTITY_ENDPOINT"] = monitor["identity_endpoint"]
        os.environ["IDENTITY_HEADER"] = monitor["identity_header"]
        config = load_config(_config(sim.urls, DEMO_DB.parent, monitor_tables(monitor)))
        dashboard = serve.start(DEMO_DB, port=port, quiet=True)
        print(
            f"aoai-watch demo: simulated East US 2 (fast, flaky) at {sim.urls['eastus2']} and Sweden Central "
            f"(slower, stable) at {sim.urls['swedencentral']}; control API {sim.control_url}"
        )
        print(
            f"probing every 5 s into {DEMO_DB}; one drill runs in the first minute; Azure Monitor's view is "
            f"imported every {IMPORT_EVERY_S} s"
        )
        print(f"open http://127.0.0.1:{port}  (live data within a minute); Ctrl-C stops everything", flush=True)

        def drill() -> None:
            if stop.wait(8):
                return
            result = run_drill(load_drill(DRILL), "bundled", progress=None)
            Store(DEMO_DB).write_drills(store_records([result]))
            print(
                f"drill {result.drill.name}: {'passed' if result.passed else 'FAILED'} ({len(result.calls)} calls)",
                flush=True,
            )

        def import_monitor() -> None:
            """What `aoai-watch import-metrics` does, every minute, signed in as the simulator's
            managed identity (the demo has no `az login`)."""
            from datetime import UTC, datetime, timedelta

            from ..probes.monitor.importer import import_metrics

            credential = None
            wait_s = FIRST_IMPORT_S
            while not stop.wait(wait_s):
                wait_s = IMPORT_EVERY_S
                now = datetime.now(UTC).replace(tzinfo=None)
                try:  # the last half hour again: imports are idempotent and complete provisional points
                    if credential is None:
                        from azure.identity import ManagedIdentityCredential

                        credential = ManagedIdentityCredential()  # reads IDENTITY_ENDPOINT / IDENTITY_HEADER
                    result = import_metrics(config, now - timedelta(minutes=30), now, credential)
                except Exception as error:  # the demo goes on without it
                    print(f"Azure Monitor import failed: {error}", file=sys.stderr, flush=True)
                    continue
                for region in result.regions:
                    for error in region.errors:
                        print(f"Azure Monitor import, {region.region}: {error}", file=sys.stderr, flush=True)

        def report(outcome: CycleReport | Exception) -> None:
            if isinstance(outcome, Exception):
                print(f"probe cycle failed: {outcome}", file=sys.stderr, flush=True)

        drill_thread = threading.Thread(target=drill, daemon=True)
        drill_thread.start()
        import_thread = threading.Thread(target=import_monitor, daemon=True)
        import_thread.start()
        try:
            run_loop(config, report, stop=stop)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            dashboard.terminate()
            dashboard.wait(10)
            drill_thread.join(30)
            import_thread.join(30)
    print("demo stopped", flush=True)
    return 0
