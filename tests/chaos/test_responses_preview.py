"""The dated preview Responses paths, as the real `AzureOpenAI(azure_endpoint=...,
api_version="2025-04-01-preview")` builds them: which URLs it sends (measured here with a request
hook on the SDK's own HTTP client), create / retrieve / delete / cancel on them, `api-version`
required as on every dated path, and the state_loss fault acting on them as on the v1 paths."""

from __future__ import annotations

import httpx2
import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.chaos.responses_clients import PREVIEW_API_VERSION, client
from tests.conftest import KEY


def test_azure_openai_builds_the_dated_preview_urls_and_they_serve_the_whole_lifecycle(sim: SimulatorThread) -> None:
    sent: list[tuple[str, str]] = []
    http = httpx2.Client(
        event_hooks={"request": [lambda r: sent.append((r.method, r.url.path + "?" + r.url.query.decode()))]}
    )
    sdk = openai.AzureOpenAI(
        azure_endpoint=sim.urls["eastus2"],
        api_version=PREVIEW_API_VERSION,
        api_key=KEY,
        max_retries=0,
        http_client=http,
    )
    created = sdk.responses.create(model="gpt-4o", input="remember 42")
    assert created.status == "completed" and created.output_text
    assert sdk.responses.retrieve(created.id).output_text == created.output_text
    follow = sdk.responses.create(model="gpt-4o", input="which number?", previous_response_id=created.id)
    assert follow.previous_response_id == created.id
    with pytest.raises(openai.BadRequestError):  # a response not made in the background cannot be cancelled
        sdk.responses.cancel(created.id)
    deleted = sdk.responses.with_raw_response.delete(created.id).http_response.json()
    assert deleted == {"id": created.id, "object": "response.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(created.id)
    query = f"api-version={PREVIEW_API_VERSION}"
    assert sent == [
        ("POST", f"/openai/responses?{query}"),
        ("GET", f"/openai/responses/{created.id}?{query}"),
        ("POST", f"/openai/responses?{query}"),
        ("POST", f"/openai/responses/{created.id}/cancel?{query}"),
        ("DELETE", f"/openai/responses/{created.id}?{query}"),
        ("GET", f"/openai/responses/{created.id}?{query}"),
    ]


def test_a_stored_response_is_the_same_on_both_path_styles(sim: SimulatorThread) -> None:
    made = client(sim, "preview").responses.create(model="gpt-4o", input="hi")
    assert client(sim, "v1").responses.retrieve(made.id).id == made.id
    client(sim, "v1").responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        client(sim, "preview").responses.retrieve(made.id)


def test_the_preview_paths_need_an_api_version_like_every_dated_path(sim: SimulatorThread) -> None:
    with httpx2.Client(base_url=sim.urls["eastus2"], headers={"api-key": KEY}) as http:
        missing = http.post("/openai/responses", json={"model": "gpt-4o", "input": "hi"})
        assert missing.status_code == 404 and missing.json() == {
            "error": {"code": "404", "message": "Resource not found"}
        }
        assert http.get("/openai/responses/resp_x").status_code == 404
        found = http.post(
            f"/openai/responses?api-version={PREVIEW_API_VERSION}", json={"model": "gpt-4o", "input": "hi"}
        )
        assert found.status_code == 200 and found.json()["object"] == "response"
        assert http.post("/openai/v1/responses", json={"model": "gpt-4o", "input": "hi"}).status_code == 200


def test_state_loss_hides_stored_responses_on_the_preview_paths_too(sim: SimulatorThread) -> None:
    sdk = client(sim, "preview")
    parent = sdk.responses.create(model="gpt-4o", input="keep this")
    fault = sim.add_fault("state_loss", "eastus2")
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="gpt-4o", input="more", previous_response_id=parent.id)
    assert err.value.code == "previous_response_not_found"
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(parent.id)
    sim.clear_fault(fault.id)
    assert sdk.responses.retrieve(parent.id).id == parent.id
