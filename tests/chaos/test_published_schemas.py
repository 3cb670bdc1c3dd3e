"""The simulator's bodies judged by the published schemas vendored in tests/schemas/: chat
completions and every stream chunk, Responses stream events, the models list and error bodies, on
the v1 paths and the legacy dated ones, over real sockets.

The openai SDK's own clients build the URLs of the non-streamed calls (`OpenAI` for v1,
`AzureOpenAI` for the dated path) and `with_raw_response` hands back the bytes as sent; streams are
read as raw server-sent events, so every chunk is checked as it went over the wire, not as the SDK
parsed it. Each body is checked against OpenAI's schema and the Azure spec of its path (the v1 spec
for /openai/v1/, the 2024-10-21 spec for /openai/deployments/...). Observed Azure facts that
contradict a schema pass only through the helper's named deviations, and each test pins which.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from jsonschema import Draft202012Validator

from tests.conftest import KEY, sdk
from tests.schemas import DOCUMENTS, assert_valid, schema_names, stream_event_schema, validate

SCHEMAS = Path(__file__).parents[1] / "schemas"
DATED = "2024-10-21"
PING = [{"role": "user", "content": "ping"}]
CHAT_SCHEMAS = {
    "v1": ("openai/CreateChatCompletionResponse", "azure-v1/AzureCreateChatCompletionResponse"),
    "dated": ("openai/CreateChatCompletionResponse", "azure-2024-10-21/createChatCompletionResponse"),
}
CHUNK_SCHEMAS = {
    "v1": ("openai/CreateChatCompletionStreamResponse", "azure-v1/AzureCreateChatCompletionStreamResponse"),
    "dated": ("openai/CreateChatCompletionStreamResponse", "azure-2024-10-21/createChatCompletionStreamResponse"),
}
ERROR_SCHEMA = {"v1": "azure-v1/AzureErrorResponse", "dated": "azure-2024-10-21/errorResponse"}
# events that carry the whole response object; the item-level ones are checked on their own
LIFECYCLE_EVENTS = {"response.created", "response.in_progress", "response.completed"}


def chat_url(sim: SimulatorThread, path: str, deployment: str = "gpt-4o") -> str:
    root = sim.urls["eastus2"]
    if path == "v1":
        return f"{root}/openai/v1/chat/completions"
    return f"{root}/openai/deployments/{deployment}/chat/completions?api-version={DATED}"


def chat_body(path: str, **extra: Any) -> dict[str, Any]:
    """The v1 path names the deployment in `model`; the dated path names it in the URL."""
    return {"messages": PING, **({"model": "gpt-4o"} if path == "v1" else {}), **extra}


def raw_completion(sim: SimulatorThread, path: str) -> dict[str, Any]:
    """A chat completion's body as sent, through the SDK client a user of that path would use."""
    if path == "v1":
        client: openai.OpenAI = sdk(sim)
    else:
        client = openai.AzureOpenAI(azure_endpoint=sim.urls["eastus2"], api_key=KEY, api_version=DATED, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=PING)  # type: ignore[arg-type]
    expected_path = "/openai/v1/chat/completions" if path == "v1" else "/openai/deployments/gpt-4o/chat/completions"
    assert str(raw.http_request.url).split("?")[0].endswith(expected_path), raw.http_request.url
    return json.loads(raw.content)  # type: ignore[no-any-return]


def sse_data(url: str, body: dict[str, Any]) -> Iterator[Any]:
    """The JSON of every `data:` line of a server-sent event stream, up to `[DONE]` or the end."""
    with httpx.stream("POST", url, json=body, headers={"api-key": KEY}, timeout=10) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            yield json.loads(data)


def responses_events(sim: SimulatorThread, **body: Any) -> list[dict[str, Any]]:
    url = f"{sim.urls['eastus2']}/openai/v1/responses"
    return list(sse_data(url, {"model": "gpt-4o", "input": "hi", "stream": True, **body}))


# --- the vendored documents and the helper ---------------------------------------------------------


