"""`aoai-watch dashboard --db ... --db ...` and `export` refuse a source they cannot read before
anything starts: one line per problem naming the file, what is wrong and the fix; exit 2, no
traceback. Real files: stores written by Store.write, a foreign DuckDB file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from aoai_watch.app.cli import main

from tests.app import probers_data


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return probers_data.write(tmp_path_factory.mktemp("cli-probers"), now, minutes=5)


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()


def test_a_missing_file_among_several_is_named(capsys: pytest.CaptureFixture[str], stores: list[Path]) -> None:
    gone = stores[0].parent / "gone.duckdb"
    (line,) = refused(capsys, "dashboard", "--db", str(stores[0]), "--db", str(gone))
    assert line == (
        f"aoai-watch dashboard: {gone}: no such file. Fix: check the path, or leave this --db out "
        "(every store read together must exist)"
    )


def test_a_glob_matching_nothing_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (line,) = refused(capsys, "dashboard", "--db", str(tmp_path / "probers" / "*.duckdb"))
    assert "matches no file. Fix: check the pattern" in line and str(tmp_path) in line


def test_a_duckdb_file_that_is_not_a_store_is_named(
    capsys: pytest.CaptureFixture[str], stores: list[Path], tmp_path: Path
) -> None:
    foreign = tmp_path / "sales.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE sales (amount INTEGER)").close()
    gone = tmp_path / "gone.duckdb"
    lines = refused(capsys, "dashboard", "--db", str(foreign), "--db", str(stores[1]), "--db", str(gone))
    assert len(lines) == 2  # every problem at once, one line each
    assert lines[0].startswith(f"aoai-watch dashboard: {foreign}: a DuckDB file, but not an aoai-watch store")
    assert "Fix: pass the database `aoai-watch probe` writes" in lines[0]
    assert lines[1].startswith(f"aoai-watch dashboard: {gone}: no such file")
