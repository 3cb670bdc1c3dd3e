"""chaos/simulator/chat_request.py's caches: a repeated `tools` array or json_schema format is parsed
once and gives the same request; what was refused is refused every time; what depends on the
messages (json_object) is checked on every request; both caches stay bounded."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from aoai_watch.chaos.simulator import chat_request, tokens
from aoai_watch.chaos.simulator.model import DeploymentSpec
from aoai_watch.chaos.simulator.region import Refusal

from tests.chaos.chat_clients import TIME, WEATHER, user

DEPLOYMENT = DeploymentSpec.for_model("gpt-4o", "gpt-4o")
JSON_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "r",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
            "additionalProperties": False,
        },
    },
}


def parse(**fields: Any) -> chat_request.ChatRequest:
    # a fresh copy each time, as each request's body is parsed anew from its JSON
    return chat_request.parse(copy.deepcopy({"model": "gpt-4o", "messages": user("hi"), **fields}), DEPLOYMENT)


def refusal(**fields: Any) -> dict[str, Any]:
    with pytest.raises(Refusal) as refused:
        parse(**fields)
    assert refused.value.status == 400
    return refused.value.body["error"]


def test_a_repeated_tools_array_gives_the_same_tools_and_prompt_tokens() -> None:
    first = parse(tools=[WEATHER, TIME], tool_choice="required")
    again = parse(tools=[WEATHER, TIME], tool_choice="auto")
    assert again.tools is first.tools  # parsed once
    assert [t.name for t in again.tools] == ["get_weather", "get_time"] and again.tool_choice == "auto"
    assert again.tools[0].parameters == WEATHER["function"]["parameters"]
    assert again.tools_tokens == sum(
        tokens.text_tokens(t["function"]["name"]) + tokens.text_tokens(_compact(t["function"].get("parameters")))
        for t in (WEATHER, TIME)
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as orjson writes it


def test_tool_choice_is_checked_against_a_cached_array() -> None:
    parse(tools=[TIME])
    error = refusal(tools=[TIME], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert error["param"] == "tool_choice"


def test_a_refused_tools_array_is_refused_every_time() -> None:
    bad = [{"type": "function", "function": {"name": "f", "strict": True, "parameters": {"type": "object"}}}]
    first = refusal(tools=bad)
    assert refusal(tools=bad) == first and first["param"] == "tools[0].function.parameters"


def test_seed_and_max_tokens_are_checked_beside_cached_tools() -> None:
    parse(tools=[TIME], seed=1, max_tokens=5)
    assert refusal(tools=[TIME], seed="one")["param"] == "seed"
    assert refusal(tools=[TIME], max_tokens=100_000)["param"] == "max_tokens"


def test_a_body_with_several_problems_gets_the_first_one_cached_or_not() -> None:
    # Azure's order: n, seed, max_tokens, tools, tool_choice; twice, the second time from the cache
    for _ in range(2):
        assert refusal(n=0, seed="one", tools=[TIME])["param"] == "n"
        assert refusal(seed="one", tools=[TIME])["param"] == "seed"
        assert refusal(tools=[TIME], tool_choice="always")["param"] == "tool_choice"


def test_a_repeated_json_schema_format_gives_the_same_schema() -> None:
    first = parse(response_format=JSON_SCHEMA)
    again = parse(response_format=JSON_SCHEMA)
    assert again.response_format == "json_schema" and again.schema is first.schema
    assert again.schema == JSON_SCHEMA["json_schema"]["schema"]
    assert again.document is first.document  # the answer's document, built once
    jsonschema.validate(json.loads(again.document or ""), JSON_SCHEMA["json_schema"]["schema"])


def test_json_object_is_checked_against_each_requests_messages() -> None:
    request = parse(messages=user("answer in JSON"), response_format={"type": "json_object"})
    assert request.response_format == "json_object" and json.loads(request.document or "")  # some non-empty object
    assert refusal(messages=user("answer"), response_format={"type": "json_object"})["param"] == "messages"


def test_the_caches_stay_bounded() -> None:
    for i in range(chat_request.CACHE_SIZE + 20):
        parse(tools=[{"type": "function", "function": {"name": f"f{i}"}}])
        parse(response_format={"type": "json_schema", "json_schema": {"name": f"r{i}", "schema": {"type": "object"}}})
    assert len(chat_request._tools_cache) == chat_request.CACHE_SIZE
    assert len(chat_request._formats_cache) == chat_request.CACHE_SIZE
    assert parse(tools=[WEATHER]).tools[0].name == "get_weather"  # evicted or not, still answered
