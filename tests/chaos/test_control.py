"""The control API over HTTP: set, list, clear (idempotently), reset, and clear 400s for bad input."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.conftest import chat, sdk


def call(sim: SimulatorThread, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(
        sim.control_url + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, strict_json(response.read())
    except urllib.error.HTTPError as err:
        return err.code, strict_json(err.read())


def strict_json(raw: bytes) -> Any:
    """Standard JSON only: NaN and Infinity are Python's extension, which other parsers refuse."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"the control API answered non-standard JSON ({constant})")

    return json.loads(raw, parse_constant=refuse)


def test_set_list_clear_cycle(sim: SimulatorThread) -> None:
    status, created = call(
        sim, "POST", "/faults", {"kind": "http_error", "region": "eastus2", "params": {"status": 503}, "duration_s": 60}
    )
    assert status == 201 and created["id"]
    with pytest.raises(openai.InternalServerError):
        chat(sdk(sim))
    status, listed = call(sim, "GET", "/faults")
    (fault,) = listed["faults"]
    assert fault["id"] == created["id"] and fault["kind"] == "http_error" and fault["hits"] == 1
    assert 0 < fault["remaining_s"] <= 60 and fault["params"] == {"status": 503}
    assert call(sim, "DELETE", f"/faults/{created['id']}") == (200, {"id": created["id"], "cleared": True})
    assert call(sim, "DELETE", f"/faults/{created['id']}") == (200, {"id": created["id"], "cleared": False})
    assert call(sim, "GET", "/faults")[1] == {"faults": []}
    assert chat(sdk(sim)).choices


def test_reset_clears_faults_responses_and_quota(sim: SimulatorThread) -> None:
    client = sdk(sim)
    stored = client.responses.create(model="gpt-4o", input="keep me")
    call(sim, "POST", "/faults", {"kind": "latency", "region": "swedencentral", "params": {"ms": 1}})
    call(sim, "POST", "/faults", {"kind": "refuse", "region": "eastus2"})
    with pytest.raises(openai.APIConnectionError):
        chat(client)
    assert call(sim, "POST", "/reset") == (200, {"reset": True})
    assert call(sim, "GET", "/faults")[1] == {"faults": []}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(stored.id)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert raw.headers["x-ratelimit-remaining-requests"] == "899"  # counters restarted


@pytest.mark.parametrize(
    "body, phrase",
    [
        ({"kind": "meteor", "region": "eastus2"}, "known kinds: black_hole"),
        ({"kind": "http_error", "region": "mars"}, "regions: eastus2, swedencentral"),
        ({"kind": "http_error", "region": "eastus2", "deployment": "nope"}, "deployments: gpt-4o"),
        ({"kind": "http_error", "region": "eastus2", "params": {"status": 200}}, "between 400 and 599"),
        ({"kind": "http_error", "region": "eastus2", "params": {"stauts": 500}}, "unknown params stauts"),
        ({"kind": "latency", "region": "eastus2"}, "params.ms is required"),
        ({"kind": "rate_limit", "region": "eastus2", "params": {"flavour": "x"}}, "one of tokens, requests"),
        ({"kind": "reset", "region": "eastus2", "probability": 1.5}, "probability must be"),
        ({"kind": "reset", "region": "eastus2", "duration_s": -1}, "duration_s must be"),
        ({"kind": "refuse", "region": "eastus2", "deployment": "gpt-4o"}, "whole region"),
        ({"kind": "reset", "region": "eastus2", "when": "now"}, "unknown fields when"),
        ({"region": "eastus2"}, "kind is required"),
        (b'{"kind": "reset", "region": "eastus2", "duration_s": NaN}', "duration_s must be"),
        (b'{"kind": "reset", "region": "eastus2", "duration_s": Infinity}', "duration_s must be"),
        (b'{"kind": "reset", "region": "eastus2", "duration_s": 1e999}', "duration_s must be"),
        (b'{"kind": "reset", "region": "eastus2", "probability": NaN}', "probability must be"),
        (b'{"kind": "latency", "region": "eastus2", "params": {"ms": Infinity}}', "params.ms must be"),
        (b'{"kind": "rbac_propagation", "region": "eastus2", "params": {"seconds": Infinity}}', "params.seconds"),
        (b'{"kind": "flapping", "region": "eastus2", "params": {"period_s": NaN}}', "params.period_s"),
        ({"kind": "http_error", "region": "eastus2", "params": {"status": None}}, "params.status must be"),
        ({"kind": "capacity", "region": "eastus2", "params": {"retry_after_s": None}}, "params.retry_after_s"),
        ({"kind": "latency", "region": "eastus2", "params": {"ms": None}}, "params.ms"),
        (b"{oops", "body must be JSON"),
        (b"[" * 100_000, "body must be JSON"),  # not a 500 with a RecursionError
    ],
)
def test_bad_fault_requests_are_400_with_a_reason(sim: SimulatorThread, body: Any, phrase: str) -> None:
    status, reply = call(sim, "POST", "/faults", body)
    assert status == 400
    assert phrase in reply["error"]["message"]
    assert call(sim, "POST", "/faults/check", body) == (status, reply)  # the dry run gives the same answer
    assert call(sim, "GET", "/faults")[1] == {"faults": []}


def test_check_answers_what_add_would_and_puts_nothing_in_force(sim: SimulatorThread) -> None:
    body = {"kind": "http_error", "region": "eastus2", "deployment": "gpt-4o", "params": {"status": 500}}
    assert call(sim, "POST", "/faults/check", body) == (200, {"valid": True})
    assert call(sim, "GET", "/faults")[1] == {"faults": []}
    assert chat(sdk(sim)).choices
    assert call(sim, "POST", "/faults", body)[0] == 201


def test_answers_are_standard_json_even_if_a_non_finite_number_got_in(sim: SimulatorThread) -> None:
    status, created = call(sim, "POST", "/faults", {"kind": "reset", "region": "eastus2", "duration_s": 60})
    assert status == 201
    # validation keeps NaN and Infinity out; should one get in anyway, the answer stays parseable
    (active,) = sim.simulator.faults.active()
    active.duration_s = math.inf
    (listed,) = call(sim, "GET", "/faults")[1]["faults"]
    assert listed["id"] == created["id"] and listed["duration_s"] is None and listed["remaining_s"] is None


def test_catalogue_regions_and_unknown_paths(sim: SimulatorThread) -> None:
    kinds = call(sim, "GET", "/kinds")[1]["kinds"]
    assert {"http_error", "refuse", "reset", "black_hole", "rate_limit", "latency", "rbac_propagation"} <= set(kinds)
    assert all(kinds.values())
    regions = call(sim, "GET", "/regions")[1]["regions"]
    assert [r["name"] for r in regions] == ["eastus2", "swedencentral"]
    assert regions[0]["deployments"][0]["model_version"] == "gpt-4o-2024-08-06"
    assert call(sim, "GET", "/nowhere")[0] == 404
    assert call(sim, "PUT", "/faults", {})[0] == 405
