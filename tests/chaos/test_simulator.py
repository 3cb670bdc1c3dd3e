"""The real openai SDK against the simulator over real sockets: every path, both auth styles,
Azure's headers, streaming shape, Responses chaining, embeddings, realtime."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from array import array

import openai
import pytest
from aoai_watch.chaos import wire
from aoai_watch.chaos.simulator import SimulatorThread, default_region, mint_token
from aoai_watch.chaos.simulator.model import RegionSpec

from tests.conftest import KEY, chat, sdk


def test_chat_completion_reports_model_version_usage_and_azure_headers(sim: SimulatorThread) -> None:
    raw = sdk(sim).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "ping"}], max_tokens=5
    )
    completion = raw.parse()
    assert completion.model == "gpt-4o-2024-08-06"  # the model and version, not the deployment
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 5
    assert len(completion.choices[0].message.content.split()) == 5
    headers = raw.headers
    assert headers["apim-request-id"] == headers["x-request-id"]
    assert headers["x-ms-region"] == "East US 2"
    assert headers["x-ms-deployment-name"] == "gpt-4o"
    assert headers["azureml-model-session"]
    assert int(headers["x-ratelimit-remaining-requests"]) == 899
    assert int(headers["x-ratelimit-remaining-tokens"]) < 150_000


def test_other_region_has_its_own_display_name_and_port(sim: SimulatorThread) -> None:
    assert sim.urls["eastus2"] != sim.urls["swedencentral"]
    raw = sdk(sim, "swedencentral").chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert raw.headers["x-ms-region"] == "Sweden Central"
    assert raw.parse().model == "gpt-4o-mini-2024-07-18"


def test_streaming_follows_azures_chunk_sequence_with_usage(sim: SimulatorThread) -> None:
    chunks = list(chat(sdk(sim), stream=True, stream_options={"include_usage": True}))
    first = chunks[0]
    assert first.id == "" and first.choices == [] and first.model == ""  # annotation-only chunk
    assert first.model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    assert chunks[1].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks[2:] if c.choices and c.choices[0].delta.content]
    assert len(content) == 12
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and finish[0].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12


def test_stream_without_include_usage_has_no_usage_chunk(sim: SimulatorThread) -> None:
    chunks = list(chat(sdk(sim), stream=True))
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_async_client_concurrent_calls(sim: SimulatorThread) -> None:
    async def run() -> list[str]:
        client = openai.AsyncOpenAI(base_url=sim.base_url("swedencentral"), api_key=KEY, max_retries=0)
        results = await asyncio.gather(
            *[
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"n{i}"}])
                for i in range(8)
            ]
        )
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "s"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        last = None
        async for chunk in stream:
            last = chunk
        assert last is not None and last.usage is not None
        await client.close()
        return [r.id for r in results]

    ids = asyncio.run(run())
    assert len(set(ids)) == 8


def test_responses_chain_get_delete_and_lost_parent(sim: SimulatorThread) -> None:
    client = sdk(sim)
    first = client.responses.create(model="gpt-4o", input="remember 42")
    assert first.id.startswith("resp_") and first.model == "gpt-4o-2024-08-06" and first.output_text
    second = client.responses.create(model="gpt-4o", input="what number?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert second.usage.input_tokens > first.usage.input_tokens  # the chain is billed as input
    assert client.responses.retrieve(first.id).id == first.id
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="gpt-4o", input="again", previous_response_id=first.id)
    assert err.value.code == "previous_response_not_found"
    assert err.value.body["message"] == f"Previous response with id '{first.id}' not found."
    assert err.value.body["param"] == "previous_response_id"


def test_stored_state_stays_in_its_region(sim: SimulatorThread) -> None:
    parent = sdk(sim, "eastus2").responses.create(model="gpt-4o", input="hi")
    with pytest.raises(openai.BadRequestError) as err:
        sdk(sim, "swedencentral").responses.create(model="gpt-4o", input="go on", previous_response_id=parent.id)
    assert err.value.code == "previous_response_not_found"


def test_embeddings_base64_default_and_float(sim: SimulatorThread) -> None:
    client = sdk(sim)
    result = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    assert [len(d.embedding) for d in result.data] == [1536, 1536]
    norm = sum(v * v for v in result.data[0].embedding)
    assert abs(norm - 1.0) < 1e-3
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="alpha", encoding_format="float", dimensions=8
    )
    assert len(raw.parse().data[0].embedding) == 8
    again = client.embeddings.create(
        model="text-embedding-3-small", input="alpha", dimensions=8, encoding_format="base64"
    )
    decoded = (
        array("f", base64.b64decode(again.data[0].embedding))
        if isinstance(again.data[0].embedding, str)
        else again.data[0].embedding
    )
    assert [round(x, 5) for x in decoded] == [round(x, 5) for x in raw.parse().data[0].embedding]


def test_models_list(sim: SimulatorThread) -> None:
    ids = [m.id for m in sdk(sim).models.list()]
    assert ids == ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"]


def test_legacy_deployment_path_with_azure_client(sim: SimulatorThread) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=sim.urls["eastus2"], api_key=KEY, api_version="2024-10-21", max_retries=0
    )
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert completion.model == "gpt-4o-mini-2024-07-18"
    vectors = client.embeddings.create(model="text-embedding-3-small", input="x")
    assert len(vectors.data[0].embedding) == 1536


def test_api_key_header_accepted_and_wrong_key_gets_azures_401(sim: SimulatorThread) -> None:
    header_client = openai.OpenAI(
        base_url=sim.base_url("eastus2"),
        api_key="unused",
        max_retries=0,
        default_headers={"api-key": KEY, "Authorization": ""},
    )
    assert chat(header_client).choices
    with pytest.raises(openai.AuthenticationError) as err:
        chat(sdk(sim, api_key="wrong-key"))
    assert err.value.status_code == 401
    assert err.value.body["code"] == "401"
    assert err.value.body["message"].startswith("Access denied due to invalid subscription key")


def test_unknown_deployment_is_deployment_not_found(sim: SimulatorThread) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        chat(sdk(sim), model="gpt-5-nonexistent")
    assert err.value.code == "DeploymentNotFound"


def test_embedding_deployment_refuses_chat(sim: SimulatorThread) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        chat(sdk(sim), model="text-embedding-3-small")
    assert err.value.code == "OperationNotSupported"


@pytest.fixture(scope="module")
def entra_sim():  # type: ignore[no-untyped-def]
    base = default_region("westus3", None, latency_scale=0)
    spec = RegionSpec(name=base.name, deployments=base.deployments, auth="entra", latency=base.latency)
    with SimulatorThread([spec], seed=1) as sim:
        yield sim


def test_entra_region_takes_a_token_callable_and_rejects_bad_tokens(entra_sim: SimulatorThread) -> None:
    calls = []

    def token() -> str:
        calls.append(1)
        return mint_token()

    client = openai.OpenAI(base_url=entra_sim.base_url("westus3"), api_key=token, max_retries=0)
    assert chat(client).choices and calls
    for bad in (mint_token(expires_in_s=-60), mint_token(aud="https://management.azure.com"), "not-a-jwt", KEY):
        with pytest.raises(openai.AuthenticationError) as err:
            chat(openai.OpenAI(base_url=entra_sim.base_url("westus3"), api_key=bad, max_retries=0))
        body = err.value.response.json()
        assert body["statusCode"] == 401 and "audience is incorrect" in body["message"]
        assert "error" not in body  # Azure's token 401 has no error wrapper


def _nested_jwt(depth: int) -> str:
    """A JWT-shaped token whose payload is JSON arrays nested `depth` deep."""
    payload = base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln"


def test_entra_region_answers_a_deeply_nested_token_with_the_token_401(entra_sim: SimulatorThread) -> None:
    with pytest.raises(openai.AuthenticationError) as err:  # not a 500 with a RecursionError
        chat(openai.OpenAI(base_url=entra_sim.base_url("westus3"), api_key=_nested_jwt(5000), max_retries=0))
    assert err.value.response.json() == wire.INVALID_TOKEN
    assert chat(openai.OpenAI(base_url=entra_sim.base_url("westus3"), api_key=mint_token(), max_retries=0)).choices


def test_realtime_ga_session_and_text_response(sim: SimulatorThread) -> None:
    with sdk(sim).realtime.connect(model="gpt-4o") as conn:
        created = conn.recv()
        # the model and version behind the deployment, as chat's `model` reports it; not the deployment name
        assert created.type == "session.created" and created.session.model == "gpt-4o-2024-08-06"
        conn.session.update(session={"type": "realtime", "instructions": "be brief"})
        assert conn.recv().type == "session.updated"
        conn.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}
        )
        conn.response.create()
        kinds, text = [], ""
        while True:
            event = conn.recv()
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                text += event.delta
            if event.type == "response.done":
                break
        assert "conversation.item.added" in kinds
        assert kinds.count("response.output_text.delta") == 12
        assert text.endswith(".")


def _ws_handshake(url: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            *[f"{k}: {v}" for k, v in headers.items()],
        ]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        length = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
        while length and len(body) < length[0]:
            body += s.recv(65536)
        return status, body


def test_realtime_refuses_upgrade_with_azure_bodies(sim: SimulatorThread) -> None:
    status, body = _ws_handshake(sim.urls["eastus2"], "/openai/v1/realtime?model=gpt-4o", {"api-key": "wrong"})
    assert status == 401 and json.loads(body)["error"]["code"] == "401"
    status, body = _ws_handshake(sim.urls["eastus2"], "/openai/v1/realtime?model=nope", {"api-key": KEY})
    assert status == 404 and json.loads(body)["error"]["code"] == "DeploymentNotFound"
    status, _ = _ws_handshake(sim.urls["eastus2"], "/openai/v1/realtime?model=gpt-4o", {"api-key": KEY})
    assert status == 101


def test_realtime_preview_path_uses_beta_event_names(sim: SimulatorThread) -> None:
    from websockets.sync.client import connect

    url = (
        sim.urls["eastus2"].replace("http://", "ws://")
        + f"/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o&api-key={KEY}"
    )
    with connect(url, additional_headers={"OpenAI-Beta": "realtime=v1"}) as ws:
        assert json.loads(ws.recv())["type"] == "session.created"
        ws.send(json.dumps({"type": "response.create"}))
        kinds = []
        while not kinds or kinds[-1] != "response.done":
            kinds.append(json.loads(ws.recv())["type"])
        assert "response.text.delta" in kinds and "response.output_text.delta" not in kinds
        ws.send("{not json")
        error = json.loads(ws.recv())
        assert error["type"] == "error" and error["error"]["code"] == "invalid_json"


def test_a_handler_bug_becomes_azures_500_and_the_region_keeps_serving(
    sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aoai_watch.chaos.simulator import simulator

    async def broken(call: object) -> None:
        raise KeyError("simulated bug")

    monkeypatch.setitem(simulator.HANDLERS, "models", broken)
    with pytest.raises(openai.InternalServerError) as err:
        sdk(sim).models.list()
    assert err.value.body["type"] == "server_error"
    assert err.value.response.headers["apim-request-id"] in err.value.body["message"]
    assert chat(sdk(sim)).choices


def test_same_seed_same_answers() -> None:
    def run() -> list[str]:
        with SimulatorThread([default_region("eastus2", KEY, latency_scale=0)], seed=99) as sim:
            client = sdk(sim)
            return [c.id + c.choices[0].message.content for c in (chat(client) for _ in range(3))]

    first = run()
    assert first == run()
    assert len(set(first)) == 3


def test_streamed_response_event_sequence_and_storage(sim: SimulatorThread) -> None:
    client = sdk(sim)
    events = list(client.responses.create(model="gpt-4o", input="hi", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds.count("response.output_text.delta") == 12
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    completed = events[-1].response
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert completed.output_text == text
    assert client.responses.retrieve(completed.id).output_text == text  # stored once completed
