"""The agent probe kinds, `tools` and `structured`: against the simulator over real sockets with
the real openai SDK, and against a hostile server whose 200s have the wrong shape (each a
classified, stored `bad_response` row, never a crash); the schema check as a function."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.probes.answers import mismatch
from aoai_watch.probes.config import load_config
from aoai_watch.probes.kinds import DEFAULT_KINDS, structured, tools
from aoai_watch.probes.runner import run_cycle
from aoai_watch.probes.store import Store

from tests.failover import hostile
from tests.probes.conftest import ENV, write_config


def completion(message: dict, finish_reason: str = "stop") -> hostile.Reply:
    """A well-formed chat completion 200 carrying `message`, for every request."""
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        }
    ).encode()

    def reply(conn: socket.socket) -> None:
        conn.sendall(
            hostile.head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body
        )

    return reply


def call(arguments: str, name: str = "get_weather") -> dict:
    function = {"name": name, "arguments": arguments}
    return {"content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": function}]}


def one_region(tmp_path: Path, endpoint: str, kinds: str) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(
        f'database = "{tmp_path / "p.duckdb"}"\n[[regions]]\nname = "eastus2"\nendpoint = "{endpoint}"\n'
        f'api_key_env = "PROBE_KEY"\n[regions.deployments]\ngpt-4o = "gpt-4o"\n[probes]\nkinds = {kinds}\n'
    )
    return path


def test_both_kinds_are_on_by_default_and_answer_right_over_the_simulator(sim: SimulatorThread, tmp_path: Path) -> None:
    assert {"tools", "structured"} <= set(DEFAULT_KINDS)
    config = write_config(sim, tmp_path, kinds='["tools", "structured"]')
    rows = run_cycle(config, environ=ENV)
    assert sorted((r.region, r.kind) for r in rows) == [
        ("eastus2", "structured"),
        ("eastus2", "tools"),
        ("swedencentral", "structured"),
        ("swedencentral", "tools"),
    ]
    for row in rows:
        assert row.outcome in ("ok", "slow") and row.status_code == 200 and row.error is None, row.error
        assert row.model_version == "gpt-4o-2024-08-06" and row.cost_usd and row.cost_usd > 0
    turn = next(r for r in rows if r.kind == "tools")
    # two requests' tokens: the call (prompt + arguments) and the follow-up (prompt + call + result + text)
    single = next(r for r in rows if r.kind == "structured")
    assert turn.prompt_tokens and single.prompt_tokens and turn.prompt_tokens > 2 * single.prompt_tokens
    Store(config.database).write(rows)
    _, stored = Store(config.database).query("SELECT kind, outcome FROM probe_results ORDER BY kind")
    assert {kind for kind, _ in stored} == {"tools", "structured"}


@pytest.mark.parametrize(
    "kind, message, finish, said",
    [
        ("tools", call('{"city": "Stockholm", "unit": "kelvin"}'), "tool_calls", "$.unit: 'kelvin' is not one of"),
        ("tools", call('{"city": 3, "unit": "celsius"}'), "tool_calls", "$.city: expected string, got int"),
        ("tools", call('{"city": "Stockholm"'), "tool_calls", "arguments is not JSON"),
        ("tools", call('{"city": "Stockholm", "unit": "celsius"}', "delete_everything"), "tool_calls", "got 'delete"),
        ("tools", {"content": "It is sunny."}, "stop", "expected a tool call, got finish_reason 'stop'"),
        ("structured", {"content": "Sure! Here is your JSON: {"}, "stop", "structured answer is not JSON"),
        ("structured", {"content": '{"region": "eastus2", "status": "up"}'}, "stop", "$: missing healthy"),
        ("structured", {"content": '{"region": "e", "status": "up", "healthy": 1}'}, "stop", "expected boolean"),
        ("structured", {"content": None}, "length", "expected a text answer, got finish_reason 'length'"),
    ],
)
def test_a_wrong_shape_is_a_stored_bad_response_row(
    tmp_path: Path, kind: str, message: dict, finish: str, said: str
) -> None:
    with hostile.hostile_server(completion(message, finish)) as bad:
        config = load_config(one_region(tmp_path, bad, f'["{kind}"]'))
        (row,) = run_cycle(config, environ=ENV)
    assert (row.kind, row.outcome, row.status_code) == (kind, "bad_response", 200)
    assert row.error and "WrongAnswer" in row.error and said in row.error, row.error
    assert row.prompt_tokens == 20 and row.latency_ms is not None  # what the answer did say is kept
    Store(config.database).write([row])
    _, stored = Store(config.database).query("SELECT outcome, status_code, error FROM probe_results")
    assert stored == [("bad_response", 200, row.error)]


def test_the_follow_up_must_answer_in_text(tmp_path: Path) -> None:
    # every answer is the tool call again: the first passes, the follow-up is the wrong shape
    with hostile.hostile_server(completion(call('{"city": "Stockholm", "unit": "celsius"}'), "tool_calls")) as bad:
        (row,) = run_cycle(load_config(one_region(tmp_path, bad, '["tools"]')), environ=ENV)
    assert row.outcome == "bad_response" and "expected a text answer" in (row.error or "")
    assert row.prompt_tokens == 40  # both requests were counted


def test_the_schema_check_names_the_first_mismatch() -> None:
    schema = tools.TOOL["function"]["parameters"]
    assert mismatch({"city": "Oslo", "unit": "celsius"}, schema) is None
    assert mismatch({"city": "Oslo", "unit": "celsius", "x": 1}, schema) == "$: unexpected x"
    assert mismatch([], schema) == "$: expected object, got list"
    assert mismatch({"region": "r", "status": "up", "healthy": True}, structured.SCHEMA) is None
    assert mismatch({"n": True}, {"type": "object", "properties": {"n": {"type": "integer"}}}) == (
        "$.n: expected integer, got bool"
    )
    assert mismatch({"t": ["a", 2]}, {"properties": {"t": {"type": "array", "items": {"type": "string"}}}}) == (
        "$.t[1]: expected string, got int"
    )