@pytest.mark.parametrize("document", DOCUMENTS)
def test_vendored_document_is_a_2020_12_schema_that_names_its_source(document: str) -> None:
    schema = json.loads((SCHEMAS / f"{document}.json").read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert re.search(
        r"from https://github\.com/\S+/blob/[0-9a-f]{40}/\S+ \(repository \S+, commit [0-9a-f]{40}\)",
        schema["$comment"],
    )
    targets = set(re.findall(r'"\$ref":\s*"#/\$defs/([^"]+)"', (SCHEMAS / f"{document}.json").read_text()))
    assert targets <= set(schema["$defs"]), f"dangling $refs: {sorted(targets - set(schema['$defs']))}"


def test_schema_names_list_every_root_the_tests_use_and_refuse_others() -> None:
    names = set(schema_names())
    used = {*CHAT_SCHEMAS["v1"], *CHAT_SCHEMAS["dated"], *CHUNK_SCHEMAS["v1"], *CHUNK_SCHEMAS["dated"]}
    assert used | set(ERROR_SCHEMA.values()) | {"openai/Response", "openai/ListModelsResponse"} <= names
    assert stream_event_schema("response.output_text.delta") == "openai/ResponseTextDeltaEvent"
    with pytest.raises(KeyError):
        assert_valid({}, "openai/NoSuchSchema")
    with pytest.raises(KeyError):
        stream_event_schema("response.no_such_event")


def test_a_broken_completion_is_reported_with_every_problem(sim: SimulatorThread) -> None:
    body = raw_completion(sim, "v1")
    assert_valid(body, "openai/CreateChatCompletionResponse")  # the real body passes...
    broken = copy.deepcopy(body)
    del broken["created"]
    broken["object"] = "chat.completions"
    broken["choices"][0]["finish_reason"] = "done"
    with pytest.raises(AssertionError) as failed:  # ...the broken one fails, with all three problems
        assert_valid(broken, "openai/CreateChatCompletionResponse", "the broken completion")
    report = str(failed.value)
    assert "the broken completion breaks openai/CreateChatCompletionResponse (3 problems)" in report
    assert "$: 'created' is a required property" in report
    assert "$.object: 'chat.completions' is not one of ['chat.completion']" in report
    assert "$.choices[0].finish_reason: 'done' is not one of" in report


def test_a_broken_item_is_reported_by_the_schema_of_its_type(sim: SimulatorThread) -> None:
    done = next(e for e in responses_events(sim) if e["type"] == "response.output_item.done")
    assert_valid(done, "openai/ResponseOutputItemDoneEvent")
    del done["item"]["role"]
    problems, _ = validate(done, "openai/ResponseOutputItemDoneEvent")
    # the item is a oneOf of many item types: the report names the branch its `type` chose
    assert [(p.path, p.message, p.rule) for p in problems] == [
        ("$.item", "'role' is a required property", "OutputMessage: required")
    ]
    problems, _ = validate({"type": "response.no_such_event", "sequence_number": 0}, "openai/ResponseStreamEvent")
    assert [(p.path, p.rule) for p in problems] == [("$", "ResponseStreamEvent: anyOf")]
    assert problems[0].message.startswith("'response.no_such_event' fits none of the")


def test_deviations_excuse_only_their_own_field_and_value(sim: SimulatorThread) -> None:
    chunks = list(sse_data(chat_url(sim, "v1"), chat_body("v1", stream=True)))
    content_chunk = copy.deepcopy(chunks[1])
    content_chunk["object"] = ""  # an empty object on a chunk with choices is not the annotation chunk
    problems, used = validate(content_chunk, "openai/CreateChatCompletionStreamResponse")
    assert [p.path for p in problems] == ["$.object"] and used == ()
    error = {"error": {"code": None, "message": None, "param": None, "type": "invalid_request_error"}}
    problems, used = validate(error, "azure-v1/AzureErrorResponse")
    assert [p.path for p in problems] == ["$.error.message"]  # a null message is no observed fact
    assert used == ("error-field-null", "error-type-named")
    not_an_error_body = {**error, "id": "resp_1"}  # a body that merely has an `error` field
    problems, used = validate(not_an_error_body, "azure-v1/AzureErrorResponse")
    assert len(problems) == 4 and used == ()


# --- chat completions --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["v1", "dated"])
def test_chat_completion_matches_the_published_schemas(sim: SimulatorThread, path: str) -> None:
    body = raw_completion(sim, path)
    for name in CHAT_SCHEMAS[path]:
        assert assert_valid(body, name, f"the {path} completion") == ()


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize("path", ["v1", "dated"])
def test_every_stream_chunk_matches_the_published_schemas(sim: SimulatorThread, path: str, include_usage: bool) -> None:
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    chunks = list(sse_data(chat_url(sim, path), chat_body(path, stream=True, **options)))
    assert len(chunks) > 3
    for i, chunk in enumerate(chunks):
        for name in CHUNK_SCHEMAS[path]:
            used = assert_valid(chunk, name, f"{path} chunk {i}")
            # only Azure's annotation-only first chunk needs a deviation, and only that one
            assert used == (("prompt-annotation-chunk",) if i == 0 else ()), (i, name, used)
    assert (chunks[-1]["choices"] == [] and chunks[-1]["usage"] is not None) is include_usage


# --- Responses ---------------------------------------------------------------------------------------


def test_responses_stream_item_events_match_their_event_schemas(sim: SimulatorThread) -> None:
    events = responses_events(sim)
    seen = set()
    for event in events:
        if event["type"] in LIFECYCLE_EVENTS:
            continue
        seen.add(event["type"])
        assert_valid(event, "openai/ResponseStreamEvent", event["type"])
        assert_valid(event, stream_event_schema(event["type"]), event["type"])
    assert {
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
    } <= seen
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


# --- models and errors -------------------------------------------------------------------------------


def test_models_list_matches_the_published_schemas(sim: SimulatorThread) -> None:
    raw = sdk(sim).models.with_raw_response.list()
    body = json.loads(raw.content)
    assert_valid(body, "openai/ListModelsResponse", "the v1 model list")
    assert body["data"], "the list is empty"
    for model in body["data"]:
        assert_valid(model, "openai/Model", model["id"])


@pytest.mark.parametrize("path", ["v1", "dated"])
def test_error_bodies_match_azures_error_schema(sim: SimulatorThread, path: str) -> None:
    headers = {"api-key": KEY, "content-type": "application/json"}
    bad_json = httpx.post(chat_url(sim, path), content=b"{not json", headers=headers)
    unknown = httpx.post(chat_url(sim, path, "no-such"), json=chat_body(path, model="no-such"), headers=headers)
    answers = [bad_json, unknown]
    if path == "v1":
        answers.append(
            httpx.post(
                f"{sim.urls['eastus2']}/openai/v1/responses",
                json={"model": "gpt-4o", "input": "hi", "previous_response_id": "resp_gone"},
                headers=headers,
            )
        )
    assert [a.status_code for a in answers] == [400, 404, 400][: len(answers)]
    for answer in answers:
        used = assert_valid(answer.json(), ERROR_SCHEMA[path], f"the {answer.status_code} body {answer.text}")
        assert set(used) <= {"error-field-null", "error-type-named"}


@pytest.mark.parametrize("path", ["v1", "dated"])
def test_prompt_filter_results_carry_every_category_the_v1_schema_requires(sim: SimulatorThread, path: str) -> None:
    first_chunk = next(iter(sse_data(chat_url(sim, path), chat_body(path, stream=True))))
    for body in (raw_completion(sim, path), first_chunk):
        assert body["prompt_filter_results"]
        for item in body["prompt_filter_results"]:
            assert_valid(item, "azure-v1/AzureContentFilterResultForPrompt", f"a {path} prompt filter result")


def test_every_listed_model_can_be_retrieved_as_a_model(sim: SimulatorThread) -> None:
    client = sdk(sim)
    ids = [m.id for m in client.models.list()]
    assert ids
    for model_id in ids:
        raw = client.models.with_raw_response.retrieve(model_id)
        body = json.loads(raw.content)
        assert_valid(body, "openai/Model", model_id)
        assert body["id"] == model_id


def test_dated_models_list_matches_azures_model_list(sim: SimulatorThread) -> None:
    answer = httpx.get(f"{sim.urls['eastus2']}/openai/models", params={"api-version": DATED}, headers={"api-key": KEY})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert_valid(body, "azure-authoring-2024-10-21/ModelList", "the dated model list")
    assert body["object"] == "list" and body["data"]
    for model in body["data"]:  # ModelList does not require its items' fields: each Model does
        assert_valid(model, "azure-authoring-2024-10-21/Model", model.get("id", "a model"))


def test_responses_create_and_get_match_the_response_schema(sim: SimulatorThread) -> None:
    raw = sdk(sim).responses.with_raw_response.create(model="gpt-4o", input="hi")
    created = json.loads(raw.content)
    assert_valid(created, "openai/Response", "the created response")
    raw = sdk(sim).responses.with_raw_response.retrieve(created["id"])
    assert_valid(json.loads(raw.content), "openai/Response", "the retrieved response")


def test_responses_stream_lifecycle_events_carry_a_valid_response(sim: SimulatorThread) -> None:
    events = [e for e in responses_events(sim) if e["type"] in LIFECYCLE_EVENTS]
    assert [e["type"] for e in events] == ["response.created", "response.in_progress", "response.completed"]
    for event in events:
        assert_valid(event, "openai/ResponseStreamEvent", event["type"])
        assert_valid(event, stream_event_schema(event["type"]), event["type"])


def test_dated_responses_path_matches_the_response_schemas(sim: SimulatorThread) -> None:
    preview = "2025-04-01-preview"
    client = openai.AzureOpenAI(azure_endpoint=sim.urls["eastus2"], api_key=KEY, api_version=preview, max_retries=0)
    raw = client.responses.with_raw_response.create(model="gpt-4o", input="hi")
    assert str(raw.http_request.url).split("?")[0].endswith("/openai/responses"), raw.http_request.url
    created = json.loads(raw.content)
    assert_valid(created, "openai/Response", "the dated created response")
    assert_valid(json.loads(client.responses.with_raw_response.retrieve(created["id"]).content), "openai/Response")
    url = f"{sim.urls['eastus2']}/openai/responses?api-version={preview}"
    events = list(sse_data(url, {"model": "gpt-4o", "input": "hi", "stream": True}))
    assert events[-1]["type"] == "response.completed"
    for event in events:
        assert_valid(event, stream_event_schema(event["type"]), f"dated {event['type']}")


WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}


