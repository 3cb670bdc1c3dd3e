"""Typed rows of the drill tables, owned by the store: each field is a column of the table in
`TABLE` (store.py's migration 2 defines them). chaos/drills builds these; `Store.write_drills`
writes them. A new column is a new field here and a migration in store.py, nowhere else."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

__all__ = ["DrillRecords", "DrillRequestRow", "DrillRow", "FaultRow", "as_row"]


@dataclass(frozen=True, kw_only=True)
class DrillRow:
    """One drill run (table `drills`)."""

    TABLE: ClassVar[str] = "drills"

    run_id: str  # unique per run; the other tables' rows point at it
    drill: str  # the drill's name (its file's stem)
    title: str
    client: str
    started: datetime  # naive UTC
    duration_s: float
    passed: bool
    error: str | None  # the run itself broke (not an expectation)
    expectations: str  # JSON: [{"expect", "passed", "measured"}, ...]


@dataclass(frozen=True, kw_only=True)
class DrillRequestRow:
    """One call a drill's load made (table `drill_requests`). Times are seconds from the load's start."""

    TABLE: ClassVar[str] = "drill_requests"

    run_id: str
    call_id: str
    shape: str
    started_s: float
    latency_s: float
    ok: bool
    region: str | None  # the region that answered, when known
    error: str | None
    tokens: int


@dataclass(frozen=True, kw_only=True)
class FaultRow:
    """One fault a drill injected (table `faults`), so charts can shade when it was in force."""

    TABLE: ClassVar[str] = "faults"

    run_id: str
    kind: str  # the fault's name (`http_error`, ...): the column keeps the control API's word
    region: str
    params: str  # JSON object
    start_ts: datetime  # naive UTC
    end_ts: datetime | None  # None: not recorded (the run ended first)


@dataclass(frozen=True)
class DrillRecords:
    """What drill runs leave in the store: their runs, the calls they made, the faults they set."""

    drills: Sequence[DrillRow] = ()
    requests: Sequence[DrillRequestRow] = ()
    faults: Sequence[FaultRow] = ()


def as_row(record: DrillRow | DrillRequestRow | FaultRow) -> dict[str, Any]:
    """Column name -> value, in the table's column order (shallow: values are already plain)."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
