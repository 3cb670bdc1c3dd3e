"""Running one drill: a simulator (embedded, or a running one's control URL), the client under
load, the timeline of faults, the records, the expectations, and rollback that always runs.

Shaped like a chaostoolkit experiment without its sprawl: each step (start, each fault applied and
cleared, the load, the checks, the rollback) is a journal entry with start, end, status and output.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from ...failover.config import RegionConfig
from ..simulator import SimulatorThread, default_region
from ..simulator.model import ptu_name
from .clients import CorruptedToolCall, DrillClient, build_client
from .control import SimulatorControl, fault_body, timeline_problem
from .expectations import CallRecord, ExpectationResult, ServerRecord, check_all
from .model import Drill, Step
from .stop import run_async, stopping

__all__ = ["DrillResult", "JournalStep", "SimulatorControl", "run_drill"]

KEY_ENV = "AOAI_DRILL_KEY"
T = TypeVar("T")


@dataclass
class JournalStep:
    name: str
    started: float
    ended: float | None = None
    status: str = "running"  # succeeded, failed, running
    output: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": _iso(self.started),
            "end": _iso(self.ended) if self.ended else None,
            "status": self.status,
            "output": self.output,
        }


@dataclass
class FaultRecord:
    """One fault a drill set: times are seconds from the load's start (ended_s: None = not recorded)."""

    fault: str  # the fault's name, as the drill step's `fault` gives it
    region: str
    params: dict[str, Any]
    started_s: float
    ended_s: float | None
    fault_id: str | None


@dataclass
class DrillResult:
    drill: Drill
    client: str
    started: float
    duration_s: float = 0.0
    results: list[ExpectationResult] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    served: list[ServerRecord] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    journal: list[JournalStep] = field(default_factory=list)
    error: str | None = None  # the run itself broke (not an expectation)
    load_started_wall: float = 0.0  # epoch seconds when the load (offset 0) began
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.results) and all(r.passed for r in self.results)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


@contextlib.contextmanager
def simulator_for(drill: Drill, external: str | None, key: str) -> Iterator[SimulatorControl]:
    if external:
        yield SimulatorControl(external)
        return
    setup, model = drill.simulator, drill.load.model
    regions = [
        default_region(
            name,
            key,
            latency_scale=0.05,
            provisioned=(model,) if name in setup.provisioned else (),
            capacity_tpm=setup.capacity_tpm,
            tpm=0,
            rpm=0,
        )
        for name in drill.regions
    ]
    if not setup.spillover:  # the client must spill over itself, on the PTU's 429
        regions = [
            dataclasses.replace(r, deployments=tuple(dataclasses.replace(d, spillover=None) for d in r.deployments))
            for r in regions
        ]
    with SimulatorThread(regions) as sim:
        yield SimulatorControl(sim.control_url)


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


class _Progress:
    def __init__(self, drill: Drill, out: TextIO | None) -> None:
        self.drill, self.out = drill, out
        self.phase = "steady"
        self.tty = bool(out is not None and out.isatty())
        self._shown_phase = ""

    def show(self, t: float, calls: list[CallRecord]) -> None:
        if self.out is None:
            return
        if not self.tty:  # a log, not a terminal: one line per phase change
            if self.phase != self._shown_phase:
                self._shown_phase = self.phase
                self.out.write(f"  [{self.drill.name}] {t:5.1f} s: {self.phase} ({len(calls)} calls so far)\n")
                self.out.flush()
            return
        ok = sum(c.ok for c in calls)
        ratio = f"{ok / len(calls) * 100:5.1f}%" if calls else "   - "
        self.out.write(
            f"\r  [{self.drill.name}] {t:5.1f}/{self.drill.load.duration_s:g} s  calls {len(calls):5d}  "
            f"ok {ratio}  {self.phase[:60]:<60}"
        )
        self.out.flush()

    def done(self) -> None:
        if self.out is not None and self.tty:
            self.out.write("\r" + " " * 120 + "\r")
            self.out.flush()


