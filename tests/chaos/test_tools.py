"""chaos/simulator/tools.py: which functions an answer calls."""

from __future__ import annotations

import json
import random

from aoai_watch.chaos.simulator.tools import FunctionTool, call_id, choose

WEATHER = FunctionTool(
    "get_weather", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
)
TIME = FunctionTool("get_time", {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC"]}}})
TOOLS = [WEATHER, TIME]


def pick(
    choice: str = "auto", forced: str | None = None, parallel: bool = True, prompt: str = "hi", after: bool = False
):
    return choose(TOOLS, choice, forced, parallel, prompt, after, random.Random(1))


def test_none_calls_nothing_and_a_named_function_is_called_alone() -> None:
    assert pick("none", prompt="get_weather and get_time") == []
    assert pick("required", forced="get_time", prompt="get_weather") == [TIME]


def test_the_functions_the_prompt_names_are_called_in_parallel_when_allowed() -> None:
    assert pick(prompt="Call get_weather, then get time") == [WEATHER, TIME]
    assert pick(prompt="Call get_weather, then get time", parallel=False) == [WEATHER]


def test_after_a_tool_result_auto_answers_in_text_but_required_still_calls() -> None:
    assert pick(prompt="get_weather", after=True) == []
    assert pick("required", prompt="get_weather", after=True) == [WEATHER]


def test_required_always_calls_and_auto_sometimes_does_when_nothing_is_named() -> None:
    rng = random.Random(7)
    assert all(choose(TOOLS, "required", None, True, "hello", False, rng) for _ in range(50))
    decisions = [bool(choose(TOOLS, "auto", None, True, "hello", False, rng)) for _ in range(200)]
    assert 40 < sum(decisions) < 160


def test_arguments_are_json_valid_for_the_schema_and_ids_have_openai_shape() -> None:
    assert json.loads(WEATHER.arguments_json) == {"city": "sample city"}
    assert json.loads(TIME.arguments_json) == {"zone": "UTC"}
    ident = call_id(random.Random(3))
    assert ident.startswith("call_") and len(ident) == 29 and ident[5:].isalnum()
    assert ident == call_id(random.Random(3))
