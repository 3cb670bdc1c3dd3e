"""The drill runner end to end: the default suite passes with the bundled client and fails with the
naive one for the expected reasons; outputs; cleanup when things go wrong; your own client."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from aoai_watch.chaos.drills.model import load_drill
from aoai_watch.chaos.drills.runner import run_drill
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from aoai_watch.probes.store import Store

from tests.conftest import AOAI, cli_env

SUITE = Path(__file__).parents[2] / "data" / "drills"


@pytest.fixture(scope="module")
def suite_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """The default suite through the real command line, with the bundled client and with the naive
    one. Both run at once (each drill mostly waits on its timeline), which halves the suite's time."""
    out = tmp_path_factory.mktemp("suite")
    commands = {
        "bundled": [
            *(AOAI, "drill", "run", str(SUITE), "--junit", str(out / "j.xml")),
            *("--json", str(out / "bundled.json"), "--db", str(out / "d.duckdb")),
        ],
        "naive": [AOAI, "drill", "run", str(SUITE), "--client", "naive", "--quiet", "--json", str(out / "naive.json")],
    }
    started = {
        name: subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env())
        for name, command in commands.items()
    }
    runs = {}
    for name, proc in started.items():
        stdout, stderr = proc.communicate(timeout=300)
        runs[name] = (subprocess.CompletedProcess(commands[name], proc.returncode, stdout, stderr), out)
    return runs


@pytest.mark.timeout(330)  # ~60 s idle; the subprocesses' timeout=300, not the suite's 120 s, bounds it
def test_default_suite_passes_with_the_bundled_client(suite_runs: dict[str, Any]) -> None:
    result, out = suite_runs["bundled"]
    junit, journal, db = out / "j.xml", out / "bundled.json", out / "d.duckdb"
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14 of 14 drills passed" in result.stdout
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == 14 and all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites)
    runs = json.loads(journal.read_text())
    assert all(r["status"] == "passed" for r in runs)
    steps = runs[0]["steps"]
    assert steps[0]["name"].startswith("start") and steps[-1]["name"].startswith("rollback")
    assert all(s["start"] and s["end"] and s["status"] == "succeeded" for s in steps)
    store = Store(db)
    assert store.query("SELECT count(*), bool_and(passed) FROM drills")[1] == [(14, True)]
    assert store.query("SELECT count(*) > 1000 FROM drill_requests")[1] == [(True,)]
    assert store.query("SELECT count(DISTINCT kind) >= 8 FROM faults")[1] == [(True,)]
    assert "progress" not in result.stdout  # progress goes to stderr, results to stdout
    # clients that time out or hedge away (06-slow-region) and refused realtime upgrades are normal
    assert "Traceback" not in result.stderr and "Exception in ASGI application" not in result.stderr
    assert "handshake" not in result.stderr


@pytest.mark.timeout(330)  # as above
def test_default_suite_fails_the_naive_client_for_the_expected_reasons(suite_runs: dict[str, Any]) -> None:
    result, out = suite_runs["naive"]
    assert result.returncode == 1, result.stderr
    runs = {r["drill"]: r for r in json.loads((out / "naive.json").read_text())}
    failed = {name for name, r in runs.items() if r["status"] == "failed"}
    # it has no second region: every outage, throttling, auth, state and recovery drill must catch it
    assert {
        "01-eastus2-outage",
        "02-429-storm-lying-retry-after",
        "03-quota-exhausted",
        "04-rbac-propagation",
        "05-responses-state-loss",
        "06-slow-region",
        "09-realtime-drops",
        "10-both-regions-down",
        "11-tool-agent-eastus2-outage",
        "12-streamed-tool-agent-eastus2-outage",
        "13-stream-stalls-mid-way",
        "14-ptu-saturation-spillover",
    } <= failed
    outage = {e["expect"]: e["passed"] for e in runs["01-eastus2-outage"]["expectations"]}
    assert outage["failover_time_s <= 1"] is False and outage["attempts_while_down <= 0"] is False
    assert "Traceback" not in result.stderr and "Exception in ASGI application" not in result.stderr


def _drill(tmp_path: Path, extra: str = "", shape: str = "chat") -> Path:
    path = tmp_path / "d.toml"
    path.write_text(
        f'title = "t"\n[load]\nshape = "{shape}"\nconcurrency = 2\nduration_s = 1.5\n'
        "[client]\nread_timeout_s = 0.5\ndeadline_s = 2\n"
        '[[timeline]]\nat_s = 0.2\nfault = "http_error"\nregion = "eastus2"\nparams = { status = 503 }\n'
        '[[expect]]\nmetric = "success_ratio"\nmin = 0.99\n' + extra
    )
    return path


