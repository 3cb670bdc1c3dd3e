"""Every probe kind against the simulator, healthy and under each relevant fault: the recorded
outcome, status, timings and headers, and that no key reaches the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover.outcomes import GOOD, OUTCOMES, SUCCESSFUL
from aoai_watch.probes.config import load_config
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.runner import run_cycle
from aoai_watch.probes.store import Store

from tests.probes.conftest import ENV, write_config

ALL = ("chat", "stream", "responses_chain", "realtime", "embeddings")


def by_key(results: list[ProbeResult]) -> dict[tuple[str, str], ProbeResult]:
    return {(r.region, r.kind): r for r in results}


def test_healthy_cycle_records_every_field(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path)
    results = run_cycle(config, environ=ENV)
    assert len(results) == 2 * 5 + 1
    # `slow` is a success too: a loaded machine can take a first probe past the 2 s threshold
    assert all(r.outcome in SUCCESSFUL and r.status_code == 200 and r.prober == "test-prober" for r in results)
    rows = by_key(results)
    chat = rows[("eastus2", "chat")]
    assert chat.model_version == "gpt-4o-2024-08-06" and chat.deployment == "gpt-4o"
    assert chat.completion_tokens == 8 and chat.prompt_tokens and chat.cost_usd and chat.cost_usd > 0
    assert chat.request_id and chat.ratelimit_remaining_requests is not None and chat.error is None
    assert chat.cost_usd == pytest.approx((chat.prompt_tokens * 2.5 + 8 * 10.0) / 1e6)
    stream = rows[("swedencentral", "stream")]
    assert stream.ttft_ms is not None and stream.ttft_ms <= stream.latency_ms and stream.completion_tokens == 8
    chain = rows[("eastus2", "responses_chain")]
    assert chain.prompt_tokens > 0 and chain.model_version == "gpt-4o-2024-08-06"
    realtime = rows[("eastus2", "realtime")]
    assert realtime.connect_ms is not None and realtime.ttft_ms is not None and realtime.completion_tokens == 12
    assert realtime.model_version == chat.model_version == "gpt-4o-2024-08-06"  # session.model, not "gpt-4o"
    embed = rows[("eastus2", "embeddings")]
    assert embed.model_version == "text-embedding-3-small" and embed.completion_tokens == 0
    composite = rows[("failover", "failover")]
    assert composite.served_by == "eastus2" and composite.deployment == "gpt-4o"


@pytest.mark.parametrize(
    "fault, params, outcome, status",
    [
        ("http_error", {"status": 503}, "server_error", 503),
        ("http_error", {"status": 500}, "server_error", 500),
        ("rbac_propagation", {"seconds": 60}, "auth_error", 401),
        ("refuse", {}, "connect_error", None),
        ("reset", {}, "connect_error", None),
    ],
)
def test_outages_are_classified_for_every_kind(
    sim: SimulatorThread, tmp_path: Path, fault: str, params: dict, outcome: str, status: int | None
) -> None:
    sim.add_fault(fault, "eastus2", params)
    results = by_key(run_cycle(write_config(sim, tmp_path), environ=ENV))
    for kind in ALL:
        row = results[("eastus2", kind)]
        assert (row.outcome, row.status_code) == (outcome, status), (kind, row.error)
        assert row.error and row.latency_ms is not None
        assert results[("swedencentral", kind)].outcome == "ok"
    assert results[("failover", "failover")].outcome == "ok"
    assert results[("failover", "failover")].served_by == "swedencentral"


def test_a_filtered_prompt_is_a_content_filter_row_not_a_failure(sim: SimulatorThread, tmp_path: Path) -> None:
    sim.add_fault("content_filter", "eastus2", {"on": "prompt", "category": "hate"})
    kinds = '["chat", "stream", "responses_chain", "embeddings", "failover"]'
    results = by_key(run_cycle(write_config(sim, tmp_path, kinds=kinds), environ=ENV))
    for kind in ("chat", "stream", "responses_chain"):
        row = results[("eastus2", kind)]
        assert (row.outcome, row.status_code) == ("content_filter", 400), (kind, row.error)
        assert row.outcome in GOOD and results[("swedencentral", kind)].outcome == "ok"
    assert results[("eastus2", "embeddings")].outcome == "ok"  # no prompt to filter
    # the failover client raises it at once: another region would refuse the same prompt
    assert results[("failover", "failover")].outcome == "content_filter"


def test_black_hole_is_a_timeout_at_the_probe_timeout(sim: SimulatorThread, tmp_path: Path) -> None:
    sim.add_fault("black_hole", "eastus2")
    results = by_key(
        run_cycle(write_config(sim, tmp_path, kinds='["chat", "realtime", "embeddings"]', timeout_s=1.5), environ=ENV)
    )
    # a 1.5 s timeout (was 0.6): room for swedencentral's answers on a loaded machine to stay under it
    for kind in ("chat", "realtime", "embeddings"):
        row = results[("eastus2", kind)]
        assert row.outcome == "timeout", (kind, row.error)
        assert 1450 <= row.latency_ms <= 4500, (kind, row.latency_ms)
        # one slow region never delays the others
        assert results[("swedencentral", kind)].latency_ms < 1450, (kind, results[("swedencentral", kind)].latency_ms)


@pytest.mark.parametrize(
    "params, retry_after",
    [
        ({"retry_after_s": 7}, 7.0),
        ({"retry_after_s": 9, "omit_headers": True}, 9.0),
        ({"retry_after_s": 3, "retry_after_ms": 2500}, 2.5),
    ],
)
def test_429_with_and_without_retry_after_headers(
    sim: SimulatorThread, tmp_path: Path, params: dict, retry_after: float
) -> None:
    sim.add_fault("rate_limit", "eastus2", params)
    results = by_key(run_cycle(write_config(sim, tmp_path, kinds='["chat", "realtime"]'), environ=ENV))
    for kind in ("chat", "realtime"):
        row = results[("eastus2", kind)]
        assert (row.outcome, row.status_code, row.retry_after_s) == ("rate_limited", 429, retry_after), kind


def test_state_loss_in_a_responses_chain(sim: SimulatorThread, tmp_path: Path) -> None:
    sim.add_fault("state_loss", "eastus2")
    row = by_key(run_cycle(write_config(sim, tmp_path, kinds='["responses_chain"]'), environ=ENV))[
        ("eastus2", "responses_chain")
    ]
    assert (row.outcome, row.status_code) == ("state_lost", 400)
    assert row.prompt_tokens  # the first half was billed and is recorded


def test_slow_probe_is_ok_but_slow(sim: SimulatorThread, tmp_path: Path) -> None:
    sim.add_fault("latency", "eastus2", {"ms": 400})
    extra = "\n[slo.latency]\nthreshold_s = 0.3\n"
    row = by_key(run_cycle(write_config(sim, tmp_path, extra, kinds='["chat"]'), environ=ENV))[("eastus2", "chat")]
    assert row.outcome == "slow" and 400 <= row.latency_ms < 3000  # 400 ms fault; generous for a loaded machine


def test_all_regions_down_is_a_failed_composite(sim: SimulatorThread, tmp_path: Path) -> None:
    sim.add_fault("http_error", "eastus2", {"status": 503})
    sim.add_fault("http_error", "swedencentral", {"status": 503})
    row = by_key(run_cycle(write_config(sim, tmp_path, kinds='["failover"]', timeout_s=2), environ=ENV))[
        ("failover", "failover")
    ]
    assert row.outcome == "server_error" and "eastus2" in row.error and "swedencentral" in row.error


def test_no_key_reaches_the_database(sim: SimulatorThread, tmp_path: Path) -> None:
    config = write_config(sim, tmp_path)
    store = Store(config.database)
    store.write(run_cycle(config, environ=ENV))
    sim.add_fault("http_error", "eastus2", {"status": 401})
    store.write(run_cycle(config, environ={"PROBE_KEY": ENV["PROBE_KEY"] + "-but-wrong"}))
    names, rows = store.query("SELECT * FROM probe_results")
    assert len(rows) == 22 and all(r[names.index("outcome")] in OUTCOMES for r in rows)
    assert any(r[names.index("outcome")] == "auth_error" for r in rows)
    dump = repr(rows) + (tmp_path / "probes.duckdb").read_bytes().decode("latin-1")
    assert ENV["PROBE_KEY"] not in dump


def test_entra_region_probes_with_tokens_including_realtime(tmp_path: Path) -> None:
    from aoai_watch.chaos.simulator import RegionSpec, default_region, mint_token
    from aoai_watch.probes.config import load_config

    base = default_region("westus3", None, latency_scale=0)
    with SimulatorThread([RegionSpec(name="westus3", deployments=base.deployments, auth="entra")], seed=9) as entra:
        path = tmp_path / "entra.toml"
        path.write_text(
            f'database = "{tmp_path / "e.duckdb"}"\n[[regions]]\nname = "westus3"\n'
            f'endpoint = "{entra.urls["westus3"]}"\nauth = "entra"\n[regions.deployments]\n'
            'gpt-4o = "gpt-4o"\ngpt-realtime = "gpt-4o"\n[probes]\nkinds = ["chat", "realtime"]\n'
            "timeout_s = 3\n"
        )
        config = load_config(path)
        good = by_key(run_cycle(config, environ={}, token_provider=lambda: mint_token()))
        assert good[("westus3", "chat")].outcome == "ok" and good[("westus3", "realtime")].outcome == "ok"
        expired = by_key(run_cycle(config, environ={}, token_provider=lambda: mint_token(expires_in_s=-1)))
        assert expired[("westus3", "chat")].outcome == "auth_error"
        assert (expired[("westus3", "realtime")].outcome, expired[("westus3", "realtime")].status_code) == (
            "auth_error",
            401,
        )
        assert "eyJ" not in (expired[("westus3", "chat")].error or "")


def test_the_kind_registry_is_the_one_list_config_and_runner_read() -> None:
    from aoai_watch.probes import config as config_module
    from aoai_watch.probes.kinds import COMPOSITE, DEFAULT_KINDS, KINDS, REGISTRY
    from aoai_watch.probes.kinds import failover as failover_kind

    assert KINDS == ("chat", "stream", "responses_chain", "tools", "structured", "realtime", "embeddings", "failover")
    assert config_module.ProbeSettings().kinds == DEFAULT_KINDS and "realtime" not in DEFAULT_KINDS
    assert {k.name: k.model_setting for k in REGISTRY.values()} == {
        "chat": "chat_model",
        "stream": "chat_model",
        "responses_chain": "chat_model",
        "tools": "chat_model",
        "structured": "chat_model",
        "realtime": "realtime_model",
        "embeddings": "embedding_model",
        "failover": "chat_model",
    }
    assert [k.name for k in REGISTRY.values() if k.composite] == [COMPOSITE] == [failover_kind.NAME]


def test_hostile_answers_are_bad_response_rows_and_the_healthy_region_still_measured(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    from tests.failover import hostile

    with hostile.hostile_server(hostile.html_page) as page, hostile.hostile_server(hostile.gzip_bomb(64)) as bomb:
        text = (
            write_config(
                sim, tmp_path, kinds='["chat", "embeddings"]', extra="[failover]\nmax_response_bytes = 1048576\n"
            )
            .path.read_text()
            .replace(sim.urls["eastus2"], page, 1)
        )
        text += f'\n[[regions]]\nname = "westus3"\nendpoint = "{bomb}"\napi_key_env = "PROBE_KEY"\n'
        text += '[regions.deployments]\ngpt-4o = "gpt-4o"\n'
        path = tmp_path / "hostile.toml"
        path.write_text(text)
        rows = run_cycle(load_config(path), environ=ENV)
    chat = {r.region: r for r in rows if r.kind == "chat"}
    assert chat["eastus2"].outcome == "bad_response" and "content type text/html" in (chat["eastus2"].error or "")
    assert chat["westus3"].outcome == "bad_response" and "max_response_bytes" in (chat["westus3"].error or "")
    assert chat["swedencentral"].outcome in ("ok", "slow")


def test_a_server_echoing_the_key_or_sending_megabytes_gets_neither_into_the_row(tmp_path: Path) -> None:
    from tests.failover import hostile

    key = ENV["PROBE_KEY"]
    with hostile.hostile_server(hostile.echo_key_error(key)) as bad:
        path = tmp_path / "echo.toml"
        path.write_text(
            f'database = "{tmp_path / "p.duckdb"}"\n[[regions]]\nname = "eastus2"\nendpoint = "{bad}"\n'
            'api_key_env = "PROBE_KEY"\n[regions.deployments]\ngpt-4o = "gpt-4o"\n[probes]\nkinds = ["chat"]\n'
        )
        (row,) = run_cycle(load_config(path), environ=ENV)
    assert row.outcome == "server_error"
    assert key not in (row.error or "") and key not in (row.request_id or "") and row.request_id == "***"
    huge = ProbeResult(region="eastus2", deployment="d", kind="chat", model_version="v" * 5_000_000)
    huge.mask_text(lambda text: text)
    assert len(huge.model_version or "") == 500


def test_a_realtime_refusal_with_a_repeated_header_is_its_own_row_and_loses_no_other(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    from tests.failover import hostile

    with hostile.hostile_server(hostile.upgrade_refused_with_repeated_header) as bad:
        text = write_config(sim, tmp_path, kinds='["chat", "realtime"]').path.read_text()
        text += f'\n[[regions]]\nname = "westus3"\nendpoint = "{bad}"\napi_key_env = "PROBE_KEY"\n'
        text += '[regions.deployments]\ngpt-4o = "gpt-4o"\ngpt-realtime = "gpt-4o"\n'
        path = tmp_path / "repeated.toml"
        path.write_text(text)
        rows = run_cycle(load_config(path), environ=ENV)
    by = {(r.region, r.kind): r for r in rows}
    assert len(rows) == 6  # 3 regions x 2 kinds: not one row lost
    assert by[("westus3", "realtime")].outcome == "auth_error" and by[("westus3", "realtime")].request_id == "first-id"
    assert by[("eastus2", "realtime")].outcome in ("ok", "slow") and by[("swedencentral", "chat")].outcome in (
        "ok",
        "slow",
    )
