"""The tier filter: a database with probes of a provisioned (PTU) deployment offers it in the
sidebar and the URL, and every count honours it (the failover composite stays: it answers from
either tier); a database without one reads and links as before; an old database the dashboard
only reads (no `tier` column yet) still opens."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest
from aoai_watch.app import controls, look, queries
from aoai_watch.probes.result import ProbeResult
from aoai_watch.probes.store import MIGRATIONS, Store
from streamlit.testing.v1 import AppTest

from tests.app.html_tables import tables

APP = str(Path(__file__).parents[2] / "app" / "dashboard.py")
PTU = "gpt4o-ptu"


def ptu_rows(now: datetime, minutes: int = 20) -> list[ProbeResult]:
    """eastus2 probed on its PTU (fast, a 429 now and then, utilization reported) and its standard
    deployment (slow: over 2 s one probe in three); swedencentral standard only; the composite."""
    rng = random.Random(7)
    rows = []
    for minute in range(minutes):
        ts = now - timedelta(minutes=minutes - minute)
        for region, tier, deployment, latency in (
            ("eastus2", "provisioned", PTU, 300.0),
            ("eastus2", "standard", "gpt-4o", 1500.0),
            ("swedencentral", "standard", "gpt-4o", 900.0),
        ):
            throttled = tier == "provisioned" and minute % 5 == 4
            slow = tier == "standard" and region == "eastus2" and minute % 3 == 0
            rows.append(
                ProbeResult(
                    region=region,
                    deployment=deployment,
                    kind="chat",
                    tier=tier,
                    ts=ts + timedelta(seconds=rng.randint(0, 20)),
                    prober="t",
                    outcome="rate_limited" if throttled else "slow" if slow else "ok",
                    status_code=429 if throttled else 200,
                    latency_ms=latency * (2 if slow else 1) * rng.uniform(0.9, 1.1),
                    utilization_pct=(104.0 if throttled else 61.0) if tier == "provisioned" else None,
                    error="RateLimitError: Error code: 429" if throttled else None,
                )
            )
        rows.append(
            ProbeResult(
                region="failover", deployment=PTU, kind="failover", tier="provisioned", ts=ts, prober="t",
                served_by="eastus2", status_code=200, latency_ms=320.0,
            )
        )  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def ptu_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiers") / "ptu.duckdb"
    Store(path).write(ptu_rows(datetime.now(UTC).replace(tzinfo=None)))
    return path


@pytest.fixture(scope="module")
def standard_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiers") / "standard.duckdb"
    rows = [r for r in ptu_rows(datetime.now(UTC).replace(tzinfo=None)) if r.tier == "standard"]
    Store(path).write(rows)
    return path


def counts(store: Store, where: str) -> dict[str, int]:
    _, rows = store.query(f"SELECT region, count(*) FROM probe_results WHERE {where} GROUP BY region")
    return dict(rows)


def span() -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return now - timedelta(hours=1), now + timedelta(minutes=1)


def test_the_tier_filter_keeps_that_tier_and_the_composite(ptu_db: Path) -> None:
    store = Store(ptu_db)
    since, until = span()
    assert queries.tiers(store) == ["provisioned", "standard"]
    everything = queries.overview(store, queries.Filters(since, until), 2000).set_index("region")["valid"]
    assert everything.to_dict() == counts(store, "true") == {"eastus2": 40, "swedencentral": 20, "failover": 20}
    ptu = queries.overview(store, queries.Filters(since, until, tiers=("provisioned",)), 2000).set_index("region")
    assert ptu["valid"].to_dict() == {"eastus2": 20, "failover": 20}
    assert ptu.loc["eastus2", "good"] == 16 and ptu.loc["eastus2", "last_bad_outcome"] == "rate_limited"
    standard = queries.Filters(since, until, ("eastus2",), tiers=("standard",))
    assert queries.overview(store, standard, 2000)["valid"].tolist() == [20]
    # the latency page's reads honour it too: no PTU probe is among the slow ones
    slow = queries.slow_probes(store, queries.Filters(since, until, tiers=("provisioned",)), 2000)
    assert slow.empty
    assert set(queries.slow_probes(store, standard, 2000)["deployment"]) == {"gpt-4o"}
    both = queries.Filters(since, until, tiers=("provisioned", "standard"))
    assert queries.overview(store, both, 2000)["valid"].sum() == 80  # every tier is all of them


def test_a_database_without_ptu_offers_no_tier_and_an_old_one_still_reads(standard_db: Path, tmp_path: Path) -> None:
    assert queries.tiers(Store(standard_db)) == ["standard"]
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))  # as the version before the tier column left it; the dashboard never writes
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for number, sql in enumerate(MIGRATIONS[:3], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    con.execute(
        "INSERT INTO probe_results (id, ts, prober, region, kind, outcome, latency_ms) "
        "VALUES ('a', now()::TIMESTAMP - INTERVAL 5 MINUTE, 'p', 'eastus2', 'chat', 'ok', 300)"
    )
    con.close()
    assert queries.tiers(Store(old)) == ["standard"]
    assert queries.overview(Store(old), queries.Filters(*span()), 2000)["valid"].tolist() == [1]


def test_tiers_in_the_url_are_read_like_the_other_filters() -> None:
    def read(url: dict[str, str], tiers: tuple[str, ...]) -> tuple[dict[str, object], list[str]]:
        return controls.read_filters(url, {}, ["eastus2"], ["chat"], "1h", tiers)

    assert read({"tiers": "provisioned"}, ("provisioned", "standard"))[0]["tiers"] == ["provisioned"]
    values, notices = read({"tiers": "provisioned,premium"}, ("provisioned", "standard"))
    assert values["tiers"] == ["provisioned"]
    assert notices == ["URL parameter `tiers`: no probes of tiers `premium` in this database: showing provisioned."]
    values, notices = read({"tiers": "provisioned"}, ())  # a database without a PTU offers none
    assert values["tiers"] == [] and notices[0].endswith("showing all tiers.")


def app(monkeypatch: pytest.MonkeyPatch, db: Path, **params: str) -> AppTest:
    monkeypatch.setenv("AOAI_WATCH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"refresh": "0", **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def test_the_overview_splits_by_tier_and_keeps_it_in_the_url_and_its_links(
    monkeypatch: pytest.MonkeyPatch, ptu_db: Path
) -> None:
    at = app(monkeypatch, ptu_db)
    widget = at.sidebar.multiselect(key="tiers")
    assert widget.options == ["provisioned", "standard"] and widget.value == []
    assert shown(at, "tiers") == ""  # all tiers, and the URL says so
    table = tables(at)["regions"].set_index("region")
    assert table["probes"].to_dict() == {"failover": "20", "eastus2": "40", "swedencentral": "20"}
    widget.set_value(["provisioned"]).run()
    assert not at.exception and shown(at, "tiers") == "provisioned"
    table = tables(at)["regions"].set_index("region")
    assert table["probes"].to_dict() == {"failover": "20", "eastus2": "20"}
    alerts = tables(at)["burn-rate-alerts"]
    assert set(alerts[alerts["region"] == "eastus2"]["long probes"]) == {look.count(20)}  # the same probes
    links = [parse_qs(link.proto.query_string) for link in at.page_link if link.proto.query_string]
    assert links and all(q.get("tiers") == ["provisioned"] for q in links)
    # and it survives sidebar navigation, as the other filters do
    at.query_params.clear()
    at.switch_page("views/latency.py").run()
    assert not at.exception and shown(at, "tiers") == "provisioned"
    assert at.sidebar.multiselect(key="tiers").value == ["provisioned"]


def test_the_latency_page_splits_by_tier(monkeypatch: pytest.MonkeyPatch, ptu_db: Path) -> None:
    def slow_deployments(tiers: str) -> set[str]:
        at = app(monkeypatch, ptu_db, tiers=tiers)
        at.switch_page("views/latency.py").run()
        assert not at.exception and shown(at, "tiers") == tiers
        assert len(at.get("plotly_chart")) == 2  # both charts drawn for either tier
        if not at.dataframe:
            assert any(c.value.startswith("No probe took longer than 2 s") for c in at.caption)
            return set()
        return set(at.dataframe[0].value["deployment"])

    assert slow_deployments("standard") == {"gpt-4o"}  # eastus2's standard deployment crawls
    assert slow_deployments("provisioned") == set()  # its PTU does not: no slow probe to list


def test_without_a_ptu_the_pages_read_and_link_as_before(monkeypatch: pytest.MonkeyPatch, standard_db: Path) -> None:
    at = app(monkeypatch, standard_db)
    assert "tiers" not in [w.key for w in at.sidebar.multiselect] and "tiers" not in at.query_params
    links = [parse_qs(link.proto.query_string) for link in at.page_link if link.proto.query_string]
    assert links and not any("tiers" in q for q in links)
    at = app(monkeypatch, standard_db, tiers="provisioned")  # a shared link from a database with one
    assert [w.value for w in at.warning] == [
        "URL parameter `tiers`: no probes of tiers `provisioned` in this database: showing all tiers."
    ]
    assert "tiers" not in at.query_params
