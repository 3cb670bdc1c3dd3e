"""bench/failover: the failover client against the plain SDK and two published peers, same load, one run.

Two simulated regions in their own process (eastus2 primary, swedencentral healthy), latency model
at 0.2x, served from a config file on distinct loopback addresses with one port (127.0.0.2 and
127.0.0.3, as Azure's resources all answer on 443), so openai-priority-loadbalancer, which only
rewrites the host of a request, can run beside LiteLLM's Router. Scenarios on the primary:
refusing connections, black-holed (accepts, never answers), 429 with Retry-After 60, 50% 503, a
stream that stalls after its first output (the calls are streams, read to their end), and, on a
second simulator whose eastus2 serves a provisioned (PTU) `gpt-4o` beside a standard
`gpt-4o-paygo`, the PTU saturated by the load itself (429 with `retry-after-ms`). Each client
makes the same sequential calls (capped in time per scenario, and per call, so a client that hangs
cannot stall the run). Printed per client and scenario: success rate, p50/p99 latency, and their
ratio to a direct call to a healthy deployment (swedencentral; for a stream, a stream read to its
end; for the PTU, eastus2's standard deployment, where a PTU 429 should go).

Targets for aoai-watch's client:
- region faults: 100% success; once the primary's breaker is open, p50 within 1.1x and p99 within
  1.5x of the direct call; the first black-hole call bounded by the configured read timeout;
- stalled streams: at most `breaker_failures` calls fail (each raises StreamStalled, never
  spliced), none after the breaker opened, and those within 1.1x / 1.5x;
- PTU saturated: 100% success, p50 within 1.1x and p99 within 1.5x of the standard deployment,
  with the PTU still serving part of the calls (it is tried again after each Retry-After).

Rerun: make bench   (or: .venv/bin/python -m bench failover [--quick])
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.simulator import KEY, server

MESSAGES = [{"role": "user", "content": "ping"}]
READ_TIMEOUT_S = 1.0  # every client's read timeout (ours: its stream_idle_timeout_s too); 6x a healthy call
BREAKER_FAILURES = 3  # ours, the default
LATENCY_SCALE = 0.2
HOSTS = {"eastus2": "127.0.0.2", "swedencentral": "127.0.0.3"}
PTU, PAYGO = "gpt-4o", "gpt-4o-paygo"  # eastus2's deployments in the PTU simulator
# about half of what one sequential client asks for at this latency: it saturates within a few calls
PTU_CAPACITY_TPM, PTU_WINDOW_S = 4000, 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: dict[str, Any] | None  # the control API's fault on eastus2; None: no fault
    stream: bool = False  # calls are streams, read to their end
    ptu: bool = False  # on the PTU simulator
    # seconds of calls per client (the same for every client): where a good client pays a read or
    # idle timeout per call until its breaker opens, enough for that and a dozen calls after it
    budget_s: float = 3.0


SCENARIOS = [
    Scenario("refused", {"kind": "refuse"}),
    Scenario("black hole", {"kind": "black_hole"}, budget_s=4.5),
    Scenario("429, Retry-After 60", {"kind": "rate_limit", "params": {"retry_after_s": 60}}),
    Scenario("50% 503", {"kind": "http_error", "params": {"status": 503}, "probability": 0.5}),
    Scenario(
        "stream stalls mid-way",
        {"kind": "stream_stall", "params": {"after_events": 3, "stall_s": 30}},  # annotation, role, a word
        stream=True,
        budget_s=4.5,
    ),
    Scenario("PTU saturated", None, ptu=True),
]


@dataclass
class Run:
    latencies_s: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    capped: int = 0  # calls still running at the per-call cap (cut there, counted as failures)

    @property
    def success(self) -> float:
        return sum(self.ok) / len(self.ok) if self.ok else 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def control(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def simulator_config(path: Path, port: int, ptu: bool) -> None:
    """Both regions on their own loopback address, one port; with `ptu`, eastus2's `gpt-4o` is a
    small PTU deployment (no spillover: the client must move on) beside a standard `gpt-4o-paygo`."""
    east = f'[regions.deployments]\ngpt-4o = "{PAYGO}"\n[regions.provisioned]\ngpt-4o = "{PTU}"\n' if ptu else ""
    text = "".join(
        f'[[regions]]\nname = "{name}"\nendpoint = "http://{host}:{port}"\npriority = {priority}\n'
        f'api_key_env = "AOAI_SIM_KEY"\n'
        + (east if ptu and name == "eastus2" else '[regions.deployments]\ngpt-4o = "gpt-4o"\n')
        for priority, (name, host) in enumerate(HOSTS.items(), start=1)
    )
    if ptu:
        text += (
            f'[simulator.deployments.eastus2."{PTU}"]\ncapacity_tpm = {PTU_CAPACITY_TPM}\n'
            f"utilization_window_s = {PTU_WINDOW_S}\n"
        )
    path.write_text(text)


def simulator_command(config: Path) -> list[str]:
    return [
        sys.executable,
        *("-m", "aoai_watch.app.cli", "simulate", "--config", str(config)),
        *("--latency-scale", str(LATENCY_SCALE), "--tpm", "0", "--rpm", "0", "--seed", "5"),
    ]


async def drive(
    call: Callable[[], Awaitable[Any]],
    calls: int,
    budget_s: float,
    per_call_s: float,
    on_call: Callable[[int], None] | None = None,
) -> Run:
    run = Run()
    stop_at = time.perf_counter() + budget_s
    for i in range(calls):
        if time.perf_counter() > stop_at:
            break
        if on_call:
            on_call(i)
        started = time.perf_counter()
        try:
            await asyncio.wait_for(call(), per_call_s)
            run.ok.append(True)
        except TimeoutError:
            run.ok.append(False)
            run.capped += 1
        except Exception:
            run.ok.append(False)
        run.latencies_s.append(time.perf_counter() - started)
    return run


async def read_to_end(stream: Any) -> None:
    """Read a chat stream (any client's: openai-shaped chunks) to its end; one that ends without a
    finish_reason did not answer."""
    finished = False
    async for chunk in stream:
        finished = finished or any(getattr(c, "finish_reason", None) for c in getattr(chunk, "choices", None) or ())
    if not finished:
        raise RuntimeError("the stream ended without a finish")


def chat_call(create: Callable[..., Awaitable[Any]], scenario: Scenario, **kwargs: Any) -> Callable[[], Awaitable[Any]]:
    """One call of the scenario's shape through `create` (a client's chat.completions.create)."""
    if not scenario.stream:
        return lambda: create(messages=MESSAGES, max_tokens=4, **kwargs)

    async def streamed() -> None:
        await read_to_end(await create(messages=MESSAGES, max_tokens=4, stream=True, **kwargs))

    return streamed


Factory = Callable[[dict[str, str], Scenario], tuple[Callable[[], Awaitable[Any]], Any]]


def ours(urls: dict[str, str], scenario: Scenario) -> tuple[Callable[[], Awaitable[Any]], Any]:
    from aoai_watch.failover import AsyncFailoverClient, AttemptEvent, RegionConfig

    ptu = scenario.ptu
    regions = [
        RegionConfig("eastus2", urls["eastus2"], 1, "api-key", "BENCH_KEY", {"gpt-4o": PAYGO if ptu else "gpt-4o"}),
        RegionConfig("swedencentral", urls["swedencentral"], 2, "api-key", "BENCH_KEY", {"gpt-4o": "gpt-4o"}),
    ]
    if ptu:  # eastus2's PTU first, then its standard deployment
        regions[0] = dataclasses.replace(regions[0], provisioned={"gpt-4o": PTU})
    client = AsyncFailoverClient(
        regions,
        environ={"BENCH_KEY": KEY},
        read_timeout_s=READ_TIMEOUT_S,
        stream_idle_timeout_s=READ_TIMEOUT_S,
        connect_timeout_s=1,
        deadline_s=30,
        breaker_failures=BREAKER_FAILURES,
    )
    client._bench_tiers = []  # the tier of every call's answer: the PTU's share

    def served(event: Any) -> None:
        if isinstance(event, AttemptEvent) and event.decision == "return":
            client._bench_tiers.append(event.tier)

    client.add_listener(served)
    return chat_call(client.chat.completions.create, scenario, model="gpt-4o"), client


def plain_sdk(urls: dict[str, str], scenario: Scenario) -> tuple[Callable[[], Awaitable[Any]], Any]:
    import openai

    # default retries (2); the default 600 s read timeout would stall the run, so the same 1 s as ours
    client = openai.AsyncOpenAI(base_url=urls["eastus2"] + "/openai/v1/", api_key=KEY, timeout=READ_TIMEOUT_S)
    return chat_call(client.chat.completions.create, scenario, model="gpt-4o"), None


def direct(urls: dict[str, str], scenario: Scenario) -> tuple[Callable[[], Awaitable[Any]], Any]:
    """The baseline: one call to a healthy deployment, no retries (the PTU's: eastus2's standard)."""
    import openai

    region, deployment = ("eastus2", PAYGO) if scenario.ptu else ("swedencentral", "gpt-4o")
    client = openai.AsyncOpenAI(base_url=urls[region] + "/openai/v1/", api_key=KEY, max_retries=0)
    return chat_call(client.chat.completions.create, scenario, model=deployment), None


def priority_loadbalancer(urls: dict[str, str], scenario: Scenario) -> tuple[Callable[[], Awaitable[Any]], Any]:
    """openai-priority-loadbalancer: an httpx transport handed to the SDK as http_client; a backend
    is a host, so the regions are 127.0.0.2 and 127.0.0.3 on one port, and each serves `gpt-4o`
    (on the PTU simulator eastus2's is the PTU: the peer cannot switch deployment names)."""
    import httpx
    import openai
    from openai_priority_loadbalancer import AsyncLoadBalancer, Backend

    backends = [Backend(host, p, None, KEY) for p, host in enumerate(HOSTS.values(), start=1)]
    http_client = httpx.AsyncClient(transport=AsyncLoadBalancer(backends))
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=urls["eastus2"],
        api_key=KEY,
        api_version="2024-10-21",
        http_client=http_client,  # type: ignore[arg-type]
        timeout=READ_TIMEOUT_S,
    )
    return chat_call(client.chat.completions.create, scenario, model="gpt-4o"), None


