"""The stream_stall fault from the client side, with the real openai SDK over real sockets: a
stream's events stop after `after_events` without the connection closing, then it closes without a
finish; realtime server events stop the same way; its params are validated."""

from __future__ import annotations

import asyncio
import json
import time

import openai
import pytest
import websockets
from aoai_watch.chaos.faults import FaultParamError, FaultSet
from aoai_watch.chaos.simulator import SimulatorThread

from tests.clock import ManualClock
from tests.conftest import KEY, chat, sdk


def test_a_chat_stream_stalls_after_n_events_then_ends_without_a_finish(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 3, "stall_s": 0.4})
    received = []
    arrived: list[float] = []
    with pytest.raises(openai.APIConnectionError):  # closed mid-body: an incomplete chunked read
        for chunk in chat(sdk(sim), stream=True):
            received.append(chunk)
            arrived.append(time.monotonic())
    ended = time.monotonic()
    # annotation, role, one word: three data events, and no finish among them
    assert len(received) == 3
    assert not any(c.choices and c.choices[0].finish_reason for c in received)
    assert ended - arrived[-1] >= 0.4 * 0.9  # nothing was sent during the stall (a lower bound only)


def test_a_responses_stream_stalls_after_n_events(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 2, "stall_s": 0.05})
    received = []
    with pytest.raises(openai.APIConnectionError):
        for event in sdk(sim).responses.create(model="gpt-4o", input="hi", stream=True):
            received.append(event.type)
    assert received == ["response.created", "response.in_progress"]


def test_a_non_streamed_answer_is_not_touched(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 0, "stall_s": 30})
    assert chat(sdk(sim)).choices[0].message.content


def test_realtime_server_events_stall_then_the_socket_closes(sim: SimulatorThread) -> None:
    sim.add_fault("stream_stall", "eastus2", {"after_events": 1, "stall_s": 0.3})
    url = sim.urls["eastus2"].replace("http://", "ws://") + "/openai/v1/realtime?model=gpt-4o"

    async def run() -> tuple[str, float]:
        async with websockets.connect(url, additional_headers={"api-key": KEY}) as ws:
            first = json.loads(await ws.recv())
            got_first = time.monotonic()
            await ws.send(json.dumps({"type": "session.update", "session": {"instructions": "x"}}))
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return first["type"], time.monotonic() - got_first

    kind, silent_s = asyncio.run(run())
    assert kind == "session.created"
    assert silent_s >= 0.3 * 0.9  # session.updated never came; the socket closed after the stall


@pytest.mark.parametrize(
    "params, message",
    [
        ({"stall_s": 1}, "params.after_events is required"),
        ({"after_events": 1}, "params.stall_s is required"),
        ({"after_events": -1, "stall_s": 1}, "params.after_events must be a number between 0 and"),
        ({"after_events": 1.5, "stall_s": 1}, "params.after_events must be a whole number"),
        ({"after_events": 1, "stall_s": -1}, "params.stall_s must be a number between 0 and 3600"),
        ({"after_events": 1, "stall_s": float("nan")}, "params.stall_s must be a number"),
        ({"after_events": 1, "stall_s": None}, "params.stall_s must be a number"),
        ({"after_events": 1, "stall_s": 1, "stal_s": 2}, "unknown params stal_s"),
    ],
)
def test_params_are_validated(params: dict, message: str) -> None:
    with pytest.raises(FaultParamError, match=message.replace(".", r"\.")):
        FaultSet(ManualClock()).add("stream_stall", "eastus2", params)