async def _one_call(
    client: DrillClient,
    shape: str,
    number: int,
    started_at: float,
    calls: list[CallRecord],
    conversations: dict[int, str | None],
    turns: int,
) -> None:
    call_id = f"drill-{uuid.uuid4().hex[:16]}"
    begin = time.monotonic()
    conversation = turn = None
    try:
        if shape == "chat":
            outcome = await client.chat(call_id)
        elif shape == "stream":
            outcome = await client.stream(call_id)
        elif shape == "tools":
            outcome = await client.tools(call_id)
        elif shape == "stream_tools":
            outcome = await client.stream_tools(call_id)
        elif shape == "structured":
            outcome = await client.structured(call_id)
        elif shape == "realtime":
            outcome = await client.realtime_ask(call_id)
        else:  # responses: conversations of `turns` turns, each chained to the previous
            conversation, turn = divmod(number, turns)
            previous = conversations.get(conversation) if turn else None
            outcome, response_id = await client.responses_turn(call_id, f"Turn {turn}: remember {number}.", previous)
            conversations[conversation] = response_id
        calls.append(
            CallRecord(
                call_id=call_id,
                started_s=begin - started_at,
                latency_s=time.monotonic() - begin,
                ok=True,
                shape=shape,
                region=outcome.region,
                tokens=outcome.tokens,
                requests=outcome.requests,
                conversation=conversation,
                turn=turn,
            )
        )
    except Exception as exc:
        calls.append(
            CallRecord(
                call_id=call_id,
                started_s=begin - started_at,
                latency_s=time.monotonic() - begin,
                ok=False,
                shape=shape,
                error=f"{type(exc).__name__}: {str(exc)[:160]}",
                corrupted_tool_call=isinstance(exc, CorruptedToolCall),
                conversation=conversation,
                turn=turn,
            )
        )


def _shape(drill: Drill, number: int) -> str:
    if drill.load.shape != "mixed":
        return drill.load.shape
    return ("chat", "stream", "responses")[number % 3]


async def _drive(
    drill: Drill, client: DrillClient, control: SimulatorControl, result: DrillResult, progress: _Progress
) -> None:
    load = drill.load
    calls = result.calls
    started_at = time.monotonic()
    conversations: dict[int, str | None] = {}
    counter = iter(range(10**9))
    stop_at = started_at + load.duration_s

    async def apply(step: Step) -> None:
        """Put the step's fault in force; one that cannot be stops the load and fails the drill
        (checked before the load, so this is the simulator going away or changing its mind)."""
        nonlocal stop_at
        body = fault_body(step)
        journal = JournalStep(f"fault {step.fault} on {step.region}", time.time())
        result.journal.append(journal)
        try:
            fault_id = await asyncio.to_thread(control.add_fault, body)
        except Exception as exc:
            reason = getattr(exc, "reason", f"{type(exc).__name__}: {exc}")
            journal.ended, journal.status, journal.output = time.time(), "failed", {"error": reason, **body}
            result.error = result.error or f"fault {step.fault} on {step.region} was not applied: {reason}"
            stop_at = 0.0  # the workers finish their call in hand and stop
            return
        journal.ended, journal.status, journal.output = time.time(), "succeeded", {"id": fault_id, **body}
        result.faults.append(
            FaultRecord(
                step.fault,
                step.region,
                step.params,
                time.monotonic() - started_at,
                None if step.duration_s is None else step.at_s + step.duration_s,
                fault_id,
            )
        )
        progress.phase = f"{step.fault} on {step.region} since {step.at_s:g} s"

    async def timeline() -> None:
        for step in later:
            await asyncio.sleep(max(0.0, started_at + step.at_s - time.monotonic()))
            await apply(step)
            if result.error:
                return

    async def worker() -> None:
        while time.monotonic() < stop_at and not stopping():
            number = next(counter)
            await _one_call(client, _shape(drill, number), number, started_at, calls, conversations, load.turns)
            if not calls[-1].ok:
                await asyncio.sleep(0.01)  # a client that fails instantly must not spin the drill

    async def rated() -> None:
        interval = 1.0 / (load.rate_per_s or 1.0)
        tasks = []
        while time.monotonic() < stop_at and not stopping():
            number = next(counter)
            tasks.append(
                asyncio.ensure_future(
                    _one_call(client, _shape(drill, number), number, started_at, calls, conversations, load.turns)
                )
            )
            await asyncio.sleep(max(0.0, started_at + (number + 1) * interval - time.monotonic()))
        await asyncio.gather(*tasks)

    async def show() -> None:
        while True:
            progress.show(time.monotonic() - started_at, calls)
            await asyncio.sleep(0.5)

    # faults at offset 0 are in force before the first call; the rest follow the clock
    ordered = sorted(drill.timeline, key=lambda s: s.at_s)
    later = [s for s in ordered if s.at_s > 0]
    for step in ordered:
        if step.at_s <= 0:
            await apply(step)
    if result.error:
        return  # a fault at offset 0 was refused: no load against a simulator that is not as planned
    started_at = time.monotonic()
    result.load_started_wall = time.time()  # the simulator logs wall time: align its records to this instant
    stop_at = started_at + load.duration_s
    ticker = asyncio.ensure_future(show())
    faults = asyncio.ensure_future(timeline())
    try:
        if load.concurrency:
            await asyncio.gather(*[worker() for _ in range(load.concurrency)])
        else:
            await rated()
    finally:
        faults.cancel()
        ticker.cancel()
        progress.done()


