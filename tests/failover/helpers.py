"""Shared by the failover client tests: regions pointing at a simulator, an event recorder, a
client with short timeouts, and one chat call."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AttemptEvent, FailoverClient, RegionConfig

from tests.conftest import KEY

DEFAULT_DEPLOYMENTS = {"gpt-4o": "gpt-4o", "text-embedding-3-small": "text-embedding-3-small"}
MESSAGES = [{"role": "user", "content": "ping"}]


def regions(sim: SimulatorThread, **deployments: dict[str, str]) -> list[RegionConfig]:
    return [
        RegionConfig(
            name,
            sim.urls[name],
            priority,
            "api-key",
            "SIM_KEY",
            deployments.get(name, {"gpt-4o": "gpt-4o", "text-embedding-3-small": "text-embedding-3-small"}),
        )
        for priority, name in enumerate(("eastus2", "swedencentral"), start=1)
    ]


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    @property
    def attempts(self) -> list[AttemptEvent]:
        return [e for e in self.events if isinstance(e, AttemptEvent)]

    def path(self) -> list[tuple[str, str, str]]:
        return [(a.region, a.outcome, a.decision) for a in self.attempts]


def make(sim: SimulatorThread, recorder: Recorder | None = None, **options: Any) -> FailoverClient:
    options.setdefault("read_timeout_s", 2)
    options.setdefault("deadline_s", 8)
    options.setdefault("backoff_base_s", 0.05)
    options.setdefault("backoff_max_s", 0.2)
    deployments = options.pop("deployments", {})
    return FailoverClient(regions(sim, **deployments), environ={"SIM_KEY": KEY}, on_event=recorder, seed=1, **options)


def ask(client: FailoverClient) -> Any:
    return client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES, max_tokens=4)


def status_error(status: int, body: object, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/openai/v1/chat/completions")
    response = httpx2.Response(status, json=body, headers=headers or {}, request=request)
    client = openai.OpenAI(base_url="http://127.0.0.1/openai/v1/", api_key="x")
    return client._make_status_error_from_response(response)  # the SDK's own mapping
