"""The answer log: a bounded ring that gives back the last answers in order, exactly as recorded,
read by GET /requests, drills and Azure Monitor."""

from __future__ import annotations

import json
import sys
import threading
import urllib.request

import pytest
from aoai_watch.chaos.simulator import SimulatorThread, answer, default_region, region
from aoai_watch.chaos.simulator.answer import Answer, AnswerLog

from tests.conftest import KEY, chat, sdk


def numbered(k: int) -> Answer:
    """An answer whose every field is derived from k, so a mixed-up row is visible."""
    return Answer(
        arrived=1_700_000_000.0 + k / 8,
        deployment=None if k % 5 == 0 else f"deployment-{k % 3}",
        status=(200, 429, 503, 0)[k % 4],
        client_request_id=None if k % 2 else f"client-{k}",
        request_id=None if k % 7 == 0 else f"{k:08d}-0000-4000-8000-000000000000",
        operation=(None, "chat", "responses_create")[k % 3],
        prompt_tokens=k,
        completion_tokens=2 * k,
        response_ms=k / 4,
        stream=bool(k % 2),
    )


@pytest.mark.parametrize("capacity", [1, 2, 5, 9])
def test_the_log_gives_back_the_last_answers_in_order_as_recorded(capacity: int, monkeypatch) -> None:
    monkeypatch.setattr(answer, "_GROW", 2)  # grow in small steps, so growing and wrapping both run
    log = AnswerLog(capacity)
    recorded = []
    for k in range(4 * capacity + 3):
        log.append(*numbered(k))
        recorded.append(numbered(k))
        assert list(log) == recorded[-capacity:]
        assert len(log) == min(k + 1, capacity)
    log.clear()
    assert list(log) == [] and len(log) == 0


def test_client_ids_given_as_header_bytes_read_back_as_text_and_long_ones_are_cut() -> None:
    log = AnswerLog(3)
    log.append(*numbered(2)._replace(client_request_id=b"caf\xe9-1"))  # type: ignore[arg-type]
    log.append(*numbered(4)._replace(client_request_id="x" * 1000))
    first, second = list(log)
    assert first.client_request_id == "caf\xe9-1"
    assert second.client_request_id == "x" * answer.MAX_CLIENT_ID_BYTES


def test_memory_stays_bounded_however_many_answers_arrive() -> None:
    log = AnswerLog(1000)
    for k in range(5000):
        log.append(*numbered(k)._replace(deployment=f"deployment-{k}"))  # every answer a new name
    assert len(log) == 1000
    assert log._size == 1001 and len(log._records) == 1001 * answer.RECORD_BYTES  # one spare slot
    assert len(log._names) <= answer.MAX_NAMES
    assert [a.deployment for a in log][-1] == "deployment-4999"
    log.append(*numbered(1)._replace(deployment="m" * 100_000))  # any "model" a body sends
    assert list(log)[-1].deployment == "m" * answer.MAX_NAME_CHARS


def test_a_reader_in_another_thread_never_sees_a_half_written_answer() -> None:
    log = AnswerLog(50)
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            log.append(*numbered(k))
            k += 1

    thread = threading.Thread(target=writer)
    interval_s = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: mid-append reads
    thread.start()
    try:
        for _ in range(300):
            seen = list(log)
            ks = [a.prompt_tokens for a in seen]
            assert ks == list(range(ks[0], ks[0] + len(ks))) if ks else True  # consecutive, none lost
            assert all(a == numbered(a.prompt_tokens) for a in seen)  # every field of one answer
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval_s)


def test_get_requests_lists_the_last_answers_of_a_small_log(monkeypatch) -> None:
    monkeypatch.setattr(region, "LOG_SIZE", 3)
    with SimulatorThread([default_region("eastus2", KEY, latency_scale=0)], seed=3) as sim:
        client = sdk(sim)
        for n in range(5):
            chat(client, extra_headers={"x-ms-client-request-id": f"call-{n}"})
        with urllib.request.urlopen(sim.control_url + "/requests", timeout=5) as response:
            entries = json.loads(response.read())["requests"]
        assert [e["client_request_id"] for e in entries] == ["call-2", "call-3", "call-4"]
        assert {(e["region"], e["deployment"], e["status"]) for e in entries} == {("eastus2", "gpt-4o", 200)}
        assert entries == sorted(entries, key=lambda e: e["t"])
        (last,) = [a for a in sim.simulator.regions["eastus2"].log if a.client_request_id == "call-4"]
        assert last.operation == "chat" and last.prompt_tokens > 0 and last.completion_tokens > 0
        assert last.request_id and len(last.request_id) == 36 and not last.stream
