"""The installed `aoai-watch` command, run as a user runs it: exit codes, messages, no tracebacks;
`probe` and `prune` as cron and systemd run them."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.schedule import cycle_lock
from aoai_watch.probes.store import Store, StoreBusy

from tests.conftest import AOAI, cli_env, stop_cleanly, wait_for_file
from tests.probes.conftest import ENV, sim_server, write_config  # noqa: F401 - the fixture is used

EXAMPLE = Path(__file__).parents[2] / "data" / "aoai-watch.example.toml"
REGION = (
    '[[regions]]\nname = "x"\nendpoint = "https://x.openai.azure.com"\napi_key_env = "K"\n'
    '[regions.deployments]\ngpt-4o = "d"\n\n'
)


RID = (
    "/subscriptions/5f1c0d2e-0000-4000-8000-00000000a0a1/resourceGroups/g"
    "/providers/Microsoft.CognitiveServices/accounts/a"
)
MONITOR = f'[monitor.regions.x]\nresource_id = "{RID}"\nlocation = "uksouth"\n'


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AOAI, *args], capture_output=True, text=True, timeout=60, env=cli_env(**env))


def test_check_config_good_file_exits_0() -> None:
    result = run("check-config", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "OK, 2 region(s)" in result.stdout and "$AOAI_KEY_EASTUS2" in result.stdout


@pytest.mark.parametrize(
    "text, field",
    [
        ('[[regions]]\nname = "x"\nendpoint = "https://a.openai.azure.com"\napi_key = "abc"\n', "api_key"),
        ("[[regions]]\nname = \n", "not valid TOML"),
        ("regions = 3\n", "regions"),
        (REGION + '[probes]\nkinds = ["telepathy"]\n', "probes.kinds"),
        (REGION + "[dashboard]\nport = 1\n", "dashboard"),
        (REGION + "[slo.availability]\ntarget = 99.9\n", "slo.availability.target"),
        (REGION + "[failover]\ndeadline_s = -1\n", "failover.deadline_s"),
        (REGION + "[failover]\ndeadlin_s = 5\n", "failover.deadlin_s"),
        (REGION + '[monitor.regions.x]\nresource_id = "/subscriptions/oops"\n', "monitor.regions.x.resource_id"),
        (REGION + f'[monitor.regions.y]\nresource_id = "{RID}"\n', "monitor.regions.y"),
        (REGION + MONITOR + 'workspace_id = "ws"\n', "workspace_id"),
        (
            REGION + f'[monitor.regions.x]\nresource_id = "{RID}"\nlocation = "eastus2"\n'
            'metrics_endpoint = "https://swedencentral.metrics.monitor.azure.com"\n',
            "monitor.regions.x.metrics_endpoint",
        ),
        (REGION + MONITOR + 'metrics_endpoint = "http://h"\n', "https://"),
        (REGION + '[monitor]\nca_file = "/nonexistent.pem"\n', "monitor.ca_file"),
        (REGION + f'[monitor.regions.x]\nresource_id = "{RID}"\n', "defaults to the region's name"),
    ],
)
def test_check_config_bad_file_exits_2_without_traceback(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = run("check-config", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(path) in result.stderr
    assert field in result.stderr
    assert result.stdout == ""


def test_import_metrics_without_a_monitor_table_says_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(REGION)
    result = run("import-metrics", "--config", str(path))
    assert result.returncode == 2 and "[monitor.regions.<region>]" in result.stderr and "Traceback" not in result.stderr


def test_import_metrics_refuses_a_window_beyond_metric_retention(tmp_path: Path) -> None:
    path = tmp_path / "monitored.toml"
    path.write_text(REGION + f'[monitor.regions.x]\nresource_id = "{RID}"\nlocation = "eastus2"\n')
    result = run("import-metrics", "--config", str(path), "--since", "120d")
    assert result.returncode == 2 and "93 days" in result.stderr


def test_check_config_missing_file() -> None:
    result = run("check-config", "/nonexistent/aoai.toml")
    assert result.returncode == 2 and "no such file" in result.stderr and "Traceback" not in result.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    result = run()
    assert result.returncode == 2 and "check-config" in result.stdout


@pytest.mark.parametrize(
    "args, fix",
    [
        (("probe", "--config", str(EXAMPLE), "--every", "nan"), "--every: must be a number of seconds >= 1"),
        (("probe", "--config", str(EXAMPLE), "--every", "inf"), "a day; longer is a mistake); got inf"),
        (("probe", "--config", str(EXAMPLE), "--every", "0.5"), "got 0.5"),
        (("probe", "--config", str(EXAMPLE), "--every", "soon"), "got 'soon'"),
        (("simulate", "--latency-scale", "nan"), "--latency-scale: must be a number >= 0"),
        (("simulate", "--monitor-lag-s", "-inf"), "--monitor-lag-s"),
        (("simulate", "--control-port", "70000"), "--control-port: must be a whole number >= 0 and <= 65535"),
        (("simulate", "--tpm", "1.5"), "--tpm: must be a whole number"),
        (("dashboard", "--port", "0"), "--port"),
        (("probe",), "the following arguments are required: --config"),
    ],
)
def test_bad_command_line_numbers_exit_2_with_one_line(args: tuple[str, ...], fix: str) -> None:
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert fix in result.stderr and len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"aoai-watch {args[0]}: ") and "--help)" in result.stderr


def _start(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen[str], dict]:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [AOAI, "simulate", "--ready-file", str(ready), "--latency-scale", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(**env),
    )
    try:
        wait_for_file(ready)
    except TimeoutError:
        proc.kill()
        raise AssertionError(proc.communicate()[1]) from None
    return proc, json.loads(ready.read_text())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_simulate_regions_writes_ready_file_serves_and_stops_on_signal(tmp_path: Path, sig: int) -> None:
    proc, info = _start(tmp_path, "--regions", "eastus2,swedencentral", AOAI_SIM_KEY="cli-key")
    try:
        assert set(info["regions"]) == {"eastus2", "swedencentral"}
        assert info["control"].startswith("http://127.0.0.1:")
        client = openai.OpenAI(
            base_url=info["regions"]["swedencentral"] + "/openai/v1/", api_key="cli-key", max_retries=0
        )
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert reply.model == "gpt-4o-2024-08-06"
    finally:
        out, _ = stop_cleanly(proc, sig)
    assert "eastus2" in out and info["regions"]["eastus2"] in out and "cli-key" not in out
    assert not (tmp_path / "ready.json").exists()


def test_simulate_config_serves_the_files_regions_and_keys(tmp_path: Path) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    config = tmp_path / "sim.toml"
    config.write_text(f"""
