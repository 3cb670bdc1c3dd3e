"""The prepared dashboard database, and the queries over it that several test files read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from aoai_watch.app import queries
from aoai_watch.probes.store import Store

from tests.app.dashboard_data import prepare


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once() -> Iterator[None]:
    """Each new AppTest scans every installed distribution for Streamlit component manifests
    (about 0.4 s here, for hundreds of apps a run). What is installed does not change during a run:
    scan once, for real, and hand every app that result."""
    from streamlit.components.v2 import manifest_scanner

    found = manifest_scanner.scan_component_manifests()
    patch = pytest.MonkeyPatch()
    patch.setattr(manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(found))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def now() -> datetime:
    """The instant the prepared data ends at: queries that take a `now` get this one, so a slow
    machine (minutes between preparing and asking) does not move the windows."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, now: datetime) -> Path:
    path = tmp_path_factory.mktemp("dash") / "dash.duckdb"
    prepare(path, now=now)
    return path


@pytest.fixture(scope="module")
def store(db: Path) -> Store:
    return Store(db)


@pytest.fixture(scope="module")
def filters(now: datetime) -> queries.Filters:
    return queries.Filters(now - timedelta(days=1), now + timedelta(minutes=1))


@pytest.fixture(scope="module")
def overview(store: Store, filters: queries.Filters) -> pd.DataFrame:
    return queries.overview(store, filters, 2000)


@pytest.fixture(scope="module")
def history(store: Store, filters: queries.Filters) -> pd.DataFrame:
    return queries.status_history(store, filters, "15 minutes")


@pytest.fixture(scope="module")
def faults(store: Store, filters: queries.Filters) -> pd.DataFrame:
    return queries.fault_windows(store, filters)


@pytest.fixture(scope="module")
def limits(store: Store, filters: queries.Filters) -> pd.DataFrame:
    return queries.rate_limits(store, filters)
