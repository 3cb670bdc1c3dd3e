"""The content_filter fault from the client side, over real sockets with the real openai SDK: the
prompt side's 400 on both URL styles and for Responses, through the chaos proxy too; the
completion side's effect and the proxy's refusal of it; the failover client and the probes
treating a filtered prompt as the caller's problem (the probes: tests/probes/test_kinds.py); and the
filter annotations every answer carries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from aoai_watch.chaos.faults import REGISTRY, Effects, FaultParamError, RequestContext
from aoai_watch.chaos.proxy import ProxyApp
from aoai_watch.chaos.simulator import RegionSpec, SimulatorThread, filters
from aoai_watch.failover.outcomes import Outcome

from tests.chaos.test_control import call
from tests.conftest import KEY, chat, sdk
from tests.failover.helpers import Recorder, ask, make

CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def prompt_filter(sim: SimulatorThread, category: str, severity: str | None = None, region: str = "eastus2") -> None:
    params = {"on": "prompt", "category": category, **({"severity": severity} if severity else {})}
    sim.add_fault("content_filter", region, params)


def assert_only_flagged(results: dict[str, Any], category: str, severity: str) -> None:
    """The flagged category filtered at `severity`; every other category present and not filtered."""
    assert set(results) == set(CATEGORIES) | {"jailbreak", "indirect_attack"}
    for name, result in results.items():
        if name == category:
            assert result == (
                {"filtered": True, "detected": True}
                if name == "jailbreak"
                else {"filtered": True, "severity": severity}
            )
        elif name in CATEGORIES:
            assert result == {"filtered": False, "severity": "safe"}
        else:
            assert result == {"filtered": False, "detected": False}


@pytest.mark.parametrize("category, severity", [("violence", "high"), ("self_harm", None), ("hate", "low")])
def test_prompt_filter_on_the_v1_path(sim: SimulatorThread, category: str, severity: str | None) -> None:
    prompt_filter(sim, category, severity)
    with pytest.raises(openai.BadRequestError) as err:
        chat(sdk(sim))
    error = err.value
    assert error.code == "content_filter" and error.param == "prompt" and error.status_code == 400
    body = error.response.json()["error"]
    assert body["type"] is None and body["status"] == 400
    assert body["message"].startswith("The response was filtered due to the prompt triggering Azure OpenAI's")
    assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert_only_flagged(body["innererror"]["content_filter_result"], category, severity or "medium")
    assert chat(sdk(sim, "swedencentral")).choices  # the other region is untouched


def test_prompt_filter_on_the_dated_path_streamed_or_not(sim: SimulatorThread) -> None:
    prompt_filter(sim, "sexual")
    azure = openai.AzureOpenAI(azure_endpoint=sim.urls["eastus2"], api_key=KEY, api_version="2024-10-21", max_retries=0)
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as err:
            azure.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=stream)
        assert err.value.code == "content_filter"
        inner = err.value.response.json()["error"]["innererror"]
        assert_only_flagged(inner["content_filter_result"], "sexual", "medium")


def test_jailbreak_is_a_detection_not_a_severity(sim: SimulatorThread) -> None:
    prompt_filter(sim, "jailbreak")
    with pytest.raises(openai.BadRequestError) as err:
        chat(sdk(sim))
    assert_only_flagged(err.value.response.json()["error"]["innererror"]["content_filter_result"], "jailbreak", "")


def test_prompt_filter_on_responses_has_azures_responses_shape(sim: SimulatorThread) -> None:
    prompt_filter(sim, "hate", "high")
    with pytest.raises(openai.BadRequestError) as err:
        sdk(sim).responses.create(model="gpt-4o", input="tell me something", instructions="be brief")
    error = err.value
    assert error.code == "content_filter" and error.param == "prompt" and error.type == "invalid_request_error"
    body = error.response.json()["error"]
    assert body["message"].startswith("The response was filtered due to the prompt triggering Azure OpenAI\u2019s")
    assert body["innererror"] == {"code": "ContentFiltered"}
    (entry,) = body["content_filters"]
    assert entry["blocked"] is True and entry["source_type"] == "prompt" and entry["content_filter_raw"] == []
    assert entry["content_filter_offsets"] == {"start_offset": 0, "end_offset": 25, "check_offset": 0}
    assert_only_flagged(entry["content_filter_results"], "hate", "high")


def test_requests_without_a_prompt_pass_and_credentials_are_checked_first(sim: SimulatorThread) -> None:
    prompt_filter(sim, "violence")
    client = sdk(sim)
    assert [m.id for m in client.models.list()]
    assert client.embeddings.create(model="text-embedding-3-small", input="x").data
    with pytest.raises(openai.AuthenticationError):  # Azure filters after the key check
        chat(sdk(sim, api_key="wrong"))
    with pytest.raises(openai.NotFoundError):  # a stored response that is not there: not a prompt
        client.responses.retrieve("resp_missing")


def test_the_completion_side_sets_the_effect_the_handlers_honour() -> None:
    fault = REGISTRY["content_filter"]({"on": "completion", "category": "violence", "severity": "high"})

    async def sleep(_: float) -> None:
        return None

    for path in ("/openai/v1/chat/completions", "/openai/v1/responses"):
        ctx = RequestContext("eastus2", "gpt-4o", "gpt-4o", path, "rid", 0.0, sleep, effects=Effects())
        assert asyncio.run(fault.intercept(ctx, None)) is None  # type: ignore[arg-type]
        assert ctx.effects.completion_filter == ("violence", "high")
    assert fault.needs_simulator() and "chaos proxy" in (fault.needs_simulator() or "")


def test_the_completion_side_is_put_in_force_by_the_control_api(sim: SimulatorThread) -> None:
    body = {"kind": "content_filter", "region": "eastus2", "params": {"on": "completion", "category": "sexual"}}
    status, created = call(sim, "POST", "/faults", body)
    assert status == 201 and created["params"] == body["params"]


@pytest.mark.parametrize(
    "params, phrase",
    [
        ({"category": "hate"}, "params.on is required, one of prompt, completion; missing"),
        ({"on": "prompt"}, "params.category is required, one of hate, self_harm, sexual, violence, jailbreak"),
        ({"on": "output", "category": "hate"}, "params.on is required, one of prompt, completion; got 'output'"),
        ({"on": "prompt", "category": "weapons"}, "got 'weapons'"),
        ({"on": "prompt", "category": "hate", "severity": "extreme"}, "params.severity must be one of low, medium"),
        ({"on": "completion", "category": "jailbreak"}, 'only applies with on = "prompt"'),
        ({"on": "prompt", "category": "jailbreak", "severity": "high"}, "severity does not apply to jailbreak"),
        ({"on": "prompt", "category": "hate", "categry": "x"}, "unknown params categry"),
    ],
)
def test_bad_params_are_refused_with_the_fix(sim: SimulatorThread, params: dict[str, Any], phrase: str) -> None:
    with pytest.raises(FaultParamError, match="content_filter") as err:
        sim.add_fault("content_filter", "eastus2", params)
    assert phrase in str(err.value)
    status, reply = call(sim, "POST", "/faults", {"kind": "content_filter", "region": "eastus2", "params": params})
    assert status == 400 and phrase in reply["error"]["message"]


def test_the_catalogue_lists_it(sim: SimulatorThread) -> None:
    kinds = call(sim, "GET", "/kinds")[1]["kinds"]
    assert "content_filter" in kinds and "jailbreak" in kinds["content_filter"] and "prompt" in kinds["content_filter"]


@pytest.fixture
def proxy(sim: SimulatorThread) -> Iterator[SimulatorThread]:
    upstream = sim.urls["eastus2"]
    with SimulatorThread(
        [RegionSpec(name="staging", deployments=())], app_factory=lambda state: ProxyApp(state, upstream)
    ) as running:
        yield running


def test_the_proxy_answers_a_filtered_prompt_before_forwarding(sim: SimulatorThread, proxy: SimulatorThread) -> None:
    prompt_filter(proxy, "self_harm", "high", region="staging")
    before = len(sim.simulator.regions["eastus2"].log)
    with pytest.raises(openai.BadRequestError) as err:
        chat(sdk(proxy, "staging"))
    assert err.value.code == "content_filter"
    assert_only_flagged(err.value.body["innererror"]["content_filter_result"], "self_harm", "high")  # type: ignore[index]
    # the dated Responses path of AzureOpenAI(api_version="2025-04-01-preview"): POST /openai/responses
    azure = openai.AzureOpenAI(
        azure_endpoint=proxy.urls["staging"], api_key=KEY, api_version="2025-04-01-preview", max_retries=0
    )
    with pytest.raises(openai.BadRequestError) as err:
        azure.responses.create(model="gpt-4o", input="x")
    assert err.value.code == "content_filter" and err.value.body["innererror"] == {"code": "ContentFiltered"}  # type: ignore[index]
    assert len(sim.simulator.regions["eastus2"].log) == before  # nothing reached the upstream
    assert [m.id for m in sdk(proxy, "staging").models.list()]  # what carries no prompt is forwarded


def test_the_proxy_refuses_the_completion_side_with_a_reason(proxy: SimulatorThread) -> None:
    params = {"on": "completion", "category": "hate"}
    with pytest.raises(FaultParamError, match=r"region staging is a chaos proxy: .*needs the simulator"):
        proxy.add_fault("content_filter", "staging", params)
    body = {"kind": "content_filter", "region": "staging", "params": params}
    for path in ("/faults", "/faults/check"):
        status, reply = call(proxy, "POST", path, body)
        assert status == 400 and 'use on = "prompt"' in reply["error"]["message"]
    assert call(proxy, "GET", "/faults")[1] == {"faults": []}
    assert call(proxy, "POST", "/faults", {**body, "params": {"on": "prompt", "category": "hate"}})[0] == 201


def test_the_failover_client_raises_a_filtered_prompt_at_once(sim: SimulatorThread) -> None:
    prompt_filter(sim, "violence")
    rec = Recorder()
    with pytest.raises(openai.BadRequestError) as err:
        ask(make(sim, rec))
    assert err.value.code == "content_filter"
    assert rec.path() == [("eastus2", Outcome.CONTENT_FILTER, "raise")]  # no other region tried: it would refuse too


def test_every_answer_carries_the_categories_azure_sends() -> None:
    (prompt,) = filters.SAFE_PROMPT
    assert prompt["prompt_index"] == 0
    assert list(prompt["content_filter_results"]) == [
        "hate",
        "indirect_attack",
        "jailbreak",
        "self_harm",
        "sexual",
        "violence",
    ]
    assert filters.SAFE_COMPLETION == {
        "hate": {"filtered": False, "severity": "safe"},
        "protected_material_code": {"filtered": False, "detected": False},
        "protected_material_text": {"filtered": False, "detected": False},
        "self_harm": {"filtered": False, "severity": "safe"},
        "sexual": {"filtered": False, "severity": "safe"},
        "violence": {"filtered": False, "severity": "safe"},
    }
    flagged = filters.completion_results(("sexual", "medium"))
    assert flagged["sexual"] == {"filtered": True, "severity": "medium"} and flagged["hate"]["filtered"] is False
    prompt_entry, completion_entry = filters.responses_content_filters(12, 5, ("violence", "low"))
    assert (prompt_entry["source_type"], prompt_entry["blocked"]) == ("prompt", False)
    assert (completion_entry["source_type"], completion_entry["blocked"]) == ("completion", True)
    assert completion_entry["content_filter_results"]["violence"] == {"filtered": True, "severity": "low"}
    assert (
        completion_entry["content_filter_raw"] is None and completion_entry["content_filter_offsets"]["end_offset"] == 5
    )
