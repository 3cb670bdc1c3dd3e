"""A connection that ends before its answer, over real sockets: the request's work stops, the region's
log says the client got no answer (status 0), and the log output has a debug line for it, never a
traceback. A real simulator error still logs its traceback; a refused realtime upgrade logs nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread, default_region
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import KEY, chat, sdk

LOGGERS = ("uvicorn.error", "aoai_watch")  # uvicorn's error log does not propagate to the root logger


class Captured(logging.Handler):
    """Every record the simulator and uvicorn log, debug included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def text(self) -> str:
        """What a log file would show, tracebacks included."""
        return "\n".join(self.format(r) for r in self.records)

    def debug_lines(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == logging.DEBUG]


@contextlib.contextmanager
def captured_logs() -> Iterator[Captured]:
    """Enter after building a simulator: uvicorn's logging setup (run by each listener it builds)
    replaces the handlers of its loggers."""
    handler = Captured()
    loggers = [logging.getLogger(name) for name in LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("aoai_watch").setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def assert_quiet(logs: Captured) -> None:
    assert "Traceback" not in logs.text
    assert "Exception in ASGI application" not in logs.text
    assert [r for r in logs.records if r.levelno >= logging.WARNING] == [], logs.text


def simulator() -> SimulatorThread:
    """Built, not started: enter it inside `captured_logs()`, so that its stop is captured too."""
    return SimulatorThread([default_region("eastus2", KEY, latency_scale=0)], seed=5)


def log_entry(sim: SimulatorThread, client_request_id: str, timeout_s: float = 10.0) -> dict[str, Any] | None:
    """The region's log entry for one request, once it is there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [e for e in sim.simulator.request_log() if e["client_request_id"] == client_request_id]
        if found:
            return found[0]
        time.sleep(0.05)
    return None


@pytest.mark.parametrize(
    "fault, params",
    [("latency", {"ms": 600_000}), ("black_hole", {})],  # an answer long after the test, or never
)
def test_a_client_that_gives_up_while_a_fault_holds_it_is_recorded_cut_and_logged_at_debug(
    fault: str, params: dict[str, Any]
) -> None:
    built = simulator()
    with captured_logs() as logs, built as sim:
        sim.add_fault(fault, "eastus2", params)
        with pytest.raises(openai.APITimeoutError):
            chat(sdk(sim, timeout=0.5), extra_headers={"x-ms-client-request-id": "gave-up"})
        # the entry exists only because the work stopped when the client left: a request held for
        # ten minutes would otherwise be recorded in ten minutes, a black-holed one never
        entry = log_entry(sim, "gave-up")
        assert entry is not None and entry["status"] == 0
        assert any("/openai/v1/chat/completions" in line for line in logs.debug_lines()), logs.text
        sim.reset()
        assert chat(sdk(sim)).choices  # the region serves on
    assert_quiet(logs)


def test_requests_held_when_the_simulator_stops_end_without_a_traceback() -> None:
    errors: list[BaseException] = []

    def wait_for_answer(client: openai.OpenAI, rid: str) -> None:
        try:
            chat(client, extra_headers={"x-ms-client-request-id": rid})
        except openai.APIError as error:
            errors.append(error)

    built = simulator()
    with captured_logs() as logs, built as sim:
        sim.add_fault("latency", "eastus2", {"ms": 600_000})
        client = sdk(sim, timeout=30)
        held = [threading.Thread(target=wait_for_answer, args=(client, f"held-{i}")) for i in range(3)]
        for thread in held:
            thread.start()
        in_flight = sim.simulator.listeners["eastus2"].state.tasks
        deadline = time.monotonic() + 10
        while len(in_flight) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(in_flight) == 3
    for thread in held:
        thread.join(10)
    assert len(errors) == 3 and all(isinstance(e, openai.APIConnectionError) for e in errors)
    assert_quiet(logs)
    assert len(logs.debug_lines()) >= 3, logs.text


def test_a_simulator_bug_still_logs_its_traceback(sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch) -> None:
    from aoai_watch.chaos.simulator import simulator as simulator_module

    async def broken(call: object) -> None:
        raise KeyError("simulated bug")

    monkeypatch.setitem(simulator_module.HANDLERS, "models", broken)
    with captured_logs() as logs, pytest.raises(openai.InternalServerError):
        sdk(sim).models.list()
    errors = [r for r in logs.records if r.levelno == logging.ERROR and r.name == "aoai_watch.simulator"]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "Traceback" in logs.text and "KeyError: 'simulated bug'" in logs.text


def test_a_cancellation_the_listener_did_not_make_still_reaches_uvicorns_error_log(
    sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aoai_watch.chaos.simulator import simulator as simulator_module

    async def cancelled_by_a_bug(call: object) -> None:
        raise asyncio.CancelledError("not the listener's")

    monkeypatch.setitem(simulator_module.HANDLERS, "models", cancelled_by_a_bug)
    with captured_logs() as logs, pytest.raises(openai.InternalServerError):
        sdk(sim).models.list()
    assert "Exception in ASGI application" in logs.text and "Traceback" in logs.text


def _realtime_url(sim: SimulatorThread, key: str = KEY, model: str = "gpt-4o") -> str:
    return sim.urls["eastus2"].replace("http://", "ws://") + f"/openai/v1/realtime?model={model}&api-key={key}"


def _refused(url: str) -> tuple[int, bytes]:
    with pytest.raises(InvalidStatus) as err, connect(url, open_timeout=5):
        pass
    return err.value.response.status_code, err.value.response.body or b""


def test_a_refused_realtime_upgrade_is_an_http_answer_and_logs_nothing(sim: SimulatorThread) -> None:
    with captured_logs() as logs:
        status, body = _refused(_realtime_url(sim, key="wrong"))
        assert status == 401 and b'"code":"401"' in body
        status, body = _refused(_realtime_url(sim, model="nope"))
        assert status == 404 and b"DeploymentNotFound" in body
        sim.add_fault("http_error", "eastus2", {"status": 503})
        status, body = _refused(_realtime_url(sim))
        assert status == 503 and b"ServiceUnavailable" in body
        sim.reset()
        assert chat(sdk(sim)).choices  # one more trip through the loop: the refusals' tasks are done
    assert "handshake" not in logs.text
    assert_quiet(logs)


def test_realtime_sockets_open_or_held_when_the_simulator_stops_end_without_a_traceback() -> None:
    built = simulator()
    with captured_logs() as logs, built as sim:
        session = connect(_realtime_url(sim), open_timeout=5)
        assert '"session.created"' in str(session.recv(timeout=5))
        sim.add_fault("black_hole", "eastus2")
        errors: list[BaseException] = []

        def held_upgrade() -> None:
            try:
                connect(_realtime_url(sim), open_timeout=30)
            except Exception as error:
                errors.append(error)

        thread = threading.Thread(target=held_upgrade)
        thread.start()
        in_flight = sim.simulator.listeners["eastus2"].state.tasks
        deadline = time.monotonic() + 10
        while len(in_flight) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(in_flight) == 2
    thread.join(10)
    with pytest.raises(ConnectionClosed):
        session.recv(timeout=5)
    assert len(errors) == 1
    assert_quiet(logs)
