"""`aoai-watch import-metrics` against the simulator's Azure Monitor endpoints: Azure's own SDK
clients (MetricsClient, LogsQueryClient) and DefaultAzureCredential (managed identity, App Service
protocol) over real HTTPS sockets, after real traffic with faults."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from aoai_watch.app.cli import main
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.chaos.simulator.monitor import resource_id

from ..conftest import KEY, chat, sdk

LAG_S = 1.0


@pytest.fixture(scope="module")
def monitored() -> Iterator[SimulatorThread]:
    regions = [default_region("eastus2", KEY, latency_scale=0), default_region("swedencentral", KEY, latency_scale=0)]
    with SimulatorThread(regions, seed=11, monitor_lag_s=LAG_S) as sim:
        yield sim


@pytest.fixture
def sim(monitored: SimulatorThread, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    monitored.reset()
    monitored.simulator.monitor.monitoring_reader = True
    info = monitored.simulator.monitor.describe()
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", info["identity_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", info["identity_header"])
    monkeypatch.setenv("AOAI_TEST_KEY", KEY)
    yield monitored
    monitored.simulator.monitor.monitoring_reader = True


def write_config(
    tmp_path: Path, sim: SimulatorThread, overrides: dict[str, dict[str, str]] | None = None, **monitor: object
) -> Path:
    info = sim.simulator.monitor.describe()
    lines = [f'database = "{tmp_path / "watch.duckdb"}"']
    for name, url in sim.urls.items():
        lines += ["[[regions]]", f'name = "{name}"', f'endpoint = "{url}"', 'api_key_env = "AOAI_TEST_KEY"']
        lines += ["[regions.deployments]", 'gpt-4o = "gpt-4o"']
    lines += ["[monitor]", f'ca_file = "{info["ca_file"]}"', f'logs_endpoint = "{info["logs_endpoint"]}"']
    lines += [f"{k} = {v!r}" for k, v in monitor.items()]
    for name in sim.urls:
        table = {
            "resource_id": info["resource_ids"][name],
            "metrics_endpoint": info["metrics_endpoints"][name],
            "workspace_id": info["workspace_id"],
            **(overrides or {}).get(name, {}),
        }
        lines += [f"[monitor.regions.{name}]", *(f'{k} = "{v}"' for k, v in table.items())]
    path = tmp_path / "watch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def traffic(sim: SimulatorThread) -> dict[str, list[str]]:
    """Chats and embeddings with a 503 outage and a 429 burst on eastus2; the apim-request-ids of
    every answer, per region."""
    ids: dict[str, list[str]] = {"eastus2": [], "swedencentral": []}
    east, sweden = sdk(sim, "eastus2"), sdk(sim, "swedencentral")

    def call(client, region: str, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        try:
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-4o", messages=[{"role": "user", "content": "ping"}], **kwargs
            )
            ids[region].append(raw.headers["apim-request-id"])
        except Exception as exc:  # the failures are the point: their ids come from the error response
            ids[region].append(exc.response.headers["apim-request-id"])  # type: ignore[attr-defined]

    for _ in range(6):
        call(east, "eastus2")
    fault = sim.add_fault("http_error", "eastus2", {"status": 503})
    for _ in range(3):
        call(east, "eastus2")
    sim.clear_fault(fault.id)
    fault = sim.add_fault("rate_limit", "eastus2", {})
    for _ in range(2):
        call(east, "eastus2")
    sim.clear_fault(fault.id)
    for _ in range(4):
        call(sweden, "swedencentral")
    sweden.embeddings.create(model="text-embedding-3-small", input="hello")
    return ids


def served(sim: SimulatorThread) -> Counter[tuple[str, str, str]]:
    """(region, deployment, status) -> answers, as the simulator counted them."""
    return Counter(
        {
            (region, deployment or "", str(status)): n
            for region, state in sim.simulator.regions.items()
            for (deployment, status), n in state.served.items()
            if status
        }
    )


def imported(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def request_counts(db: Path) -> Counter[tuple[str, str, str]]:
    rows = imported(
        db,
        "SELECT region, deployment, status_code, sum(value) FROM monitor_metrics "
        "WHERE metric = 'AzureOpenAIRequests' GROUP BY ALL",
    )
    return Counter({(r, d, s): int(v) for r, d, s, v in rows})


def test_import_counts_match_what_the_simulator_served(sim: SimulatorThread, tmp_path: Path, capsys) -> None:
    ids = traffic(sim)
    time.sleep(LAG_S + 0.2)  # Azure's ingestion lag, scaled down
    config = write_config(tmp_path, sim)
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 0
    db = tmp_path / "watch.duckdb"
    expected = served(sim)
    assert expected[("eastus2", "gpt-4o", "503")] == 3 and expected[("eastus2", "gpt-4o", "429")] == 2
    assert request_counts(db) == expected
    # tokens: what the simulator charged for the successful calls
    prompt = sum(a.prompt_tokens for state in sim.simulator.regions.values() for a in state.log)
    ((imported_prompt,),) = imported(
        db, "SELECT sum(value) FROM monitor_metrics WHERE metric = 'ProcessedPromptTokens'"
    )
    assert imported_prompt == prompt > 0
    # availability: eastus2 had 3 of 11 answers 5xx in the same minute (or split across two)
    ((low,),) = imported(
        db, "SELECT min(value) FROM monitor_metrics WHERE metric = 'AzureOpenAIAvailabilityRate' AND region = 'eastus2'"
    )
    assert low < 100.0
    # the request logs hold every answer, joinable by apim-request-id, with the status served
    logged = dict(imported(db, "SELECT request_id, status_code FROM monitor_requests"))
    assert set(ids["eastus2"]) | set(ids["swedencentral"]) <= set(logged)
    assert Counter(logged[i] for i in ids["eastus2"]) == Counter({200: 6, 503: 3, 429: 2})
    out = capsys.readouterr().out
    assert "eastus2" in out and "ok" in out and "FAILED" not in out


def test_reimport_of_the_same_window_is_idempotent(sim: SimulatorThread, tmp_path: Path) -> None:
    traffic(sim)
    time.sleep(LAG_S + 0.2)
    config = write_config(tmp_path, sim)
    db = tmp_path / "watch.duckdb"
    assert main(["import-metrics", "--config", str(config), "--since", "2h", "--quiet"]) == 0
    first = (request_counts(db), imported(db, "SELECT count(*) FROM monitor_metrics")[0][0])
    first_logs = imported(db, "SELECT count(*) FROM monitor_requests")[0][0]
    assert main(["import-metrics", "--config", str(config), "--since", "2h", "--quiet"]) == 0
    assert (request_counts(db), imported(db, "SELECT count(*) FROM monitor_metrics")[0][0]) == first
    assert imported(db, "SELECT count(*) FROM monitor_requests")[0][0] == first_logs > 0
    assert imported(db, "SELECT count(*) FROM monitor_imports")[0][0] == 4  # two regions, twice


def test_points_inside_the_ingestion_lag_are_provisional_and_the_next_import_completes_them(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the last two chats must still be inside the (wall-clock) lag when the import asks: with 1 s an
    # import on a loaded machine came too late and saw them; 4 s leaves room
    lag_s = 4.0
    monkeypatch.setattr(sim.simulator.monitor, "lag_s", lag_s)
    config = write_config(tmp_path, sim, ingestion_lag_s=600)
    db = tmp_path / "watch.duckdb"
    east = sdk(sim, "eastus2")
    for _ in range(3):
        chat(east)
    time.sleep(lag_s + 0.2)
    for _ in range(2):
        chat(east)  # not visible to Azure Monitor yet
    asked = time.time()
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 0
    assert time.time() - asked < lag_s, "the import took longer than the lag: the check below means nothing"
    assert request_counts(db)[("eastus2", "gpt-4o", "200")] == 3
    assert imported(db, "SELECT bool_or(settled) FROM monitor_metrics")[0][0] is False
    time.sleep(lag_s + 0.2)
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 0
    assert request_counts(db)[("eastus2", "gpt-4o", "200")] == 5


def test_a_window_longer_than_31_days_is_imported_in_pieces(sim: SimulatorThread, tmp_path: Path) -> None:
    chat(sdk(sim, "swedencentral"))
    time.sleep(LAG_S + 0.2)
    config = write_config(tmp_path, sim)
    assert main(["import-metrics", "--config", str(config), "--since", "40d", "--quiet"]) == 0
    db = tmp_path / "watch.duckdb"
    assert request_counts(db)[("swedencentral", "gpt-4o", "200")] == 1
    ((days,),) = imported(db, "SELECT max(date_diff('day', since, until)) FROM monitor_imports")
    assert days == 40


def test_missing_monitoring_reader_role_names_the_role_and_the_scope(
    sim: SimulatorThread, tmp_path: Path, capsys
) -> None:
    sim.simulator.monitor.monitoring_reader = False
    config = write_config(tmp_path, sim)
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Monitoring Reader" in err and resource_id("eastus2") in err
    assert "Log Analytics Reader" in err  # the workspace query is refused too, with its own fix
    assert "Traceback" not in err and KEY not in err
    errors = imported(tmp_path / "watch.duckdb", "SELECT region, error FROM monitor_imports ORDER BY region")
    assert [r for r, _ in errors] == ["eastus2", "swedencentral"] and all("Monitoring Reader" in e for _, e in errors)


def test_wrong_resource_id_is_reported_with_how_to_find_the_right_one(
    sim: SimulatorThread, tmp_path: Path, capsys
) -> None:
    wrong = resource_id("eastus2").replace("sim-eastus2", "no-such-account")
    config = write_config(tmp_path, sim, {"eastus2": {"resource_id": wrong}})
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "not found" in captured.err and "az cognitiveservices account show" in captured.err
    assert "swedencentral    ok" in captured.out  # the other region still imported


def test_a_metrics_endpoint_of_another_region_is_reported(sim: SimulatorThread, tmp_path: Path, capsys) -> None:
    other = sim.simulator.monitor.describe()["metrics_endpoints"]["swedencentral"]
    config = write_config(tmp_path, sim, {"eastus2": {"metrics_endpoint": other}})
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "does not serve this resource's region" in err and "[monitor.regions.eastus2]" in err


def test_no_credential_at_all_fails_fast_with_the_ways_to_sign_in(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("IDENTITY_ENDPOINT")
    monkeypatch.delenv("IDENTITY_HEADER")
    monkeypatch.setenv("HOME", str(tmp_path))  # no Azure CLI profile, no shared token cache
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    config = write_config(tmp_path, sim, credential_timeout_s=20)
    started = time.monotonic()
    assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 1
    assert time.monotonic() - started < 60
    err = capsys.readouterr().err
    assert "az login" in err and "Traceback" not in err


def test_a_hung_credential_is_cut_off_at_credential_timeout(
    sim: SimulatorThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # a managed identity endpoint that accepts connections and never answers
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        hole.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(hole.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{hole.getsockname()[1]}/msi/token")
    config = write_config(tmp_path, sim, credential_timeout_s=1.5)
    try:
        started = time.monotonic()
        assert main(["import-metrics", "--config", str(config), "--since", "1h", "--quiet"]) == 1
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        hole.close()
    assert elapsed < 30  # two regions x two APIs, each bounded at 1.5 s; unbounded it would hang for minutes
    err = capsys.readouterr().err
    assert "within 1.5 s" in err and "credential_timeout_s" in err