def test_responses_function_call_events_match_their_event_schemas(sim: SimulatorThread) -> None:
    tools = [{"type": "function", "name": "get_weather", "parameters": WEATHER, "strict": True}]
    events = responses_events(sim, input="weather in Paris?", tools=tools, tool_choice="required")
    for event in events:
        assert_valid(event, "openai/ResponseStreamEvent", event["type"])
        assert_valid(event, stream_event_schema(event["type"]), event["type"])
    types = [e["type"] for e in events]
    for expected in (
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ):
        assert expected in types, f"no {expected} in {types}"
    added = next(e for e in events if e["type"] == "response.output_item.added")
    assert added["item"]["type"] == "function_call"
    assert events[-1]["response"]["output"][0]["type"] == "function_call"


@pytest.mark.parametrize("path", ["v1", "dated"])
def test_tool_call_completion_and_chunks_match_the_published_schemas(sim: SimulatorThread, path: str) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
    request = chat_body(path, tools=tools, tool_choice="required")
    answer = httpx.post(chat_url(sim, path), json=request, headers={"api-key": KEY})
    body = answer.json()
    for name in CHAT_SCHEMAS[path]:
        assert_valid(body, name, f"the {path} tool-call completion")
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    chunks = list(sse_data(chat_url(sim, path), {**request, "stream": True}))
    for i, chunk in enumerate(chunks):
        for name in CHUNK_SCHEMAS[path]:
            assert_valid(chunk, name, f"{path} tool-call chunk {i}")
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert any(d.get("tool_calls") for d in deltas)
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
