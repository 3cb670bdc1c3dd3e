"""The listener's log output, over real sockets: a refused realtime upgrade is an HTTP answer and
logs nothing."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from websockets.exceptions import InvalidStatus
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
