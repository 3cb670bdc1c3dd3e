"""bench/failover: the failover client against the plain SDK and a published peer, same load, one run.

Two simulated regions in their own process (eastus2 primary, swedencentral healthy), latency model
at 0.3x. Scenarios on the primary: refusing connections, black-holed (accepts, never answers), 429
with Retry-After 60, 50% 503. Each client makes the same sequential calls (capped in time per
scenario, and per call, so a client that hangs cannot stall the run). Printed per client and
scenario: success rate, p50/p99 latency, and their ratio to a direct call to the healthy region.

Targets for aoai-watch's client: 100% success everywhere; once the primary's breaker is open, p50
within 1.1x and p99 within 1.5x of the direct call; the first black-hole call bounded by the
configured read timeout.

Rerun: make bench   (or: .venv/bin/python -m bench failover [--quick])
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench.simulator import KEY, server, simulator_command

MESSAGES = [{"role": "user", "content": "ping"}]
READ_TIMEOUT_S = 2.0
SCENARIOS = {
    "refused": ("refuse", {}, None),
    "black hole": ("black_hole", {}, None),
    "429, Retry-After 60": ("rate_limit", {"retry_after_s": 60}, None),
    "50% 503": ("http_error", {"status": 503}, 0.5),
}


@dataclass
class Run:
    latencies_s: list[float] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    breaker_open_at: int | None = None  # index of the first call made with the primary's breaker open

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
        except Exception:
            run.ok.append(False)
        run.latencies_s.append(time.perf_counter() - started)
    return run


def ours(urls: dict[str, str]) -> tuple[Callable[[], Awaitable[Any]], Any]:
    from aoai_watch.failover import AsyncFailoverClient, RegionConfig

    regions = [
        RegionConfig(n, urls[n], p, "api-key", "BENCH_KEY", {"gpt-4o": "gpt-4o"})
        for p, n in enumerate(("eastus2", "swedencentral"), start=1)
    ]
    client = AsyncFailoverClient(
        regions, environ={"BENCH_KEY": KEY}, read_timeout_s=READ_TIMEOUT_S, connect_timeout_s=1, deadline_s=30
    )
    return (lambda: client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)), client


def plain_sdk(urls: dict[str, str]) -> tuple[Callable[[], Awaitable[Any]], Any]:
    import openai

    # default retries (2); the default 600 s read timeout would stall the run, so the same 2 s as ours
    client = openai.AsyncOpenAI(base_url=urls["eastus2"] + "/openai/v1/", api_key=KEY, timeout=READ_TIMEOUT_S)
    return (lambda: client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)), None


def direct(urls: dict[str, str]) -> tuple[Callable[[], Awaitable[Any]], Any]:
    import openai

    client = openai.AsyncOpenAI(base_url=urls["swedencentral"] + "/openai/v1/", api_key=KEY, max_retries=0)
    return (lambda: client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)), None


def priority_loadbalancer(urls: dict[str, str]) -> tuple[Callable[[], Awaitable[Any]], Any]:
    """openai-priority-loadbalancer: an httpx transport handed to the SDK as http_client."""
    import httpx
    import openai
    from openai_priority_loadbalancer import AsyncLoadBalancer, Backend

    backends = [
        Backend(urls[n].removeprefix("http://"), p, None, KEY)
        for p, n in enumerate(("eastus2", "swedencentral"), start=1)
    ]
    http_client = httpx.AsyncClient(transport=AsyncLoadBalancer(backends))
    client = openai.AsyncAzureOpenAI(
        azure_endpoint=urls["eastus2"], api_key=KEY, api_version="2024-10-21", http_client=http_client
    )  # type: ignore[arg-type]
    return (lambda: client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)), None


def litellm_router(urls: dict[str, str]) -> tuple[Callable[[], Awaitable[Any]], Any]:
    """LiteLLM's Router with the two regions as ordered deployments of one model (priority failover)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download of its price list
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    from litellm import Router

    model_list = [
        {
            "model_name": "gpt-4o",
            "litellm_params": {
                "model": "azure/gpt-4o",
                "api_base": urls[n],
                "api_key": KEY,
                "api_version": "2024-10-21",
                "order": p,
                "timeout": READ_TIMEOUT_S,
            },
        }
        for p, n in enumerate(("eastus2", "swedencentral"), start=1)
    ]
    router = Router(
        model_list=model_list,
        num_retries=2,
        allowed_fails=2,
        cooldown_time=30,
        timeout=READ_TIMEOUT_S,
        enable_pre_call_checks=False,
    )
    return (lambda: router.acompletion(model="gpt-4o", messages=MESSAGES, max_tokens=4)), None


