"""bench/simulator: the simulator's throughput against a no-op server, in the same run.

Each comparison alternates what it compares over several rounds and compares medians.

1. Through the real openai SDK (async, 16 concurrent, latency 0): the SDK is the bottleneck on two
   cores, so the simulator should not be noticeably slower than a no-op server. Target >= 0.95x.
2. The server's own ceiling with wrk (32 connections, chat path, quotas on): target >= 5,000
   requests/s and >= 0.5x the no-op server.
3. The requests real apps send, with the same wrk load against the same simulator: a tool call
   (`tools` with one function whose `parameters` is a JSON schema, `tool_choice: "required"`) and a
   structured output (`response_format` json_schema, strict, an object of a few typed properties),
   each as a ratio to the plain chat request of (2), alternated with it. Target >= 0.8x. The line
   also says what the simulator answered (tool_calls or prose; a JSON object or not), so the figure
   shows whether it measured the feature's path.
4. The plain chat wrk load for 60 s in six 10 s slices against one simulator whose one-minute quota
   window and answer log keep filling: quota bookkeeping and the log are O(1) per request and the
   log is a bounded ring, so the last slice should be as fast as the first (ratio ~1.0, >= 0.85);
   the line gives the simulator's RSS before and after the 60 s.

Rerun: make bench   (or: .venv/bin/python -m bench simulator [--quick])
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

KEY = "bench-key"
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 8}
HUGE = "1000000000"  # quotas on, but never reached: the bookkeeping runs on every request
# A function tool as apps declare one: JSON-schema parameters (typed, an enum, all required, strict).
TOOL_BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "What is the weather in Paris, in celsius?"}],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city name."},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                        "days": {"type": "integer", "description": "Days of forecast."},
                    },
                    "required": ["city", "unit", "days"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    ],
    "tool_choice": "required",
}
# A structured output: a strict json_schema of a few typed properties.
SCHEMA_PROPERTIES = {
    "region": {"type": "string"},
    "healthy": {"type": "boolean"},
    "latency_ms": {"type": "number"},
    "errors": {"type": "integer"},
    "status": {"type": "string", "enum": ["ok", "degraded", "down"]},
}
JSON_SCHEMA_BODY = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Report the health of the region."}],
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "region_health",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": SCHEMA_PROPERTIES,
                "required": list(SCHEMA_PROPERTIES),
                "additionalProperties": False,
            },
        },
    },
}


@contextlib.contextmanager
def server(*command: str) -> Iterator[dict[str, Any]]:
    """Start a server process that writes a ready file; yield what the file says."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready.json"
        env = {**os.environ, "AOAI_SIM_KEY": KEY}
        proc = subprocess.Popen(
            [*command, "--ready-file", str(ready)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise RuntimeError(f"server did not start: {proc.communicate()[1]}")
                time.sleep(0.05)
            yield {**json.loads(ready.read_text()), "pid": proc.pid}
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def simulator_command(
    regions: str = "eastus2", latency_scale: float = 0, quota: str = HUGE, seed: int = 1
) -> list[str]:
    """`aoai-watch simulate` in a child process, latency off and quotas on (but never reached) by default."""
    return [
        sys.executable,
        "-m",
        "aoai_watch.app.cli",
        "simulate",
        "--regions",
        regions,
        "--latency-scale",
        str(latency_scale),
        "--tpm",
        quota,
        "--rpm",
        quota,
        "--seed",
        str(seed),
    ]


def noop_command() -> list[str]:
    return [sys.executable, "-m", "bench.noop_server"]


async def _sdk_rate(base_url: str, seconds: float, concurrency: int = 16) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=f"{base_url}/openai/v1/", api_key=KEY, max_retries=0)
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await client.chat.completions.create(**CHAT_BODY)  # type: ignore[call-overload]
            done += 1

    await asyncio.gather(*[worker() for _ in range(concurrency)])  # warm-up included: both sides alike
    started = time.perf_counter()
    done = 0
    stop_at = started + seconds
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    rate = done / (time.perf_counter() - started)
    await client.close()
    return rate


def sdk_rate(base_url: str, seconds: float) -> float:
    return asyncio.run(_sdk_rate(base_url, seconds))


def wrk_rate(base_url: str, seconds: int, connections: int = 32, body: dict[str, Any] = CHAT_BODY) -> float:
    """Requests/s of wrk POSTing `body` to the v1 chat path; any non-2xx answer is an error."""
    script = (
        # a Lua long string: the JSON goes in as it is, whatever quotes it holds
        f"wrk.method = 'POST'\nwrk.body = [==[{json.dumps(body)}]==]\n"
        f"wrk.headers['Content-Type'] = 'application/json'\nwrk.headers['api-key'] = '{KEY}'\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('non2xx=%d\\n', summary.errors.status))\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", f.name, f"{base_url}/openai/v1/chat/completions"],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    non2xx = int(re.search(r"non2xx=(\d+)", out).group(1))  # type: ignore[union-attr]
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx} non-2xx answers: the benchmark would measure errors\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def alternate(measure: Callable[[str], float], noop_url: str, sim_url: str, rounds: int) -> tuple[float, float]:
    """Measure both servers in turns (no-op, simulator, no-op, ...) and keep each one's median, so
    drift in a shared, noisy machine falls on both alike."""
    noop, sim = [], []
    for _ in range(rounds):
        noop.append(measure(noop_url))
        sim.append(measure(sim_url))
    return statistics.median(noop), statistics.median(sim)


