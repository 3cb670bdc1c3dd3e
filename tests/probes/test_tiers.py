"""What every probe records beyond its outcome: the deployment's tier (a region with a PTU
deployment is probed on both tiers), a PTU's utilization header (parsed robustly), a stream's
longest gap between events; and the store's migration of a database from before these columns."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.chaos.simulator.model import DeploymentSpec, RegionSpec, default_region
from aoai_watch.probes.config import load_config
from aoai_watch.probes.context import utilization_pct
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.runner import run_cycle
from aoai_watch.probes.store import MIGRATIONS, Store

from tests.failover import hostile
from tests.probes.conftest import ENV, write_config

PTU = "gpt4o-ptu"


@pytest.fixture(scope="module")
def ptu_sim():  # type: ignore[no-untyped-def]
    """eastus2 serves a second gpt-4o deployment, the one the config names provisioned."""
    plain = default_region("eastus2", ENV["PROBE_KEY"], latency_scale=0)
    region = RegionSpec(
        name=plain.name,
        deployments=(*plain.deployments, DeploymentSpec.for_model(PTU, "gpt-4o")),
        api_key=plain.api_key,
        latency=plain.latency,
    )
    with SimulatorThread([region, default_region("swedencentral", ENV["PROBE_KEY"], latency_scale=0)], seed=4) as sim:
        yield sim


@pytest.fixture
def sim_with_ptu(ptu_sim: SimulatorThread):  # type: ignore[no-untyped-def]
    ptu_sim.reset()
    yield ptu_sim
    ptu_sim.reset()


def ptu_config(sim: SimulatorThread, tmp_path: Path, kinds: str):  # type: ignore[no-untyped-def]
    config = write_config(sim, tmp_path, kinds=kinds)
    text = config.path.read_text().replace(
        'gpt-realtime = "gpt-4o"\n', f'gpt-realtime = "gpt-4o"\n[regions.provisioned]\ngpt-4o = "{PTU}"\n', 1
    )
    config.path.write_text(text)
    return load_config(config.path)


def test_a_region_with_a_ptu_deployment_is_probed_on_both_tiers(sim_with_ptu: SimulatorThread, tmp_path: Path) -> None:
    config = ptu_config(sim_with_ptu, tmp_path, '["chat", "tools", "embeddings", "failover"]')
    sim_with_ptu.add_fault("http_error", "eastus2", {"status": 503}, deployment=PTU)
    rows = run_cycle(config, environ=ENV)
    got = sorted((r.region, r.kind, r.tier or "", r.deployment or "") for r in rows)
    assert got == [
        ("eastus2", "chat", "provisioned", PTU),
        ("eastus2", "chat", "standard", "gpt-4o"),
        ("eastus2", "embeddings", "standard", "text-embedding-3-small"),  # no PTU of that model: one tier
        ("eastus2", "tools", "provisioned", PTU),
        ("eastus2", "tools", "standard", "gpt-4o"),
        ("failover", "failover", "standard", "gpt-4o"),
        ("swedencentral", "chat", "standard", "gpt-4o"),
        ("swedencentral", "embeddings", "standard", "text-embedding-3-small"),
        ("swedencentral", "tools", "standard", "gpt-4o"),
    ]
    by = {(r.region, r.kind, r.tier): r for r in rows}
    # the fault scoped to the PTU deployment reached only the provisioned rows
    assert by[("eastus2", "chat", "provisioned")].outcome == "server_error"
    assert by[("eastus2", "chat", "standard")].outcome in ("ok", "slow")
    # a PTU is paid by the hour, not by the token: no per-token cost for its probes
    sim_with_ptu.reset()
    ptu_ok = run_cycle(config, kinds=("chat",), environ=ENV)
    ptu_row = next(r for r in ptu_ok if r.tier == "provisioned")
    assert ptu_row.outcome in ("ok", "slow") and ptu_row.prompt_tokens and ptu_row.cost_usd is None
    assert all(r.cost_usd for r in ptu_ok if r.tier == "standard")
    Store(config.database).write(rows)
    _, stored = Store(config.database).query("SELECT tier, count(*) FROM probe_results GROUP BY tier ORDER BY tier", [])
    assert stored == [("provisioned", 2), ("standard", 7)]


@pytest.mark.parametrize(
    "header, pct",
    [
        ("57%", 57.0),
        ("57.3", 57.3),
        (" 57 % ", 57.0),
        ("0", 0.0),
        ("134.5%", 134.5),  # over 100: saturated, as Azure reports it
        ("high", None),
        ("", None),
        ("%", None),
        ("nan", None),
        ("inf%", None),
        ("-5", None),
        ("57%%", None),
        ("1e400", None),
        (None, None),
    ],
)
def test_utilization_header_parsing(header: str | None, pct: float | None) -> None:
    assert utilization_pct(header) == pct


def answer(status: str, headers: dict[str, str], body: dict) -> hostile.Reply:
    data = json.dumps(body).encode()

    def reply(conn: socket.socket) -> None:
        sent = {"Content-Type": "application/json", "Content-Length": str(len(data)), **headers}
        conn.sendall(hostile.head(status, sent) + data)

    return reply


CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}
THROTTLED = {"error": {"code": "429", "message": "Requests to the deployment are over its provisioned capacity."}}


@pytest.mark.parametrize(
    "status, body, header, pct, outcome",
    [
        ("200 OK", CHAT, "57%", 57.0, "ok"),
        ("200 OK", CHAT, "57.3", 57.3, "ok"),
        ("200 OK", CHAT, "lots", None, "ok"),
        ("429 Too Many Requests", THROTTLED, "112%", 112.0, "rate_limited"),
    ],
)
def test_the_utilization_an_answer_carries_is_recorded(
    tmp_path: Path, status: str, body: dict, header: str, pct: float | None, outcome: str
) -> None:
    headers = {"azure-openai-deployment-utilization": header, "retry-after-ms": "50"}
    with hostile.hostile_server(answer(status, headers, body)) as server:
        path = tmp_path / "ptu.toml"
        path.write_text(
            f'database = "{tmp_path / "p.duckdb"}"\n[[regions]]\nname = "eastus2"\nendpoint = "{server}"\n'
            'api_key_env = "PROBE_KEY"\n[regions.deployments]\ngpt-4o = "gpt4o-paygo"\n'
            '[regions.provisioned]\ngpt-4o = "gpt4o-ptu"\n[probes]\nkinds = ["chat"]\n'
        )
        row, standard = run_cycle(load_config(path), environ=ENV)
    assert (row.outcome, row.tier, row.deployment) == (outcome, "provisioned", "gpt4o-ptu")
    assert (standard.tier, standard.deployment) == ("standard", "gpt4o-paygo")  # the same answers, both tiers
    assert row.utilization_pct == pct
    store = Store(tmp_path / "p.duckdb")
    store.write([row])
    assert store.query("SELECT tier, utilization_pct FROM probe_results")[1] == [("provisioned", pct)]


def test_the_longest_gap_between_stream_events(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["stream", "chat"]', timeout_s=20)
    healthy = {(r.region, r.kind): r for r in run_cycle(config, environ=ENV)}
    assert healthy[("eastus2", "stream")].max_gap_ms is not None
    assert healthy[("eastus2", "chat")].max_gap_ms is None  # not a stream
    sim.add_fault("slow_stream", "eastus2", {"chunk_delay_ms": 400})
    rows = {(r.region, r.kind): r for r in run_cycle(config, environ=ENV)}
    slow = rows[("eastus2", "stream")]
    assert slow.outcome in ("ok", "slow") and slow.max_gap_ms is not None and slow.max_gap_ms >= 300
    assert slow.max_gap_ms <= slow.latency_ms
    assert (rows[("swedencentral", "stream")].max_gap_ms or 0) < slow.max_gap_ms


def test_the_realtime_probe_records_its_longest_gap_too(sim: SimulatorThread, tmp_path: Path) -> None:
    (row,) = [
        r for r in run_cycle(write_config(sim, tmp_path, kinds='["realtime"]'), environ=ENV) if r.region == "eastus2"
    ]
    assert row.outcome in ("ok", "slow") and row.max_gap_ms is not None and 0 <= row.max_gap_ms <= row.latency_ms


OLD_ROW = """INSERT INTO probe_results (id, ts, prober, region, deployment, kind, outcome, latency_ms)
VALUES ('old-1', TIMESTAMP '2026-11-01 10:00:00', 'p', 'eastus2', 'gpt-4o', 'chat', 'ok', 310.0)"""


def test_an_old_database_is_migrated_and_its_rows_read_as_standard(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a database as the version before these columns left it
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for number, sql in enumerate(MIGRATIONS[:3], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    con.execute(OLD_ROW)
    con.close()
    store = Store(path)
    # and a row an older version spooled (the database was locked), without the new keys
    old_spooled = ProbeResult(region="swedencentral", deployment="gpt-4o", kind="stream", ts=datetime(2026, 11, 1, 10))
    spooled = {k: v for k, v in old_spooled.as_row().items() if k not in ("tier", "utilization_pct", "max_gap_ms")}
    store.spool_path.write_text(json.dumps(spooled, default=str) + "\n")
    new = ProbeResult(region="eastus2", deployment=PTU, kind="stream", tier="provisioned", utilization_pct=57.0)
    new.max_gap_ms = 12.5
    report = store.write([new])
    assert (report.written, report.spooled) == (2, 0)
    assert store.query("SELECT max(version) FROM schema_version")[1] == [(len(MIGRATIONS),)]
    _, rows = store.query("SELECT id, tier, utilization_pct, max_gap_ms, latency_ms FROM probe_results ORDER BY ts")
    assert rows == [
        ("old-1", "standard", None, None, 310.0),
        (old_spooled.id, "standard", None, None, None),
        (new.id, "provisioned", 57.0, 12.5, None),
    ]
    store.write([])  # migrating again is a no-op
    assert store.count() == 3