def litellm_router(urls: dict[str, str], scenario: Scenario) -> tuple[Callable[[], Awaitable[Any]], Any]:
    """LiteLLM's Router with the deployments as ordered deployments of one model (priority
    failover): eastus2's PTU, then its standard one, then swedencentral on the PTU simulator."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of its price list
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    from litellm import Router

    targets = [("eastus2", PTU), ("eastus2", PAYGO)] if scenario.ptu else [("eastus2", "gpt-4o")]
    targets.append(("swedencentral", "gpt-4o"))
    model_list = [
        {
            "model_name": "gpt-4o",
            "litellm_params": {
                "model": f"azure/{deployment}",
                "api_base": urls[region],
                "api_key": KEY,
                "api_version": "2024-10-21",
                "order": order,
                "timeout": READ_TIMEOUT_S,
            },
            "model_info": {"base_model": "azure/gpt-4o"},  # else it logs that it cannot price gpt-4o-paygo
        }
        for order, (region, deployment) in enumerate(targets, start=1)
    ]
    router = Router(
        model_list=model_list,
        num_retries=2,
        allowed_fails=2,
        cooldown_time=30,
        timeout=READ_TIMEOUT_S,
        enable_pre_call_checks=False,
    )
    return chat_call(router.acompletion, scenario, model="gpt-4o"), None


PEERS: list[tuple[str, Factory]] = [
    ("openai-priority-loadbalancer", priority_loadbalancer),
    ("LiteLLM Router", litellm_router),
]


def verdict(scenario: Scenario, run: Run, client: Any, base: tuple[float, float]) -> tuple[bool, str]:
    """Whether our client met the scenario's target (module docstring), and what to print."""
    opened = getattr(client, "_bench_opened_at", None)
    if scenario.ptu:
        p50x, p99x = pct(run.latencies_s, 0.5) / base[0], pct(run.latencies_s, 0.99) / base[1]
        tiers = client._bench_tiers
        share = tiers.count("provisioned") / len(tiers) if tiers else 0.0
        ok = run.success == 1.0 and p50x <= 1.1 and p99x <= 1.5 and 0 < share < 1
        return ok, f"   (all calls) {p50x:.2f} / {p99x:.2f}, PTU served {share * 100:.0f}%"
    after = run.latencies_s[opened:] if opened is not None else []
    p50x, p99x = pct(after, 0.5) / base[0], pct(after, 0.99) / base[1]
    if opened is None:
        return False, f"   {p50x:.2f} / {p99x:.2f} (never opened)"
    if scenario.stream:
        failed = run.ok.count(False)
        ok = failed <= BREAKER_FAILURES and all(run.ok[opened:]) and p50x <= 1.1 and p99x <= 1.5
        return ok, f"   {p50x:.2f} / {p99x:.2f}, {failed} stalled call(s) raised"
    ok = run.success == 1.0 and p50x <= 1.1 and p99x <= 1.5
    if scenario.fault is not None and scenario.fault["kind"] == "black_hole":
        ok = ok and run.latencies_s[0] <= READ_TIMEOUT_S + base[1] + 0.5
        return ok, f"   {p50x:.2f} / {p99x:.2f}, first call {run.latencies_s[0]:.2f} s"
    return ok, f"   {p50x:.2f} / {p99x:.2f}"