WHY_NOT = {
    "openai-priority-loadbalancer": (
        "; it rewrites only the host of each request, so backends that differ by port (every simulated region here "
        "is 127.0.0.1 with its own port) cannot be expressed; the next-best peer, LiteLLM's Router, runs instead"
    )
}
PEERS = [("openai-priority-loadbalancer", priority_loadbalancer), ("LiteLLM Router", litellm_router)]


async def run_all(quick: bool) -> int:
    calls, budget_s, per_call_s = (12, 10.0, 8.0) if quick else (40, 25.0, 15.0)
    failures: list[str] = []
    print("bench/failover  (rerun: make bench, or .venv/bin/python -m bench failover)")
    with server(*simulator_command("eastus2,swedencentral", latency_scale=0.3, quota="0", seed=5)) as ready:
        urls, control_url = ready["regions"], ready["control"]
        base_run = await drive(direct(urls)[0], calls, budget_s, per_call_s)
        base_p50, base_p99 = pct(base_run.latencies_s, 0.5), pct(base_run.latencies_s, 0.99)
        print(
            f"  direct call to the healthy region: p50 {base_p50 * 1000:.0f} ms, p99 {base_p99 * 1000:.0f} ms "
            f"({len(base_run.ok)} calls)"
        )
        clients: list[tuple[str, Callable[[dict[str, str]], Any]]] = [
            ("aoai-watch FailoverClient", ours),
            ("openai SDK, primary only", plain_sdk),
        ]
        for name, factory in PEERS:
            try:
                call, _ = factory(urls)
                await asyncio.wait_for(call(), 10)
                clients.append((name, factory))
            except Exception as exc:
                why = WHY_NOT.get(name, "")
                print(f"  {name}: cannot run here ({type(exc).__name__}: {str(exc).splitlines()[0][:120]}){why}")
        print(
            f"  {'scenario':<22} {'client':<28} {'success':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 x':>6} {'p99 x':>6}"
            "   after breaker opened: p50 x / p99 x"
        )
        for scenario, (kind, params, probability) in SCENARIOS.items():
            for name, factory in clients:
                control(control_url, "POST", "/reset")
                fault = {"kind": kind, "region": "eastus2", "params": params}
                if probability is not None:
                    fault["probability"] = probability
                control(control_url, "POST", "/faults", fault)
                call, client = factory(urls)
                run = await drive(call, calls, budget_s, per_call_s, _breaker_watch(client))
                line = (
                    f"  {scenario:<22} {name:<28} {run.success * 100:7.1f}% {pct(run.latencies_s, 0.5) * 1000:8.0f} "
                    f"{pct(run.latencies_s, 0.99) * 1000:8.0f} {pct(run.latencies_s, 0.5) / base_p50:6.2f} "
                    f"{pct(run.latencies_s, 0.99) / base_p99:6.2f}"
                )
                if client is not None:
                    opened = getattr(client, "_bench_opened_at", None)
                    after = run.latencies_s[opened:] if opened is not None else []
                    p50x, p99x = pct(after, 0.5) / base_p50, pct(after, 0.99) / base_p99
                    ok = run.success == 1.0 and opened is not None and p50x <= 1.1 and p99x <= 1.5
                    if kind == "black_hole":
                        first_ok = run.latencies_s[0] <= READ_TIMEOUT_S + base_p99 + 0.5
                        ok = ok and first_ok
                        line += f"   {p50x:.2f} / {p99x:.2f}, first call {run.latencies_s[0]:.2f} s"
                    else:
                        line += f"   {p50x:.2f} / {p99x:.2f}" + ("" if opened is not None else " (never opened)")
                    line += "  PASS" if ok else "  FAIL"
                    if not ok:
                        failures.append(scenario)
                print(line, flush=True)
        control(control_url, "POST", "/reset")
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