@pytest.fixture
def external() -> Any:
    with SimulatorThread([default_region(n, "unused", latency_scale=0) for n in ("eastus2", "swedencentral")]) as sim:
        yield sim


class Boom(Exception):
    pass


def test_faults_are_cleared_when_the_client_breaks_mid_run(tmp_path: Path, external: SimulatorThread) -> None:
    # an external simulator's key is its own; the drill's client cannot authenticate: every call fails
    result = run_drill(load_drill(_drill(tmp_path)), "bundled", external.control_url, progress=None)
    assert not result.passed
    assert external.simulator.faults.active() == []  # rolled back
    assert result.journal[-1].name.startswith("rollback") and result.journal[-1].status == "succeeded"


def test_faults_are_cleared_on_ctrl_c(tmp_path: Path, external: SimulatorThread) -> None:
    module = tmp_path / "interrupting_client.py"
    module.write_text(
        "import asyncio\n"
        "class Chat:\n"
        "    class completions:\n"
        "        @staticmethod\n"
        "        async def create(**kwargs):\n"
        "            await asyncio.sleep(0.4)\n"
        "            raise KeyboardInterrupt\n"
        "class Client:\n"
        "    chat = Chat\n"
        "def factory(regions, options):\n"
        "    return Client()\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(KeyboardInterrupt):
            run_drill(load_drill(_drill(tmp_path)), "interrupting_client:factory", external.control_url, progress=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert external.simulator.faults.active() == []


def _stopped_mid_load(
    tmp_path: Path, external: SimulatorThread, sig: int, duration_s: int, client: str | None = None
) -> tuple[subprocess.Popen[str], str, str]:
    """`drill run` of a long outage against `external` (with `client`, a module:factory in
    tmp_path), sent `sig` once its fault is in force and its load under way: the process, its
    stdout and stderr (after at most 60 s)."""
    drill = tmp_path / "long.toml"
    drill.write_text(
        f'title = "long outage"\n[load]\nshape = "chat"\nconcurrency = 2\nduration_s = {duration_s}\n'
        '[[timeline]]\nat_s = 0\nfault = "http_error"\nregion = "eastus2"\nparams = { status = 503 }\n'
        '[[expect]]\nmetric = "success_ratio"\nmin = 0.99\n'
    )
    chosen = ["--client", client] if client else []
    proc = subprocess.Popen(
        [AOAI, "drill", "run", str(drill), "--simulator", external.control_url, *chosen, "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=cli_env(PYTHONPATH=str(tmp_path)),
    )
    try:
        deadline = time.monotonic() + 60  # generous: a shared machine starts the command slowly
        while not external.simulator.faults.active():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)  # into the load
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc, out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_faults_are_cleared_when_drill_run_is_stopped_by_a_signal(
    tmp_path: Path, external: SimulatorThread, sig: int
) -> None:
    proc, out, err = _stopped_mid_load(tmp_path, external, sig, duration_s=60)
    assert external.simulator.faults.active() == []  # rolled back: SIGTERM left the fault in force
    assert proc.returncode == 128 + sig, out + err  # the conventional code: 143, 129, 130
    assert "Traceback" not in err and "never retrieved" not in err, err
    assert f"aoai-watch drill run: stopped by {signal.Signals(sig).name}" in err, err  # Ctrl-C too


CARELESS_CLIENT = """
import asyncio


class Completions:
    async def create(self, **kwargs):
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass  # a careless client: it swallows the cancellation the stop sends
        raise RuntimeError("no answer")


class Chat:
    completions = Completions()


class Careless:
    chat = Chat()


def factory(regions, options):
    return Careless()
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_client_that_swallows_the_cancellation_still_stops_at_a_signal(
    tmp_path: Path, external: SimulatorThread, sig: int
) -> None:
    (tmp_path / "careless_client.py").write_text(CARELESS_CLIENT)
    # the workers take no new call once the stop arrived: well before the drill's 120 s
    proc, out, err = _stopped_mid_load(tmp_path, external, sig, duration_s=120, client="careless_client:factory")
    assert proc.returncode == 128 + sig, out + err
    assert external.simulator.faults.active() == []


def test_your_own_client_through_module_factory(tmp_path: Path) -> None:
    module = tmp_path / "my_team_client.py"
    module.write_text(
        "from aoai_watch.failover import AsyncFailoverClient\n"
        "def factory(regions, options):\n"
        "    return AsyncFailoverClient(regions, **options, breaker_failures=1)\n"
    )
    result = subprocess.run(
        [AOAI, "drill", "run", str(_drill(tmp_path)), "--client", "my_team_client:factory"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=cli_env(PYTHONPATH=str(tmp_path)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "client my_team_client:factory" in result.stdout


def _rejected_drill(tmp_path: Path, scope: str) -> Path:
    """A drill the file model accepts whose fault the simulator refuses (`scope`: extra step keys)."""
    path = tmp_path / "rejected.toml"
    path.write_text(
        'title = "rejected fault"\n[load]\nshape = "chat"\nconcurrency = 2\nduration_s = 8\n'
        "[client]\nread_timeout_s = 0.5\ndeadline_s = 2\n"
        f'[[timeline]]\nat_s = 0.5\nregion = "eastus2"\nduration_s = 2\n{scope}\n'
        '[[expect]]\nmetric = "success_ratio"\nmin = 0.99\n'
    )
    return path


@pytest.mark.parametrize(
    "scope, reason",
    [
        ('fault = "http_error"\ndeployment = "no-such-deployment"', "has no deployment 'no-such-deployment'"),
        ('fault = "refuse"\ndeployment = "gpt-4o"', "omit deployment and probability"),
    ],
)
def test_a_fault_the_simulator_rejects_fails_the_drill_before_the_load(tmp_path: Path, scope: str, reason: str) -> None:
    result = run_drill(load_drill(_rejected_drill(tmp_path, scope)), "bundled", None, progress=None)
    assert not result.passed  # it passed: the 400 was lost in the timeline task and nothing was injected
    assert reason in (result.error or "") and "timeline[0]" in (result.error or "")
    failed = [s for s in result.journal if s.status == "failed"]
    assert len(failed) == 1 and reason in json.dumps(failed[0].output)
    assert not any(s.status == "running" for s in result.journal)
    assert result.calls == [] and not any(s.name.startswith("load") for s in result.journal)  # it failed fast
    assert result.journal[-1].name.startswith("rollback") and result.journal[-1].status == "succeeded"


def test_a_rejected_fault_exits_1_with_the_simulators_reason(tmp_path: Path) -> None:
    drill = _rejected_drill(tmp_path, 'fault = "http_error"\ndeployment = "no-such-deployment"')
    began = time.monotonic()
    result = subprocess.run(
        [AOAI, "drill", "run", str(drill), "--quiet", "--json", str(tmp_path / "j.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL" in result.stdout and "has no deployment 'no-such-deployment'" in result.stdout
    assert "0 of 1 drills passed" in result.stdout and "Traceback" not in result.stderr
    assert time.monotonic() - began < 8 + 20  # not the 8 s load (generous: a shared machine starts slowly)
    (run,) = json.loads((tmp_path / "j.json").read_text())
    assert run["status"] == "failed" and run["calls"] == 0


def test_a_fault_that_cannot_be_applied_during_the_load_stops_it_and_fails_the_drill(
    tmp_path: Path, external: SimulatorThread
) -> None:
    # the timeline passes the check; then, as the client is built, the control API goes away
    module = tmp_path / "control_closing_client.py"
    module.write_text(
        "from aoai_watch.failover import AsyncFailoverClient\n"
        "ON_BUILD = []\n"
        "def factory(regions, options):\n"
        "    for action in ON_BUILD:\n"
        "        action()\n"
        "    return AsyncFailoverClient(regions, **options)\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import control_closing_client  # type: ignore[import-not-found]

        control_closing_client.ON_BUILD.append(lambda: external.call(external.simulator.control.close()))
        drill = load_drill(_rejected_drill(tmp_path, 'fault = "http_error"'))  # at_s 0.5 of an 8 s load
        result = run_drill(drill, "control_closing_client:factory", external.control_url, progress=None)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("control_closing_client", None)
        external.call(external.simulator.control.open())
    assert not result.passed and result.results == []
    assert (result.error or "").startswith("fault http_error on eastus2 was not applied: cannot reach http://")
    assert "Connection refused" in (result.error or "") and "\n" not in (result.error or "")
    steps = {s.name.split(":")[0].split(" on ")[0]: s for s in result.journal}
    assert steps["fault http_error"].status == "failed" and "cannot reach" in steps["fault http_error"].output["error"]
    assert steps["load"].status == "failed" and not any(s.status == "running" for s in result.journal)
    assert result.duration_s < 6  # the load stopped when the fault failed, not after its 8 s
    assert steps["rollback"].status == "failed"  # honest: the simulator could not be told


def test_a_region_the_external_simulator_does_not_serve_is_one_clear_error(
    tmp_path: Path, external: SimulatorThread
) -> None:
    path = tmp_path / "far.toml"
    path.write_text(
        _drill(tmp_path).read_text().replace('title = "t"', 'title = "t"\nregions = ["eastus2", "westus3"]')
    )
    result = run_drill(load_drill(path), "bundled", external.control_url, progress=None)
    assert not result.passed and result.calls == []
    assert result.error == "the simulator does not serve region westus3 (it serves eastus2, swedencentral)"


def test_bad_drill_file_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[load]\nshape = "sms"\nconcurrency = 1\nduration_s = 1\n')
    result = subprocess.run([AOAI, "drill", "run", str(bad)], capture_output=True, text=True, timeout=60, env=cli_env())
    assert result.returncode == 2 and "load.shape" in result.stderr and "Traceback" not in result.stderr


def test_a_drill_against_the_chaos_proxy_is_refused_a_completion_filter_before_the_load(tmp_path: Path) -> None:
    from aoai_watch.chaos.proxy import ProxyApp
    from aoai_watch.chaos.simulator import RegionSpec

    with SimulatorThread([default_region("eastus2", "unused", latency_scale=0)]) as upstream:
        proxies = [RegionSpec(name=n, deployments=()) for n in ("eastus2", "swedencentral")]
        url = upstream.urls["eastus2"]
        with SimulatorThread(proxies, app_factory=lambda state: ProxyApp(state, url)) as proxy:
            scope = 'fault = "content_filter"\nparams = { on = "completion", category = "violence" }'
            result = run_drill(
                load_drill(_rejected_drill(tmp_path, scope)), "bundled", proxy.control_url, progress=None
            )
    assert not result.passed and result.calls == []
    assert "region eastus2 is a chaos proxy" in (result.error or "") and 'use on = "prompt"' in (result.error or "")


@pytest.mark.parametrize("shape", ["tools", "structured"])
def test_the_agent_shapes_pass_through_an_outage_with_the_bundled_client(tmp_path: Path, shape: str) -> None:
    drill = load_drill(_drill(tmp_path, shape=shape))
    result = run_drill(drill, progress=None)
    assert result.passed, [c.error for c in result.calls if not c.ok]
    assert result.calls and all(c.shape == shape for c in result.calls)
    if shape == "tools":  # two requests a turn, both tagged with the call's id, none retried once failed over
        per_call = {c.call_id: c.requests for c in result.calls}
        assert set(per_call.values()) == {2}
        served = [s for s in result.served if s.call_id in per_call and s.status == 200]
        assert len(served) == 2 * len(result.calls)


def test_an_answer_that_ignores_the_tools_fails_the_call(tmp_path: Path) -> None:
    """A client that drops `tools` gets prose back, a 200: the shape must count it as a failure."""
    module = tmp_path / "tool_dropping_client.py"
    module.write_text(
        "from aoai_watch.failover import AsyncFailoverClient\n"
        "class Dropping:\n"
        "    def __init__(self, inner):\n"
        "        self.inner = inner\n"
        "        self.chat = self\n"
        "        self.completions = self\n"
        "    async def create(self, **kwargs):\n"
        "        kwargs.pop('tools', None)\n"
        "        return await self.inner.chat.completions.create(**kwargs)\n"
        "    async def close(self):\n"
        "        await self.inner.close()\n"
        "def factory(regions, options):\n"
        "    return Dropping(AsyncFailoverClient(regions, **options))\n"
    )
    result = subprocess.run(
        [AOAI, "drill", "run", str(_drill(tmp_path, shape="tools")), "--client", "tool_dropping_client:factory"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=cli_env(PYTHONPATH=str(tmp_path)),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "(0 of " in result.stdout and "x WrongAnswer" in result.stdout, result.stdout


def test_a_client_that_splices_tool_call_streams_corrupts_the_tool_calls(tmp_path: Path) -> None:
    """A client that glues the first argument fragment of one stream to a second whole stream (the
    splice a naive stream retry makes) gets tool calls the schema refuses: the metric counts them."""
    module = tmp_path / "splicing_client.py"
    module.write_text(
        "from aoai_watch.failover import AsyncFailoverClient\n"
        "class Splicing:\n"
        "    def __init__(self, inner):\n"
        "        self.inner = inner\n"
        "        self.chat = self\n"
        "        self.completions = self\n"
        "    async def create(self, **kwargs):\n"
        "        if not kwargs.get('stream'):\n"
        "            return await self.inner.chat.completions.create(**kwargs)\n"
        "        first = await self.inner.chat.completions.create(**kwargs)\n"
        "        second = await self.inner.chat.completions.create(**kwargs)\n"
        "        return self._spliced(first, second)\n"
        "    async def _spliced(self, first, second):\n"
        "        async for chunk in first:\n"
        "            deltas = [d for c in chunk.choices for d in (c.delta.tool_calls or [])]\n"
        "            if any(d.function and d.function.arguments for d in deltas):\n"
        "                for c in chunk.choices:\n"
        "                    c.finish_reason = None\n"
        "                yield chunk\n"
        "                break\n"
        "        async for chunk in second:\n"
        "            yield chunk\n"
        "    async def close(self):\n"
        "        await self.inner.close()\n"
        "def factory(regions, options):\n"
        "    return Splicing(AsyncFailoverClient(regions, **options))\n"
    )
    drill = tmp_path / "d.toml"
    drill.write_text(
        'title = "t"\n[load]\nshape = "stream_tools"\nconcurrency = 2\nduration_s = 1\n'
        '[[expect]]\nmetric = "corrupted_tool_calls"\nmax = 0\n'
    )
    result = subprocess.run(
        [AOAI, "drill", "run", str(drill), "--client", "splicing_client:factory"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=cli_env(PYTHONPATH=str(tmp_path)),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL  corrupted_tool_calls <= 0" in result.stdout and "x CorruptedToolCall" in result.stdout, result.stdout


def test_the_streamed_tool_shape_passes_through_an_outage_with_the_bundled_client(tmp_path: Path) -> None:
    drill = load_drill(
        _drill(tmp_path, shape="stream_tools", extra='[[expect]]\nmetric = "corrupted_tool_calls"\nmax = 0\n')
    )
    result = run_drill(drill, progress=None)
    assert result.passed, [c.error for c in result.calls if not c.ok]
    assert result.calls and all(c.shape == "stream_tools" and c.requests == 2 for c in result.calls)


def test_a_stream_that_stalls_after_its_first_output_raises_stream_stalled_not_a_hang() -> None:
    """Drill 13: the calls East US 2 stalls fail with StreamStalled (no splice, no failover after
    output) well before the drill's long read timeout; every other call succeeds. The stalls count
    on East US 2's breaker: once it opens, the calls go to Sweden Central while the stall lasts."""
    drill = load_drill(SUITE / "13-stream-stalls-mid-way.toml")
    result = run_drill(drill, progress=None)
    assert result.passed, [r.describe() for r in result.results]
    failed = [c for c in result.calls if not c.ok]
    assert failed and all((c.error or "").startswith("StreamStalled") for c in failed), {c.error for c in failed}
    assert all(c.latency_s < drill.client["read_timeout_s"] for c in failed)
    # the breaker's threshold, plus the calls in flight when it opened, plus a trial per open time
    (stall,) = drill.timeline
    trials = math.ceil((stall.end_s - stall.at_s) / drill.client["breaker_open_s"])
    assert len(failed) <= drill.client["breaker_failures"] + drill.load.concurrency + trials, len(failed)
    assert any(c.ok and c.region == "swedencentral" and stall.at_s < c.started_s < stall.end_s for c in result.calls)


def test_a_saturated_ptu_spills_over_to_the_standard_deployment_and_is_used_again() -> None:
    """Drill 14: the PTU serves everything until it saturates, then answers 429s; the calls those
    hit are served by East US 2's standard deployment (none fail), and the PTU keeps serving a
    share of the calls after its first 429 (the client goes back when it has room)."""
    result = run_drill(load_drill(SUITE / "14-ptu-saturation-spillover.toml"), progress=None)
    assert result.passed, [r.describe() for r in result.results]
    refused = [s.t_s for s in result.served if s.deployment == "gpt-4o-ptu" and s.status == 429]
    assert refused, "the load never saturated the PTU: the drill proves nothing"
    after = [c for c in result.calls if c.started_s > min(refused)]
    assert {c.tier for c in after} == {"provisioned", "standard"}
    assert all(c.region == "eastus2" for c in result.calls)  # spillover stays in the region


def test_a_drill_with_a_simulator_table_is_refused_against_an_external_simulator(external: Any) -> None:
    result = run_drill(
        load_drill(SUITE / "14-ptu-saturation-spillover.toml"), simulator=external.control_url, progress=None
    )
    assert not result.passed and result.calls == [] and "[simulator]" in (result.error or "")
