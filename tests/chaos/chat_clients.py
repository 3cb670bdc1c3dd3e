"""What the chat tests share: a fast simulator, the openai SDK on both URL styles, sample tools.

`STYLES` names the two ways an app reaches Azure: `v1` (`OpenAI(base_url=.../openai/v1/)`) and
`legacy` (`AzureOpenAI(azure_endpoint=..., api_version="2024-10-21")`, which builds
`/openai/deployments/{model}/chat/completions?api-version=...`).
"""

from __future__ import annotations

from typing import Any

import openai
from aoai_watch.chaos.simulator import SimulatorThread

from tests.conftest import KEY

API_VERSION = "2024-10-21"
STYLES = ("v1", "legacy")
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "where": {
                    "type": "object",
                    "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                    "required": ["lat", "lon"],
                },
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            },
            "required": ["city", "unit", "where"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}


def client(sim: SimulatorThread, style: str, region: str = "eastus2") -> openai.OpenAI:
    """The real openai client for one URL style, no SDK retries."""
    if style == "v1":
        return openai.OpenAI(base_url=sim.base_url(region), api_key=KEY, max_retries=0, timeout=20)
    return openai.AzureOpenAI(
        azure_endpoint=sim.urls[region], api_key=KEY, api_version=API_VERSION, max_retries=0, timeout=20
    )


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]
