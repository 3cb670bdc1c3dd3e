"""`[otel]`: real probe cycles against the simulator, exported over OTLP/HTTP to a real receiver on
127.0.0.1 that decodes the protobuf (tests/otlp.py): names, units, attributes, bucket edges and
counts; a collector that is down, refuses or recovers costs no row and no cycle."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover.otel import DURATION, TIME_TO_FIRST_CHUNK, TOKEN_EDGES, TOKEN_USAGE, duration_edges_s
from aoai_watch.failover.outcomes import SUCCESSFUL
from aoai_watch.probes.config import AppConfig
from aoai_watch.probes.schedule import CycleReport, open_exporter, run_loop, run_once
from aoai_watch.probes.store import Store

from tests.conftest import AOAI, cli_env
from tests.otlp import Point, Receiver
from tests.probes.conftest import ENV, write_config

SECRET = "otel-header-secret-5b1e"
ENVIRON = {**ENV, "OTEL_KEY": SECRET}
KINDS = '["chat", "stream", "embeddings", "failover"]'
CUMULATIVE, DELTA = 2, 1  # AggregationTemporality in the protobuf


def otel_config(sim: SimulatorThread, tmp_path: Path, endpoint: str, extra: str = "") -> AppConfig:
    table = f'\n[otel]\nendpoint = "{endpoint}"\nheaders_env = {{ "api-key" = "OTEL_KEY" }}\ntimeout_s = 2\n{extra}'
    return write_config(sim, tmp_path, extra=table, kinds=KINDS)


def total(points: list[Point]) -> int:
    return sum(p.count for p in points)


def server(sim: SimulatorThread, region: str) -> tuple[str, int]:
    parts = urlsplit(sim.urls[region])
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def test_a_cycle_exports_every_row_once_with_the_genai_conventions(sim: SimulatorThread, tmp_path: Path) -> None:
    with Receiver() as otlp:
        config = otel_config(sim, tmp_path, otlp.endpoint)
        cycle = run_once(config, environ=ENVIRON)
        assert cycle.exported is not None and cycle.exported.ok and cycle.exported.rows == len(cycle.results) == 7
        assert len(otlp.metrics) == 1 and otlp.headers[0]["api-key"] == SECRET
        assert otlp.headers[0]["content-type"] == "application/x-protobuf"
        durations = otlp.points(DURATION)
    assert Store(config.database).count() == 7
    assert total(durations) == 7 and {p.unit for p in durations} == {"s"}
    assert {p.temporality for p in durations} == {CUMULATIVE}
    assert all(p.bounds == list(duration_edges_s()) and 2.0 in p.bounds for p in durations)
    assert all(len(p.bucket_counts) == len(p.bounds) + 1 and sum(p.bucket_counts) == p.count for p in durations)
    resource = durations[0].resource
    assert resource["service.name"] == "aoai-watch" and resource["service.instance.id"] == "test-prober"
    by_target = {(p.attributes["aoai_watch.region"], p.attributes["aoai_watch.kind"]): p for p in durations}
    assert len(by_target) == 7 and all(p.count == 1 for p in durations)  # one point per target, one row each
    host, port = server(sim, "eastus2")
    chat = by_target[("eastus2", "chat")].attributes
    assert chat["gen_ai.provider.name"] == "azure.ai.openai" and chat["gen_ai.operation.name"] == "chat"
    assert chat["gen_ai.request.model"] == "gpt-4o" and chat["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert (chat["server.address"], chat["server.port"]) == (host, port)
    assert chat["aoai_watch.outcome"] in SUCCESSFUL and "error.type" not in chat
    assert chat["aoai_watch.deployment"] == "gpt-4o" and chat["aoai_watch.tier"] == "standard"
    assert chat["aoai_watch.prober"] == "test-prober" and chat["http.response.status_code"] == 200
    embed = by_target[("swedencentral", "embeddings")].attributes
    assert embed["gen_ai.operation.name"] == "embeddings" and embed["gen_ai.request.model"] == "text-embedding-3-small"
    composite = by_target[("failover", "failover")].attributes
    assert (composite["server.address"], composite["server.port"]) == (host, port)  # served by eastus2
    # each row's duration is the one the database holds
    rows = {(r.region, r.kind): r.latency_ms for r in cycle.results if r.latency_ms is not None}
    for key, point in by_target.items():
        assert point.sum == pytest.approx(rows[key] / 1000.0)

    with_ttft = [r for r in cycle.results if r.ttft_ms is not None]
    ttft = otlp.points(TIME_TO_FIRST_CHUNK)
    assert {p.attributes["aoai_watch.kind"] for p in ttft} == {"stream"} and total(ttft) == len(with_ttft) == 2
    assert {p.unit for p in ttft} == {"s"} and all(p.bounds == list(duration_edges_s()) for p in ttft)

    tokens = otlp.points(TOKEN_USAGE)
    assert {p.unit for p in tokens} == {"{token}"} and all(p.bounds == list(TOKEN_EDGES) for p in tokens)
    by_type = {
        (p.attributes["aoai_watch.region"], p.attributes["aoai_watch.kind"], p.attributes["gen_ai.token.type"]): p
        for p in tokens
    }
    eastus2_chat = next(r for r in cycle.results if (r.region, r.kind) == ("eastus2", "chat"))
    assert by_type[("eastus2", "chat", "input")].sum == eastus2_chat.prompt_tokens
    assert by_type[("eastus2", "chat", "output")].sum == eastus2_chat.completion_tokens == 8
    assert sum(p.sum for p in tokens if p.attributes["gen_ai.token.type"] == "output") == sum(
        r.completion_tokens or 0 for r in cycle.results
    )


def test_an_outage_is_exported_with_error_type_and_the_composite_names_who_served(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    with Receiver() as otlp:
        cycle = run_once(otel_config(sim, tmp_path, otlp.endpoint), environ=ENVIRON)
        durations = otlp.points(DURATION)
    assert total(durations) == len(cycle.results) == 7
    failed = [p.attributes for p in durations if p.attributes["aoai_watch.region"] == "eastus2"]
    assert len(failed) == 3
    for attributes in failed:
        assert attributes["error.type"] == attributes["aoai_watch.outcome"] == "server_error"
        assert attributes["http.response.status_code"] == 503 and "gen_ai.response.model" not in attributes
    composite = next(p.attributes for p in durations if p.attributes["aoai_watch.region"] == "failover")
    assert composite["aoai_watch.outcome"] in SUCCESSFUL and "error.type" not in composite
    assert composite["server.port"] == server(sim, "swedencentral")[1]
    tokens = otlp.points(TOKEN_USAGE)
    assert not [p for p in tokens if p.attributes["aoai_watch.region"] == "eastus2"]  # a 503 used no tokens


def test_a_loop_keeps_one_exporter_and_its_cumulative_totals(sim: SimulatorThread, tmp_path: Path) -> None:
    stop = threading.Event()
    reports: list[CycleReport | Exception] = []

    def on_cycle(report: CycleReport | Exception) -> None:
        reports.append(report)
        if len(reports) == 2:
            stop.set()

    with Receiver() as otlp:
        config = otel_config(sim, tmp_path, otlp.endpoint)
        run_loop(config, on_cycle, every_s=1, stop=stop, environ=ENVIRON)
        assert all(isinstance(r, CycleReport) and r.exported and r.exported.ok for r in reports)
        assert len(otlp.metrics) == 2
        first, second = otlp.points(DURATION, 0), otlp.points(DURATION, 1)
    assert total(first) == 7 and total(second) == 14  # cumulative: the second export carries both cycles
    assert {p.start_ns for p in first} == {p.start_ns for p in second}  # one exporter, one start
    assert Store(config.database).count() == 14


def test_delta_temporality_exports_each_cycle_exactly_once(sim: SimulatorThread, tmp_path: Path) -> None:
    with Receiver() as otlp:
        config = otel_config(sim, tmp_path, otlp.endpoint, 'temporality = "delta"\n')
        exporter = open_exporter(config, ENVIRON)
        assert exporter is not None
        try:
            for _ in range(2):
                run_once(config, exporter=exporter, environ=ENVIRON)
        finally:
            exporter.close()
        counts = [total(otlp.points(DURATION, i)) for i in range(len(otlp.metrics))]
        temporalities = {p.temporality for i in range(len(otlp.metrics)) for p in otlp.points(DURATION, i)}
    assert counts == [7, 7] and temporalities == {DELTA}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_collector_is_one_log_line_and_costs_no_row(
    sim: SimulatorThread, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    config = otel_config(sim, tmp_path, endpoint)
    with caplog.at_level(logging.DEBUG):
        cycle = run_once(config, environ=ENVIRON)
    assert len(cycle.results) == 7 and Store(config.database).count() == 7 and not cycle.stored.problem
    assert cycle.exported is not None and not cycle.exported.ok
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    line = warnings[0].getMessage()
    assert warnings[0].name == "aoai_watch.probes.otel" and warnings[0].exc_info is None
    assert f"{endpoint}/v1/metrics failed (Connection refused)" in line and "7 rows are in the database" in line
    assert SECRET not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")]  # folded into the one line


def test_a_refusing_collector_names_its_status_and_a_recovered_one_gets_the_totals(
    sim: SimulatorThread, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver() as otlp:
        otlp.status = 401
        config = otel_config(sim, tmp_path, otlp.endpoint)
        exporter = open_exporter(config, ENVIRON)
        assert exporter is not None
        try:
            first = run_once(config, exporter=exporter, environ=ENVIRON)
            otlp.status = 200
            second = run_once(config, exporter=exporter, environ=ENVIRON)
        finally:
            exporter.close()
        assert first.exported is not None and first.exported.problem == "HTTP 401 Unauthorized"
        assert second.exported is not None and second.exported.ok
        assert len(otlp.metrics) == 1 and total(otlp.points(DURATION)) == 14  # nothing of cycle one lost
    assert Store(config.database).count() == 14
    assert SECRET not in caplog.text


def test_a_missing_header_variable_is_named_never_its_value(
    sim: SimulatorThread, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver() as otlp:
        config = otel_config(sim, tmp_path, otlp.endpoint)
        cycle = run_once(config, environ=ENV)  # OTEL_KEY is not set
        assert cycle.exported is not None and cycle.exported.ok and "api-key" not in otlp.headers[0]
    assert "OTEL_KEY is not set, so header api-key is not sent" in caplog.text


def test_without_otel_nothing_is_exported(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    assert config.otel is None and open_exporter(config) is None
    assert run_once(config, environ=ENV).exported is None


def test_the_probe_command_exports_and_survives_a_dead_collector(sim: SimulatorThread, tmp_path: Path) -> None:
    """`aoai-watch probe` as a user runs it: the same config exports to a live receiver, and with
    the collector gone the cycle still stores its rows, exits 0 and says so on one line."""
    with Receiver() as otlp:
        config = otel_config(sim, tmp_path, otlp.endpoint)
        env = cli_env(**ENVIRON)
        done = subprocess.run([AOAI, "probe", "--config", str(config.path)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert len(otlp.metrics) == 1 and total(otlp.points(DURATION)) == 7
    dead = config.path.read_text().replace(otlp.endpoint, f"http://127.0.0.1:{closed_port()}")
    config.path.write_text(dead)
    done = subprocess.run([AOAI, "probe", "--config", str(config.path)], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and Store(config.database).count() == 14
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "OTLP export to" in lines[0] and "(Connection refused)" in lines[0], done.stderr
    assert SECRET not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_the_sdk_header_variables_apply_and_headers_env_wins_by_name(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=from-the-sdk-variable,x-tenant=contoso")
    with Receiver() as otlp:
        run_once(otel_config(sim, tmp_path, otlp.endpoint), environ=ENVIRON)
        sent = otlp.headers[0]
    assert sent["api-key"] == SECRET and sent["x-tenant"] == "contoso"