def rates_by_body(url: str, bodies: dict[str, dict[str, Any]], seconds: int, rounds: int) -> dict[str, float]:
    """wrk's rate for each body against one server, in turns (a, b, c, a, b, c, ...), medians."""
    runs: dict[str, list[float]] = {name: [] for name in bodies}
    for _ in range(rounds):
        for name, body in bodies.items():
            runs[name].append(wrk_rate(url, seconds, body=body))
    return {name: statistics.median(rates) for name, rates in runs.items()}


def answer_kind(base_url: str, body: dict[str, Any]) -> str:
    """What the simulator answers `body` with, in a few words: whether the figure measured the
    feature's path (tool calls; a JSON object with the schema's properties) or plain prose."""
    request = urllib.request.Request(
        f"{base_url}/openai/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "api-key": KEY},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        message = json.loads(response.read())["choices"][0]["message"]
    if "tools" in body:
        calls = message.get("tool_calls") or []
        return f"{len(calls)} tool call(s)" if calls else "prose, no tool_calls"
    try:
        instance = json.loads(message.get("content") or "")
    except ValueError:
        return "prose, not JSON"
    wanted = set(body["response_format"]["json_schema"]["schema"]["properties"])
    return "a JSON object of the schema" if isinstance(instance, dict) and set(instance) == wanted else "other JSON"


def rss_mib(pid: int) -> float | None:
    """The resident memory of process `pid` (Linux /proc), None where it cannot be read."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        with open(f"/proc/{pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    return None


def main(quick: bool = False) -> int:
    sdk_s, wrk_s, slice_s, rounds = (2, 2, 3, 1) if quick else (5, 5, 10, 3)
    failures = []
    print("bench/simulator  (rerun: make bench, or .venv/bin/python -m bench simulator)")
    if not shutil.which("wrk"):
        print("  wrk not installed (Debian package wrk; `make bench` installs it)")
        return 1
    bodies = {"plain": CHAT_BODY, "tool call": TOOL_BODY, "json_schema": JSON_SCHEMA_BODY}
    with server(*noop_command()) as noop, server(*simulator_command()) as sim:
        noop_url, sim_url = noop["regions"]["noop"], sim["regions"]["eastus2"]
        noop_sdk, sim_sdk = alternate(lambda url: sdk_rate(url, sdk_s), noop_url, sim_url, rounds)
        noop_wrk, sim_wrk = alternate(lambda url: wrk_rate(url, wrk_s), noop_url, sim_url, rounds)
        kinds = {name: answer_kind(sim_url, bodies[name]) for name in ("tool call", "json_schema")}
        by_body = rates_by_body(sim_url, bodies, wrk_s, rounds)

    ratio = sim_sdk / noop_sdk
    ok = ratio >= 0.95
    failures += [] if ok else ["openai SDK ratio"]
    print(
        f"  openai SDK, async, 16 concurrent: simulator {sim_sdk:8.0f} req/s   no-op {noop_sdk:8.0f} req/s   "
        f"ratio {ratio:.2f}x (target >= 0.95x) {'PASS' if ok else 'FAIL'}"
    )
    ratio = sim_wrk / noop_wrk
    ok = sim_wrk >= 5000 and ratio >= 0.5
    failures += [] if ok else ["wrk ceiling"]
    print(
        f"  wrk, 32 connections, quotas on:    simulator {sim_wrk:8.0f} req/s   no-op {noop_wrk:8.0f} req/s   "
        f"ratio {ratio:.2f}x (target >= 5000 req/s and >= 0.5x) {'PASS' if ok else 'FAIL'}"
    )
    for name, what in (("tool call", "tools + tool_choice required"), ("json_schema", "response_format, strict")):
        ratio = by_body[name] / by_body["plain"]
        ok = ratio >= 0.8
        failures += [] if ok else [f"{name} ratio"]
        print(
            f"  wrk, {name} ({what}): {by_body[name]:8.0f} req/s   plain chat {by_body['plain']:8.0f} req/s   "
            f"ratio {ratio:.2f}x (target >= 0.8x) {'PASS' if ok else 'FAIL'}   answered: {kinds[name]}"
        )

    with server(*simulator_command()) as sim:
        sim_url = sim["regions"]["eastus2"]
        rss_before = rss_mib(sim["pid"])
        slices = [wrk_rate(sim_url, slice_s) for _ in range(6)]
        rss_after = rss_mib(sim["pid"])
    flat = slices[-1] / slices[0]
    ok = flat >= 0.85
    failures += [] if ok else ["flat over 60 s"]
    rss = f"; RSS {rss_before:.0f} -> {rss_after:.0f} MiB" if rss_before and rss_after else ""
    print(
        f"  wrk for {6 * slice_s} s in {slice_s} s slices (quota window and answer log filling): "
        + " ".join(f"{r:.0f}" for r in slices)
        + f" req/s; last/first {flat:.2f}x (target ~1.0, >= 0.85) {'PASS' if ok else 'FAIL'}{rss}"
    )
    if failures:
        print(f"  FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
