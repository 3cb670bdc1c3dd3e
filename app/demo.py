"""`aoai-watch demo`: everything on one machine with no Azure account.

A simulator with eastus2 (fast, a little flaky) and swedencentral (slower, stable), real probes
every 5 s, one drill early so the Drills page has a run, Azure Monitor's view of the same regions
imported every minute from the simulator's metrics and logs APIs (so the Azure Monitor page has
data), the alert rules after every cycle with a webhook channel to a receiver it runs itself (so
the Alerts page has deliveries), and the dashboard at http://127.0.0.1:8501. It prints the endpoints,
the key and the config it wrote, so `aoai-watch probe`, the failover client and curl can be pointed at it.

Everything it writes (config, database, locks, spool) goes into `data/demo/` under the current
folder, which carries its own `.gitignore`: a clone stays clean. The key comes from
$AOAI_DEMO_KEY, or is made for this run; it is a simulator key, printed on purpose, never stored
in the repository. Ctrl-C, SIGTERM or SIGHUP stops everything, Streamlit included; a dashboard
that dies on its own stops the demo with exit code 1.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
import threading
from pathlib import Path

from ..chaos.simulator import SimulatorThread, default_region
from ..chaos.simulator.cli import toml_string

DEMO_DIR = Path("data/demo")  # relative to where the demo runs, as the default database is
DEMO_DB = DEMO_DIR / "demo.duckdb"
DEMO_CONFIG = DEMO_DIR / "demo.toml"
DRILL = Path(__file__).resolve().parents[1] / "data" / "drills" / "01-eastus2-outage.toml"
KEY_ENV = "AOAI_DEMO_KEY"
MONITOR_LAG_S = 10  # how late the simulated Azure Monitor shows a request (Azure's own lag is minutes)
FIRST_IMPORT_S, IMPORT_EVERY_S = 15, 60
PROBE_EVERY_S = 5
ALERT_HOOK_ENV = "AOAI_DEMO_ALERT_HOOK"  # the demo's webhook channel: a receiver it runs itself


class _AlertReceiver:
    """A webhook receiver on 127.0.0.1 that answers 200 and prints one line per notification, so
    the demo's `webhook` channel has somewhere real to deliver (the Alerts page lists each)."""

    def __init__(self) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    n = json.loads(body)
                    print(f"alert webhook: {n['status']} {n['severity']}: {n['summary']}", flush=True)
                except (ValueError, KeyError, TypeError):
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/aoai-watch"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _folder() -> None:
    """data/demo/, ignored by git wherever it is (its own .gitignore), not only in this repository."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    ignore = DEMO_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by aoai-watch demo: everything here is made per run\n*\n")


def _config(urls: dict[str, str], monitor_tables: list[str], port: int = 8501) -> Path:
    text = f"database = {toml_string(DEMO_DB.resolve())}\n"
    for priority, name in enumerate(("eastus2", "swedencentral"), start=1):
        text += (
            f'[[regions]]\nname = "{name}"\nendpoint = "{urls[name]}"\npriority = {priority}\n'
            f'api_key_env = "{KEY_ENV}"\n[regions.deployments]\ngpt-4o = "gpt-4o"\n'
            'text-embedding-3-small = "text-embedding-3-small"\ngpt-realtime = "gpt-4o"\n'
        )
    text += (
        '[probes]\nkinds = ["chat", "stream", "responses_chain", "tools", "structured", "embeddings", "realtime", '
        '"failover"]\n'
        f'every_s = {PROBE_EVERY_S}\ntimeout_s = 10\nprober = "demo"\n'
    )
    # alerts after every cycle, to a webhook receiver the demo runs (the variable holds its URL)
    text += (
        f'[alerts]\nsilence_after = "1m"\ndashboard_url = "http://127.0.0.1:{port}"\n'
        f'[[alerts.channels]]\nname = "demo-webhook"\nkind = "webhook"\nurl_env = "{ALERT_HOOK_ENV}"\n'
    )
    text += "\n".join(monitor_tables) + "\n"
    DEMO_CONFIG.write_text(text)
    return DEMO_CONFIG


def _banner(urls: dict[str, str], control_url: str, key: str, port: int) -> str:
    """What is running, where, with which key and config, and what to try next."""
    east, config = urls["eastus2"], shlex.quote(str(DEMO_CONFIG))
    # the commands as this run was started (make demo: .venv/bin/aoai-watch), so they paste as they are
    command = sys.argv[0] if Path(sys.argv[0]).name == "aoai-watch" else "aoai-watch"
    python = shlex.quote(sys.executable)
    chat = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
    fault = '{"kind": "http_error", "region": "eastus2", "params": {"status": 503}, "duration_s": 60}'
    return "\n".join(
        [
            "aoai-watch demo: simulated Azure OpenAI, probes, a drill and the dashboard; no Azure account needed",
            f"  dashboard      http://127.0.0.1:{port}   <- open this (live data within a minute)",
            f"  eastus2        {east}/openai/v1/   (East US 2: fast, a little flaky)",
            f"  swedencentral  {urls['swedencentral']}/openai/v1/   (Sweden Central: slower, stable)",
            f"  control API    {control_url}   (POST /faults, GET /faults, POST /reset)",
            f"  key            {KEY_ENV}={key}   (this run's simulator key, header api-key)",
            f"  config         {DEMO_CONFIG}   (regions, probes, alerts and Azure Monitor of this run)",
            f"  alerts         webhook to {os.environ.get(ALERT_HOOK_ENV, 'a local receiver')}   "
            "(evaluated after every cycle; the Alerts page lists each delivery)",
            f"  database       {DEMO_DB}   (probes every {PROBE_EVERY_S} s; a drill in the first minute; "
            f"Azure Monitor imported every {IMPORT_EVERY_S} s)",
            "try, in another shell (Ctrl-C here stops everything):",
            f"  export {KEY_ENV}={key}",
            f"  {shlex.quote(command)} probe --config {config} --kinds chat",
            f'  {python} -c "from aoai_watch.failover import FailoverClient; '
            f"print(FailoverClient.from_config('{DEMO_CONFIG}').chat.completions.create(model='gpt-4o', "
            f"messages=[{{'role': 'user', 'content': 'hi'}}]).choices[0].message.content)\"",
            f'  curl -s {east}/openai/v1/chat/completions -H "api-key: ${KEY_ENV}" '
            f"-H 'content-type: application/json' -d '{chat}'",
            f"  curl -s -X POST {control_url}/faults -d '{fault}'   # East US 2 down for a minute",
        ]
    )


def run(port: int = 8501, seed: int | None = None, duration_s: float | None = None) -> int:
    """Run until a stop signal (or `duration_s`); 0 when stopped, 1 when the dashboard died."""
    from ..chaos.drills.model import load_drill
    from ..chaos.drills.report import store_records
    from ..chaos.drills.runner import run_drill
    from ..chaos.simulator.cli import monitor_tables
    from ..probes.config import load_config
    from ..probes.schedule import CycleReport, run_loop
    from ..probes.store import Store
    from . import serve
    from .alerting import run_alerts
    from .children import Children

    key = os.environ.get(KEY_ENV, "").strip() or secrets.token_hex(16)  # never a key kept in the repository
    os.environ[KEY_ENV] = key  # the config names the variable; the probes read it there
    _folder()
    regions = [default_region("eastus2", key), default_region("swedencentral", key)]
    receiver = _AlertReceiver()
    os.environ[ALERT_HOOK_ENV] = receiver.url  # before any thread starts (setenv is not thread-safe)
    with Children() as children, SimulatorThread(regions, seed=seed, monitor_lag_s=MONITOR_LAG_S) as sim:
        stop = children.stop  # a signal, the dashboard dying, or the duration ends the demo
        # eastus2 is fast but flaky, as in practice: a few 503s and 429s, now and then
        sim.add_fault("http_error", "eastus2", {"status": 503}, probability=0.04)
        sim.add_fault("rate_limit", "eastus2", {"retry_after_s": 5}, probability=0.03)
        monitor = sim.simulator.monitor.describe()  # type: ignore[union-attr]
        # the simulator's managed identity, set before any thread starts (setenv is not thread-safe)
        os.environ["IDENTITY_ENDPOINT"] = monitor["identity_endpoint"]
        os.environ["IDENTITY_HEADER"] = monitor["identity_header"]
        config_path = _config(sim.urls, monitor_tables(monitor), port)
        config = load_config(config_path)
        # the dashboard reads the config too: region priorities (failover order) and the SLOs
        children.adopt(serve.start(DEMO_DB, port=port, config=config_path, quiet=True))
        print(_banner(sim.urls, sim.control_url, key, port), flush=True)
        if duration_s is not None:
            timer = threading.Timer(duration_s, stop.set)
            timer.daemon = True  # a demo stopped earlier must not wait for it
            timer.start()

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
                return
            try:  # what `probe --every` does with [alerts]: the rules after every cycle
                run_alerts(config)
            except Exception as error:  # the demo goes on without it
                print(f"alert evaluation failed: {error}", file=sys.stderr, flush=True)

        drill_thread = threading.Thread(target=drill, daemon=True)
        drill_thread.start()
        import_thread = threading.Thread(target=import_monitor, daemon=True)
        import_thread.start()
        try:
            run_loop(config, report, stop=stop)  # until `stop`
        finally:
            stop.set()
            children.stop_all()  # the dashboard first: it must not outlive a demo that is ending
            drill_thread.join(30)
            import_thread.join(30)
            receiver.close()
    if children.failed is not None:
        print(
            f"aoai-watch demo: the dashboard exited on its own (exit code {children.failed.returncode}); demo stopped",
            file=sys.stderr,
        )
        return 1
    print("demo stopped", flush=True)
    return 0
