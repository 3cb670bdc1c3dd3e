"""The simulator: one listener per region, a control listener, the faults they share.

`Simulator` runs inside an event loop (`await sim.start()` ... `await sim.stop()`).
`SimulatorThread` runs one in a background thread for synchronous code and tests: a context
manager that is ready (every port listening) when `__enter__` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..faults import ActiveFault, FaultParamError, FaultSet
from . import chat, embeddings, models_api, realtime, responses
from .control import ControlApp
from .listener import Listener
from .model import RegionSpec
from .monitor import Monitor
from .region import RegionApp, RegionState

HANDLERS = {
    "chat": chat.chat,
    "embeddings": embeddings.embeddings,
    "models": models_api.list_v1,
    "models_get": models_api.get_v1,
    "models_dated": models_api.list_dated,
    "models_dated_get": models_api.get_dated,
    "responses_create": responses.create,
    "responses_get": responses.get,
    "responses_delete": responses.delete,
    "responses_cancel": responses.cancel,
}


class Simulator:
    """Simulated Azure OpenAI regions on 127.0.0.1 (or each on its `RegionSpec.host`, see
    loopback.py). `clock`/`sleep` are injectable for tests."""

    def __init__(
        self,
        regions: Sequence[RegionSpec],
        *,
        seed: int | None = None,
        control_port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        app_factory: Callable[[RegionState], Any] | None = None,
        host: str = "127.0.0.1",
        monitor_lag_s: float | None = None,
    ) -> None:
        """`app_factory(state)` replaces the simulated region with another ASGI app (the chaos
        proxy) that still shares the faults, the listeners and the control API.
        `monitor_lag_s` set: also serve Azure Monitor (metrics, logs, a managed identity; see
        monitor.py), each request visible there that many seconds after it arrived."""
        if not regions:
            raise ValueError("a simulator needs at least one region")
        names = [r.name for r in regions]
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique: {names}")
        self.clock = clock
        self.faults = FaultSet(clock, seed)
        self.regions: dict[str, RegionState] = {}
        self.listeners: dict[str, Listener] = {}
        self.forwarding: set[str] = set()  # regions whose app forwards answers (the proxy) instead of building them
        for spec in regions:
            listener_box: list[Listener] = []
            state = RegionState(
                spec,
                self.faults,
                clock,
                sleep,
                seed,
                reset_connection=lambda client, graceful=False, box=listener_box: box[0].reset(client, graceful),
            )
            app = app_factory(state) if app_factory is not None else RegionApp(state, HANDLERS, realtime.serve)
            if not getattr(app, "builds_answers", True):
                self.forwarding.add(spec.name)
            listener = Listener(app, port=spec.port, host=spec.host or host)  # a region's own loopback address wins
            listener_box.append(listener)
            self.regions[spec.name] = state
            self.listeners[spec.name] = listener
        self.control = Listener(ControlApp(self), port=control_port)  # control stays on loopback
        self.monitor = Monitor(self, monitor_lag_s) if monitor_lag_s is not None else None
        self._timers: list[asyncio.TimerHandle] = []

    async def start(self) -> None:
        try:
            for listener in self.listeners.values():
                await listener.open()
            await self.control.open()
            for listener in self.monitor.listeners if self.monitor else []:
                await listener.open()
        except OSError:
            await self.stop()
            raise

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for listener in [*self.listeners.values(), self.control, *(self.monitor.listeners if self.monitor else [])]:
            await listener.close()

    @property
    def urls(self) -> dict[str, str]:
        """Region name -> endpoint (`http://127.0.0.1:PORT`, or the region's own loopback address);
        the v1 base URL adds /openai/v1/."""
        return {name: listener.url for name, listener in self.listeners.items()}

    def ready_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"regions": self.urls, "control": self.control.url}
        if self.monitor is not None:
            info["monitor"] = self.monitor.describe()
        return info

    def request_log(self) -> list[dict[str, Any]]:
        entries = [
            {
                "t": a.arrived,
                "region": name,
                "deployment": a.deployment,
                "status": a.status,
                "client_request_id": a.client_request_id,
            }
            for name, state in self.regions.items()
            for a in list(state.log)
        ]
        return sorted(entries, key=lambda e: e["t"])

    def describe_regions(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "url": self.listeners[name].url,
                "listening": self.listeners[name].listening,
                "auth": state.spec.auth,
                "deployments": [
                    {
                        "name": d.name,
                        "model": d.model,
                        "model_version": d.model_version,
                        "tpm": d.tpm,
                        "rpm": d.rpm,
                        "rpm_window_s": d.rpm_window_s,
                        "sku": d.sku,
                        # provisioned only: the PTU capacity, utilization now (percent), spillover target
                        **(
                            {
                                "capacity_tpm": d.capacity_tpm,
                                "utilization_pct": round(state.meters[d.name].utilization_pct(), 1),
                                "spillover": d.spillover,
                            }
                            if d.is_provisioned
                            else {}
                        ),
                    }
                    for d in state.spec.deployments
                ],
            }
            for name, state in self.regions.items()
        ]

    async def add_fault(
        self,
        kind: str,
        region: str,
        params: Mapping[str, Any] | None = None,
        *,
        deployment: str | None = None,
        duration_s: float | None = None,
        probability: float = 1.0,
    ) -> ActiveFault:
        """Put a fault in force on a region. `kind` is the fault's name, as the control API's
        `"kind"` field gives it (the parameter keeps that word: callers pass it by keyword)."""
        self.check_fault(kind, region, params, deployment=deployment, duration_s=duration_s, probability=probability)
        active = self.faults.add(
            kind, region, params, deployment=deployment, duration_s=duration_s, probability=probability
        )
        if active.fault.region_wide:
            await self.reconcile()
            if active.duration_s is not None:
                loop = asyncio.get_running_loop()
                self._timers.append(
                    loop.call_later(active.duration_s + 0.01, lambda: asyncio.ensure_future(self.reconcile()))
                )
        return active

    def check_fault(
        self,
        kind: str,
        region: str,
        params: Mapping[str, Any] | None = None,
        *,
        deployment: str | None = None,
        duration_s: float | None = None,
        probability: float = 1.0,
    ) -> None:
        """Raise the FaultParamError `add_fault` would raise for these arguments; add nothing."""
        self._check_scope(region, deployment)
        fault = self.faults.check(kind, params, deployment=deployment, duration_s=duration_s, probability=probability)
        problem = fault.needs_simulator() if region in self.forwarding else None
        if problem is not None:
            raise FaultParamError(f"region {region} is a chaos proxy: {problem}")

    def _check_scope(self, region: str, deployment: str | None) -> None:
        state = self.regions.get(region)
        if state is None:
            raise FaultParamError(f"unknown region {region!r}; regions: {', '.join(self.regions)}")
        # a proxy region knows no deployments: any name may be scoped there
        if deployment is not None and (
            not isinstance(deployment, str) or (state.spec.deployments and state.spec.deployment(deployment) is None)
        ):
            known = ", ".join(d.name for d in state.spec.deployments)
            raise FaultParamError(f"region {region} has no deployment {deployment!r}; deployments: {known}")

    async def clear_fault(self, fault_id: str) -> bool:
        cleared = self.faults.clear(fault_id)
        if cleared is not None and cleared.fault.region_wide:
            await self.reconcile()
        return cleared is not None

    async def reset(self) -> None:
        """Clear every fault, forget stored responses and quota counters, listen everywhere again."""
        self.faults.reset()
        for state in self.regions.values():
            state.reset()
        await self.reconcile()

    async def reconcile(self) -> None:
        """Make each region's listener match its region-wide faults (refuse: closed)."""
        self._timers = [t for t in self._timers if not t.cancelled() and t.when() > asyncio.get_running_loop().time()]
        for name, listener in self.listeners.items():
            refused = bool(self.faults.region_wide(name))
            if refused and listener.listening:
                await listener.close()
            elif not refused and not listener.listening:
                await listener.open()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (about a third faster here), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class SimulatorThread:
    """Run a `Simulator` on its own event loop in a daemon thread.

    with SimulatorThread([default_region("eastus2", "key")]) as sim:
        OpenAI(base_url=sim.base_url("eastus2"), api_key="key")
    """

    def __init__(self, regions: Sequence[RegionSpec], **options: Any) -> None:
        self.simulator = Simulator(regions, **options)
        self._loop = new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="aoai-simulator", daemon=True)

    def __enter__(self) -> SimulatorThread:
        self._thread.start()
        self.call(self.simulator.start())
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.call(self.simulator.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def call(self, coroutine: Awaitable[Any], timeout_s: float = 30) -> Any:
        """Run a coroutine on the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)  # type: ignore[arg-type]

    @property
    def urls(self) -> dict[str, str]:
        return self.simulator.urls

    @property
    def control_url(self) -> str:
        return self.simulator.control.url

    def base_url(self, region: str) -> str:
        return f"{self.simulator.urls[region]}/openai/v1/"

    def add_fault(self, kind: str, region: str, params: Mapping[str, Any] | None = None, **options: Any) -> ActiveFault:
        """Simulator.add_fault from this thread: `kind` is the fault's name (`"http_error"`, ...)."""
        return self.call(self.simulator.add_fault(kind, region, params, **options))

    def clear_fault(self, fault_id: str) -> bool:
        return self.call(self.simulator.clear_fault(fault_id))

    def reset(self) -> None:
        self.call(self.simulator.reset())
