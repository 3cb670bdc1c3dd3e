"""The two real clients the Responses tests drive, the raw wire they see, and its check against
the published schemas.

`OpenAI(base_url=".../openai/v1/")` speaks the v1 paths; `AzureOpenAI(azure_endpoint=...,
api_version="2025-04-01-preview")` the dated preview paths (`/openai/responses?api-version=`).
The raw helpers return the JSON bodies and stream events as sent; `assert_published` checks them
against OpenAI's `Response` and `Response*Event` schemas vendored in tests/schemas/."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import openai
from aoai_watch.chaos.simulator import SimulatorThread

from tests.conftest import KEY
from tests.schemas import assert_valid, stream_event_schema

PREVIEW_API_VERSION = "2025-04-01-preview"
PATHS = ("v1", "preview")


def client(sim: SimulatorThread, path: str, region: str = "eastus2") -> openai.OpenAI:
    """The real SDK client for one of PATHS, pointed at one simulated region, no SDK retries."""
    if path == "v1":
        return openai.OpenAI(base_url=sim.base_url(region), api_key=KEY, max_retries=0, timeout=10)
    return openai.AzureOpenAI(
        azure_endpoint=sim.urls[region], api_version=PREVIEW_API_VERSION, api_key=KEY, max_retries=0, timeout=10
    )


def raw_body(sdk: openai.OpenAI, **kwargs: Any) -> dict[str, Any]:
    """The JSON body `responses.create(**kwargs)` received."""
    return sdk.responses.with_raw_response.create(**kwargs).http_response.json()  # type: ignore[no-any-return]


def raw_events(sdk: openai.OpenAI, **kwargs: Any) -> list[dict[str, Any]]:
    """The events of a streamed `responses.create(**kwargs)`, as sent."""
    with sdk.responses.with_streaming_response.create(stream=True, **kwargs) as response:
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def assert_published(body: dict[str, Any] | None = None, events: Sequence[dict[str, Any]] = ()) -> None:
    """Every problem the published schemas find in a Response body and in each stream event (the
    event's own schema, and the `Response` it carries), raised as one AssertionError."""
    if body is not None:
        assert_valid(body, "openai/Response", "the response")
    for event in events:
        assert_valid(event, stream_event_schema(event["type"]), f"event {event['sequence_number']} {event['type']}")
        if "response" in event:
            assert_valid(event["response"], "openai/Response", f"the response in {event['type']}")
