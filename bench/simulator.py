"""bench/simulator: the simulator's throughput against a no-op server, in the same run.

Each comparison alternates the two servers over several rounds and compares medians.

1. Through the real openai SDK (async, 16 concurrent, latency 0): the SDK is the bottleneck on two
   cores, so the simulator should not be noticeably slower than a no-op server. Target >= 0.95x.
2. The server's own ceiling with wrk (32 connections, chat path, quotas on): target >= 5,000
   requests/s and >= 0.5x the no-op server.
3. The same wrk load for 60 s in six 10 s slices against one simulator whose one-minute quota window
   keeps filling: quota bookkeeping is O(1) per request, so the last slice should be as fast as the
   first (ratio ~1.0).

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

KEY = "bench-key"
CHAT_BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 8}
HUGE = "1000000000"  # quotas on, but never reached: the bookkeeping runs on every request


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
            yield json.loads(ready.read_text())
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


def wrk_rate(base_url: str, seconds: int, connections: int = 32) -> float:
    script = (
        f"wrk.method = 'POST'\nwrk.body = '{json.dumps(CHAT_BODY)}'\n"
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


def main(quick: bool = False) -> int:
    sdk_s, wrk_s, slice_s, rounds = (2, 2, 3, 1) if quick else (5, 5, 10, 3)
    failures = []
    print("bench/simulator  (rerun: make bench, or .venv/bin/python -m bench simulator)")
    if not shutil.which("wrk"):
        print("  wrk not installed (Debian package wrk; `make bench` installs it)")
        return 1
    with server(*noop_command()) as noop, server(*simulator_command()) as sim:
        noop_url, sim_url = noop["regions"]["noop"], sim["regions"]["eastus2"]
        noop_sdk, sim_sdk = alternate(lambda url: sdk_rate(url, sdk_s), noop_url, sim_url, rounds)
        noop_wrk, sim_wrk = alternate(lambda url: wrk_rate(url, wrk_s), noop_url, sim_url, rounds)

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

    with server(*simulator_command()) as sim:
        sim_url = sim["regions"]["eastus2"]
        slices = [wrk_rate(sim_url, slice_s) for _ in range(6)]
    flat = slices[-1] / slices[0]
    ok = flat >= 0.85
    failures += [] if ok else ["flat over 60 s"]
    print(
        f"  wrk for {6 * slice_s} s in {slice_s} s slices (quota window filling): "
        + " ".join(f"{r:.0f}" for r in slices)
        + f" req/s; last/first {flat:.2f}x (target ~1.0, >= 0.85) {'PASS' if ok else 'FAIL'}"
    )
    if failures:
        print(f"  FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
