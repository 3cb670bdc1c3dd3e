"""Prometheus /metrics, scraped for real: `probe --every --metrics-port` running against the
simulator and `exporter` over the DuckDB file it wrote, each fetched with an HTTP GET and checked
by `promtool check metrics`; both serve the same counts; the exporter's counters survive a
restart and a prune; both listen on loopback unless told otherwise."""

from __future__ import annotations

import math
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover.outcomes import OUTCOMES, Outcome
from aoai_watch.probes.exporter import StoreMetrics, render
from aoai_watch.probes.metrics import BUCKETS_S
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import Store
from prometheus_client.parser import text_string_to_metric_families

from tests.app.processes import Lines
from tests.conftest import AOAI, cli_env
from tests.probes.conftest import ENV, sim_server, write_config  # noqa: F401 - the fixture is used

PROMTOOL = shutil.which("promtool") or "promtool"  # `make test` installs Debian's prometheus package
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@contextmanager
def _serving(*args: str) -> Iterator[tuple[str, Lines]]:
    """Start `aoai-watch <args>`; yield the /metrics URL it prints and its output; SIGTERM at the end."""
    process = subprocess.Popen(
        [AOAI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(**ENV)
    )
    lines = Lines(process)
    try:
        seen = lines.until(lambda line: "/metrics" in line, 60)
        url = next(w for w in seen[-1].split() if w.startswith("http://"))
        yield url, lines
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    assert code == 0, lines.rest()


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        return answer.read().decode()


def _promtool_accepts(text: str) -> None:
    checked = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _samples(text: str, counters_only: bool = False) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        if counters_only and family.type not in ("counter", "histogram"):
            continue
        for s in family.samples:
            found[s.name, tuple(sorted(s.labels.items()))] = s.value
    return found


def _value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the samples whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def _same_counts(a: Samples, b: Samples) -> None:
    assert a.keys() == b.keys()
    for key in a:  # counts are exact; sums of seconds and dollars may differ in the last float bits
        assert math.isclose(a[key], b[key], rel_tol=1e-9, abs_tol=1e-12), (key, a[key], b[key])


def test_prober_and_exporter_serve_the_same_metrics_that_promtool_accepts(
    sim_server: SimulatorThread,  # noqa: F811
    tmp_path: Path,
) -> None:
    sim_server.reset()
    config = write_config(sim_server, tmp_path, kinds='["chat", "stream", "embeddings", "failover"]')
    sim_server.add_fault("http_error", "eastus2", {"status": 503}, deployment="gpt-4o")
    try:
        with _serving("probe", "--config", str(config.path), "--every", "3600", "--metrics-port", "0") as (url, lines):
            assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
            lines.until(lambda line: " probes, " in line and "stored in" in line, 90)  # the first cycle stored
            prober_text = _scrape(url)
    finally:
        sim_server.reset()
    _promtool_accepts(prober_text)
    prober = _samples(prober_text)
    chat = {"region": "eastus2", "kind": "chat", "prober": "test-prober"}
    assert _value(prober, "aoai_probe_requests_total", **chat, outcome="server_error") == 1
    assert _value(prober, "aoai_probe_requests_total", **chat) == 1  # and 0 for every other outcome word
    assert len([k for k in prober if k[0] == "aoai_probe_requests_total" and ("kind", "chat") in k[1]]) == 2 * len(
        OUTCOMES
    )
    assert _value(prober, "aoai_probe_requests_total", region="swedencentral", kind="chat", outcome="ok") == 1
    # the composite failed over to swedencentral: one good probe, region="failover"
    assert _value(prober, "aoai_probe_requests_total", region="failover", kind="failover", outcome="ok") == 1
    stream = {"region": "swedencentral", "kind": "stream", "outcome": "ok"}
    assert _value(prober, "aoai_probe_ttft_seconds_count", **stream) == 1
    assert _value(prober, "aoai_probe_duration_seconds_bucket", **stream, le="2.0") == 1  # the simulator is fast
    assert {dict(k[1])["le"] for k in prober if k[0] == "aoai_probe_duration_seconds_bucket"} == {
        *(repr(e) for e in BUCKETS_S),
        "+Inf",
    }
    assert _value(prober, "aoai_probe_tokens_total", region="swedencentral", kind="chat", type="prompt") > 0
    assert _value(prober, "aoai_probe_cost_usd_total", region="swedencentral", kind="chat") > 0
    last = _value(prober, "aoai_probe_last_timestamp_seconds", region="eastus2", kind="chat")
    assert abs(last - datetime.now(UTC).timestamp()) < 600
    assert _value(prober, "aoai_probe_info", region="swedencentral", deployment="gpt-4o", tier="standard") == 1

    with _serving("exporter", "--db", str(config.database), "--port", "0") as (url, _):
        exporter_text = _scrape(url)
    _promtool_accepts(exporter_text)
    exporter = _samples(exporter_text)
    _same_counts(_samples(prober_text, counters_only=True), _samples(exporter_text, counters_only=True))
    for name in ("aoai_probe_last_timestamp_seconds", "aoai_probe_info", "aoai_probe_retry_after_seconds"):
        assert {k for k in prober if k[0] == name} == {k for k in exporter if k[0] == name}


def _results(now: datetime, days_ago: float, n: int, outcome: Outcome = Outcome.OK) -> list[ProbeResult]:
    return [
        ProbeResult(
            "eastus2",
            "gpt-4o",
            "chat",
            outcome,
            ts=now - timedelta(days=days_ago, minutes=i),
            prober="cron",
            latency_ms=300.0 + 400 * i,
            prompt_tokens=12,
            completion_tokens=4,
            cost_usd=0.0002,
            retry_after_s=6.0 if outcome == Outcome.RATE_LIMITED else None,
        )
        for i in range(n)
    ]


def test_exporter_counters_survive_a_restart_and_never_go_down_on_prune(tmp_path: Path) -> None:
    db = tmp_path / "cron.duckdb"
    store = Store(db)
    now = datetime.now(UTC).replace(tzinfo=None)
    store.write(_results(now, 120, 5) + _results(now, 100, 3, Outcome.RATE_LIMITED) + _results(now, 1, 4))
    with _serving("exporter", "--db", str(db), "--port", "0") as (url, _):
        before_text = _scrape(url)
    before = _samples(before_text, counters_only=True)
    assert _value(before, "aoai_probe_requests_total") == 12
    with _serving("exporter", "--db", str(db), "--port", "0") as (url, _):  # a restart loses nothing
        _same_counts(before, _samples(_scrape(url), counters_only=True))

    pruned = subprocess.run(
        [AOAI, "prune", "--older-than", "90d", "--db", str(db)], capture_output=True, text=True, timeout=60
    )
    assert pruned.returncode == 0 and "deleted 8 probe rows" in pruned.stdout, pruned.stdout + pruned.stderr
    assert store.count() == 4
    with _serving("exporter", "--db", str(db), "--port", "0") as (url, _):
        after_text = _scrape(url)
    _promtool_accepts(after_text)
    _same_counts(before, _samples(after_text, counters_only=True))
    after = _samples(after_text)
    # gauges tell the present: no stored row has a Retry-After any more, so the last one seen went too
    assert _value(after, "aoai_probe_retry_after_seconds") == 0

    # new rows, and a second prune of some of them, add up
    store.write(_results(now, 95, 2, Outcome.SERVER_ERROR) + _results(now, 0, 1))
    assert Store(db).prune(timedelta(days=90), now=now) == 2
    final = _samples(render(StoreMetrics(Store(db), cache_s=0)), counters_only=True)
    assert _value(final, "aoai_probe_requests_total") == 15
    assert _value(final, "aoai_probe_requests_total", outcome="server_error") == 2
    assert _value(final, "aoai_probe_tokens_total", type="prompt") == 15 * 12
    assert _value(final, "aoai_probe_duration_seconds_count", outcome="ok") == 10
    assert _value(final, "aoai_probe_duration_seconds_bucket", outcome="ok", le="2.0") == 5 + 4 + 1  # <= 2000 ms


def test_exporter_reads_the_store_at_most_once_per_cache_period(tmp_path: Path) -> None:
    db = tmp_path / "cache.duckdb"
    store = Store(db)
    now = datetime.now(UTC).replace(tzinfo=None)
    store.write(_results(now, 0, 1))
    clock = [100.0]
    metrics = StoreMetrics(store, cache_s=5.0, clock=lambda: clock[0])
    count = lambda: _value(_samples(render(metrics)), "aoai_probe_requests_total")  # noqa: E731
    assert count() == 1
    store.write(_results(now, 0, 2))
    clock[0] += 4.9
    assert count() == 1  # cached
    clock[0] += 0.1
    assert count() == 3


def test_servers_listen_on_loopback_unless_told_and_bad_use_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    remote = subprocess.run(
        [AOAI, "exporter", "--db", str(db), "--port", "0", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert remote.returncode == 2 and "--allow-remote" in remote.stderr and "Traceback" not in remote.stderr
    config = tmp_path / "c.toml"
    config.write_text(
        '[[regions]]\nname = "eastus2"\nendpoint = "https://e.openai.azure.com"\napi_key_env = "K"\n'
        '[regions.deployments]\ngpt-4o = "gpt-4o"\n'
    )
    once = subprocess.run(
        [AOAI, "probe", "--config", str(config), "--metrics-port", "0"], capture_output=True, text=True, timeout=60
    )
    assert once.returncode == 2 and "--metrics-port needs --every" in once.stderr
    remote_probe = subprocess.run(
        [AOAI, "probe", "--config", str(config), "--every", "60", "--metrics-port", "0", "--metrics-host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert remote_probe.returncode == 2 and "--allow-remote" in remote_probe.stderr
    folder = subprocess.run([AOAI, "exporter", "--db", str(tmp_path), "--port", "0"], capture_output=True, text=True)
    assert folder.returncode == 2 and "is a directory" in folder.stderr