[[regions]]
name = "eastus2"
endpoint = "http://127.0.0.1:{ports[0]}"
api_key_env = "KEY_A"
[regions.deployments]
gpt-4o = "my-gpt4"

[[regions]]
name = "swedencentral"
endpoint = "http://127.0.0.1:{ports[1]}"
api_key_env = "KEY_B"
[regions.deployments]
gpt-4o = "gpt4o-prod"
""")
    proc, info = _start(tmp_path, "--config", str(config), KEY_A="key-a", KEY_B="key-b")
    try:
        assert info["regions"]["eastus2"] == f"http://127.0.0.1:{ports[0]}"
        a = openai.OpenAI(base_url=f"http://127.0.0.1:{ports[0]}/openai/v1/", api_key="key-a", max_retries=0)
        assert (
            a.chat.completions.create(model="my-gpt4", messages=[{"role": "user", "content": "x"}]).model
            == "gpt-4o-2024-08-06"
        )
        with pytest.raises(openai.NotFoundError):
            a.chat.completions.create(model="gpt4o-prod", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=f"http://127.0.0.1:{ports[1]}/openai/v1/", api_key="key-a", max_retries=0
            ).models.list()
    finally:
        stop_cleanly(proc)


def test_simulate_config_errors_exit_2(tmp_path: Path) -> None:
    result = run("simulate", "--config", str(EXAMPLE))
    assert result.returncode == 2 and "loopback" in result.stderr and "Traceback" not in result.stderr
    config = tmp_path / "sim.toml"
    config.write_text(
        '[[regions]]\nname = "eastus2"\nendpoint = "http://127.0.0.1:1"\napi_key_env = "UNSET_KEY"\n'
        '[regions.deployments]\ngpt-4o = "d"\n'
    )
    result = run("simulate", "--config", str(config))
    assert result.returncode == 2 and "UNSET_KEY is not set" in result.stderr


def test_simulate_without_a_key_explains_how_to_give_one() -> None:
    result = run("simulate", "--regions", "eastus2")
    assert result.returncode == 2 and "AOAI_SIM_KEY" in result.stderr and "Traceback" not in result.stderr


def test_simulate_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = tmp_path / "sim.toml"
        config.write_text(
            f'[[regions]]\nname = "eastus2"\nendpoint = "http://127.0.0.1:{port}"\n'
            'api_key_env = "K"\n[regions.deployments]\ngpt-4o = "d"\n'
        )
        result = run("simulate", "--config", str(config), K="k")
    assert result.returncode == 1 and "cannot listen" in result.stderr and "Traceback" not in result.stderr


def run_with_probe_key(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AOAI, *args], capture_output=True, text=True, timeout=timeout, env=cli_env(**ENV))


def test_one_cycle_stores_rows_and_exits_0_even_when_probes_fail(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat", "embeddings", "failover"]')
    sim.add_fault("http_error", "eastus2", {"status": 503})
    result = run_with_probe_key("probe", "--config", str(config.path))
    assert result.returncode == 0, result.stderr
    assert "server_error" in result.stdout and "5 probes, 2 failed; 5 rows stored" in result.stdout
    assert Store(config.database).count() == 5
    other = tmp_path / "other.duckdb"
    assert run_with_probe_key("probe", "--config", str(config.path), "--db", str(other), "--quiet").returncode == 0
    assert Store(other).count() == 5


def test_overlapping_cycle_skips_without_losing_anything(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    with cycle_lock(config.database):
        result = run_with_probe_key("probe", "--config", str(config.path))
    assert result.returncode == 0
    assert "a probe cycle is still running" in result.stderr and "skipping" in result.stderr
    assert Store(config.database).count() == 0
    assert run_with_probe_key("probe", "--config", str(config.path)).returncode == 0
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
    # until two cycles are stored (a fixed 3.5 s sleep saw fewer on a loaded machine: the command's
    # start-up alone can take seconds), then SIGTERM
    store, deadline = Store(config.database), time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(StoreBusy):  # the loop may hold the file for a moment
            if store.count() >= 4:
                break
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    cycles = out.count("2 probes, 0 failed")
    assert cycles >= 2 and Store(config.database).count() == 2 * cycles


def test_the_loop_evaluates_the_alert_rules_after_each_cycle_and_notifies_once(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    """`probe --every` with [alerts]: East US 2 answering 503 pages through the webhook after
    min_bad_events failed cycles, and the cycles after it send nothing more."""
    from tests.alerts.receiver import Receiver

    sim.add_fault("http_error", "eastus2", {"status": 503})
    alerts = (
        '[alerts]\nmin_bad_events = 2\n[[alerts.channels]]\nname = "hook"\nkind = "webhook"\nurl_env = "HOOK_URL"\n'
    )
    config = write_config(sim, tmp_path, extra=alerts, kinds='["chat"]')
    with Receiver() as receiver:
        proc = subprocess.Popen(
            [AOAI, "probe", "--config", str(config.path), "--every", "1", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(**ENV, HOOK_URL=f"{receiver.url}/hook/s3cretpath"),
        )
        pages = lambda: [r.body for r in receiver.requests if r.body["severity"] == "page"]  # noqa: E731
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline and not pages():
            time.sleep(0.2)
        store, cycles = Store(config.database), 0
        while proc.poll() is None and time.monotonic() < deadline:  # two cycles more after the page
            with contextlib.suppress(StoreBusy):
                cycles = store.count() // 2
                if cycles >= 5:
                    break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [(p["status"], p["alert"], p["region"]) for p in pages()] == [
        ("firing", "availability burn rate", "eastus2")
    ]
    assert cycles >= 5 and "notification(s) sent or retried" in out
    assert "s3cretpath" not in out + err


def test_bad_kinds_and_prune(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    bad = run_with_probe_key("probe", "--config", str(config.path), "--kinds", "chat,telepathy")
    assert bad.returncode == 2 and "unknown probe kind(s) telepathy" in bad.stderr
    assert run_with_probe_key("probe", "--config", str(config.path)).returncode == 0
    pruned = run_with_probe_key("prune", "--older-than", "90d", "--config", str(config.path))
    assert pruned.returncode == 0 and "deleted 0 probe rows" in pruned.stdout
    assert run_with_probe_key("prune", "--older-than", "3 months", "--db", str(config.database)).returncode == 2


def test_probe_into_a_corrupt_database_exits_1_with_one_line_and_keeps_the_rows(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    config = write_config(sim, tmp_path, kinds='["chat"]')
    config.database.write_bytes(b"not a database\n" * 50)
    before = config.database.read_bytes()
    result = subprocess.run(
        [AOAI, "probe", "--config", str(config.path), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(XDG_CACHE_HOME=str(tmp_path / "cache"), **ENV),
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(config.database) in lines[0] and "not a DuckDB database" in lines[0] and "Fix:" in lines[0]
    assert config.database.read_bytes() == before
    spool = config.database.with_name(config.database.name + ".spool.jsonl")
    assert len(spool.read_text().splitlines()) == 2  # both regions' rows, kept for the next write