def run_drill(
    drill: Drill, client_spec: str = "bundled", simulator: str | None = None, progress: TextIO | None = sys.stderr
) -> DrillResult:
    """Run one drill end to end. Before any load the simulator is asked whether it serves the
    drill's regions and would accept every fault of the timeline: if not, the drill fails at once
    with its reason (`result.error`, a failed journal step) and no load runs. A fault refused
    during the load stops it and fails the drill the same way. Faults are always cleared, whatever
    happens (Ctrl-C included; under `stop.stop_on_signals`, SIGTERM and SIGHUP too, and then the
    load stops at once: every task is cancelled and no new call starts)."""
    result = DrillResult(drill, client_spec, time.time())
    key = secrets.token_hex(16)  # a throwaway key for the embedded simulator
    environ = {KEY_ENV: key}
    begin = time.monotonic()
    if simulator and drill.simulator.provisioned:
        result.error = (
            f"{drill.path}: [simulator] sets up the embedded simulator's PTU deployments; "
            "run this drill without --simulator (or give your simulator those deployments and drop [simulator])"
        )
        return result
    # your own client factory reads keys from the environment, as in production
    with _environment(KEY_ENV, key), simulator_for(drill, simulator, key) as control:
        try:
            urls = _step(result, "start simulator", lambda: _start(control), lambda urls: {"regions": urls})
            problem = timeline_problem(drill, control, urls)
            check = JournalStep("check the timeline with the simulator", time.time())
            result.journal.append(check)
            check.ended, check.status = time.time(), "failed" if problem else "succeeded"
            check.output = problem[1] if problem else {"faults": len(drill.timeline)}
            if problem:
                result.error = problem[0]
            else:
                client = _step(result, "start client", lambda: _client(drill, client_spec, urls, environ))
                _load_and_check(drill, client, control, result, progress)
        except Exception as exc:
            result.error = result.error or f"{type(exc).__name__}: {exc}"
            for step in result.journal:  # the step that broke says so; none is left "running"
                if step.status == "running":
                    step.ended, step.status = time.time(), "failed"
        finally:
            try:
                _rollback(control, result)
            except BaseException:  # a stop signal landed in the rollback: finish it, then stop
                _rollback(control, result)
                raise
    result.duration_s = time.monotonic() - begin
    return result


def _step(result: DrillResult, name: str, action: Callable[[], T], output: Callable[[T], Any] = lambda _: None) -> T:
    """Run `action()` as one journal step whose output is `output(its value)` (JSON-ready): left
    "running" for run_drill to mark failed when it raises."""
    step = JournalStep(name, time.time())
    result.journal.append(step)
    value = action()
    step.ended, step.status, step.output = time.time(), "succeeded", output(value)
    return value