async def run_scenarios(
    scenarios: list[Scenario], urls: dict[str, str], control_url: str, sizes: tuple[int, float]
) -> list[str]:
    """Every client through each scenario on one simulator; the scenarios our client missed."""
    calls, per_call_s = sizes
    failures: list[str] = []
    clients: list[tuple[str, Factory]] = [("aoai-watch FailoverClient", ours), ("openai SDK, primary only", plain_sdk)]
    for name, factory in PEERS:
        try:
            call, _ = factory(urls, Scenario("probe", None))
            await asyncio.wait_for(call(), 10)
            clients.append((name, factory))
        except Exception as exc:
            print(f"  {name}: cannot run here ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
    baselines: dict[tuple[bool, bool], tuple[float, float]] = {}  # (stream, ptu) -> p50, p99
    for scenario in scenarios:
        shape = (scenario.stream, scenario.ptu)
        if shape not in baselines:
            control(control_url, "POST", "/reset")
            base_run = await drive(direct(urls, scenario)[0], calls, scenario.budget_s, per_call_s)
            baselines[shape] = (pct(base_run.latencies_s, 0.5), pct(base_run.latencies_s, 0.99))
            what = ("stream" if scenario.stream else "call") + " to "
            what += "eastus2's standard deployment" if scenario.ptu else "swedencentral"
            p50_ms, p99_ms = (v * 1000 for v in baselines[shape])
            print(f"  direct {what}: p50 {p50_ms:.0f} ms, p99 {p99_ms:.0f} ms ({len(base_run.ok)} calls)")
        base = baselines[shape]
        for name, factory in clients:
            control(control_url, "POST", "/reset")
            if scenario.ptu:
                await asyncio.sleep(PTU_WINDOW_S * 1.1)  # each client starts with the PTU empty (it drains in a window)
            if scenario.fault is not None:
                control(control_url, "POST", "/faults", {"region": "eastus2", **scenario.fault})
            call, client = factory(urls, scenario)
            run = await drive(call, calls, scenario.budget_s, per_call_s, _breaker_watch(client))
            line = (
                f"  {scenario.name:<22} {name:<28} {run.success * 100:7.1f}% {pct(run.latencies_s, 0.5) * 1000:8.0f} "
                f"{pct(run.latencies_s, 0.99) * 1000:8.0f} {pct(run.latencies_s, 0.5) / base[0]:6.2f} "
                f"{pct(run.latencies_s, 0.99) / base[1]:6.2f}"
            )
            if client is not None:
                ok, note = verdict(scenario, run, client, base)
                line += note + ("  PASS" if ok else "  FAIL")
                if not ok:
                    failures.append(scenario.name)
                await client.close()
            elif run.capped:
                line += f"   {run.capped} call(s) cut at the {per_call_s:g} s cap"
            print(line, flush=True)
    control(control_url, "POST", "/reset")
    return failures


async def run_all(quick: bool) -> int:
    # calls per client and scenario (within its budget_s), seconds per call (3 read timeouts: the
    # SDK's 2 retries)
    sizes = (10, 3.0) if quick else (16, 3.0)
    from aoai_watch.chaos.simulator import free_port_on_all

    print("bench/failover  (rerun: make bench, or .venv/bin/python -m bench failover)")
    print(
        f"  {'scenario':<22} {'client':<28} {'success':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 x':>6} {'p99 x':>6}"
        "   after breaker opened: p50 x / p99 x"
    )
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for ptu in (False, True):
            config = Path(tmp) / f"simulator{'-ptu' if ptu else ''}.toml"
            simulator_config(config, free_port_on_all(list(HOSTS.values())), ptu)
            with server(*simulator_command(config)) as ready:
                scenarios = [s for s in SCENARIOS if s.ptu == ptu]
                failures += await run_scenarios(scenarios, ready["regions"], ready["control"], sizes)
    if failures:
        print(f"  FAILED targets in: {', '.join(failures)}")
    return 1 if failures else 0


def _breaker_watch(client: Any) -> Callable[[int], None] | None:
    """Note on the client the index of the first call made while the primary's breaker is open."""
    if client is None:
        return None

    def watch(i: int) -> None:
        if getattr(client, "_bench_opened_at", None) is None and client.breaker_states()["eastus2"].state != "closed":
            client._bench_opened_at = i

    return watch


def main(quick: bool = False) -> int:
    return asyncio.run(run_all(quick))