def _start(control: SimulatorControl) -> dict[str, str]:
    urls = control.regions()
    control.reset()
    return urls


def _client(drill: Drill, client_spec: str, urls: dict[str, str], environ: dict[str, str]) -> DrillClient:
    model = drill.load.model
    regions = [
        RegionConfig(
            name,
            urls[name],
            priority,
            "api-key",
            KEY_ENV,
            {model: model},
            {model: ptu_name(model)} if name in drill.simulator.provisioned else {},
        )
        for priority, name in enumerate(drill.regions, start=1)
    ]
    return build_client(
        client_spec, regions, drill.client, drill.load.model, environ, realtime=drill.load.shape == "realtime"
    )


def _load_and_check(
    drill: Drill, client: DrillClient, control: SimulatorControl, result: DrillResult, progress: TextIO | None
) -> None:
    load_step = JournalStep(f"load: {drill.load.shape} for {drill.load.duration_s:g} s", time.time())
    result.journal.append(load_step)
    load_started = time.time()
    run_async(_run_load(drill, client, control, result, _Progress(drill, progress)))
    load_step.ended = time.time()
    load_step.status = "failed" if result.error else "succeeded"
    load_step.output = {"calls": len(result.calls), "ok": sum(c.ok for c in result.calls)}
    if result.error:
        return  # a fault was not applied: the expectations would judge a drill that did not happen
    result.served = _served(
        control.requests(), result.load_started_wall or load_started, {c.call_id for c in result.calls}
    )
    _attribute_regions(result, {ptu_name(drill.load.model)} if drill.simulator.provisioned else set())
    checks = JournalStep("check expectations", time.time())
    result.journal.append(checks)
    result.results = check_all(_as_applied(drill, result.faults), result.calls, result.served)
    checks.ended, checks.status = time.time(), "succeeded" if result.passed else "failed"
    checks.output = [r.describe() for r in result.results]


def _rollback(control: SimulatorControl, result: DrillResult) -> None:
    rollback = JournalStep("rollback: clear every fault", time.time())
    result.journal.append(rollback)
    try:
        control.reset()
        rollback.status = "succeeded"
    except Exception as exc:
        rollback.status, rollback.output = "failed", str(exc)
        result.error = result.error or f"rollback failed: {exc}"
    rollback.ended = time.time()


async def _run_load(
    drill: Drill, client: DrillClient, control: SimulatorControl, result: DrillResult, progress: _Progress
) -> None:
    try:
        await _drive(drill, client, control, result, progress)
    finally:
        await client.close()


def _as_applied(drill: Drill, applied: list[FaultRecord]) -> Drill:
    """The drill with each fault's start moved to when it really took effect (the control call takes
    a few milliseconds), so expectations judge the faults as applied, not as planned."""
    by_order = sorted(drill.timeline, key=lambda s: s.at_s)
    steps = [
        dataclasses.replace(step, at_s=max(step.at_s, record.started_s))
        for step, record in zip(by_order, applied, strict=False)
    ]
    return dataclasses.replace(drill, timeline=tuple(steps) + tuple(by_order[len(steps) :]))


def _served(entries: list[dict[str, Any]], load_started: float, call_ids: set[str]) -> list[ServerRecord]:
    return [
        ServerRecord(
            e["t"] - load_started,
            e["region"],
            e["status"],
            e["client_request_id"] if e["client_request_id"] in call_ids else None,
            e.get("deployment"),
        )
        for e in entries
        if e["t"] >= load_started - 0.5
    ]


def _attribute_regions(result: DrillResult, provisioned: set[str]) -> None:
    """The region and tier that answered each call, from the server's log (a 200 with its id; the
    last one, for a call of two requests)."""
    answered = {s.call_id: s for s in result.served if s.call_id and s.status == 200}

    def attributed(call: CallRecord) -> CallRecord:
        served = answered.get(call.call_id)
        if served is None:
            return call
        tier = "provisioned" if served.deployment in provisioned else "standard"
        return dataclasses.replace(call, region=call.region or served.region, tier=tier)

    result.calls[:] = [attributed(c) for c in result.calls]
