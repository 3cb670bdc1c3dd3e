"""What a drill run leaves behind: a readable table, JUnit XML for CI, a JSON journal, and the
store's rows (`store_records`, written with `Store.write_drills`)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from ...probes.records import DrillRecords, DrillRequestRow, DrillRow, FaultRow
from .runner import DrillResult

__all__ = ["print_table", "store_records", "write_journal", "write_junit"]


def print_table(result: DrillResult, out: TextIO) -> None:
    drill = result.drill
    calls = result.calls
    ok = sum(c.ok for c in calls)
    verdict = "PASS" if result.passed else "FAIL"
    out.write(
        f"{verdict}  {drill.title}  ({drill.path.name}, client {result.client}, {result.duration_s:.1f} s, "
        f"{len(calls)} calls, {ok} ok)\n"
    )
    if result.error:
        out.write(f"      the run broke: {result.error}\n")
    for r in result.results:
        measured = "n/a" if r.measured is None else ("inf" if math.isinf(r.measured) else f"{r.measured:.4g}")
        out.write(
            f"  {'ok  ' if r.passed else 'FAIL'}  {r.expectation.describe():<58} measured {measured:>8}"
            + (f"  ({r.detail})" if r.detail else "")
            + "\n"
        )
    if not result.passed:
        errors: dict[str, int] = {}
        for c in calls:
            if c.error:
                key = c.error.split(":")[0]
                errors[key] = errors.get(key, 0) + 1
        if errors:
            out.write("      failed calls: " + ", ".join(f"{n} x {k}" for k, n in sorted(errors.items())) + "\n")
    out.flush()


def write_junit(results: Sequence[DrillResult], path: str | Path) -> None:
    """One <testsuite> per drill, one <testcase> per expectation."""
    suites = ET.Element("testsuites", name="aoai-watch drills")
    for result in results:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=result.drill.name,
            tests=str(len(result.results) or 1),
            failures=str(sum(not r.passed for r in result.results)),
            errors="1" if result.error else "0",
            time=f"{result.duration_s:.3f}",
        )
        if result.error:
            case = ET.SubElement(suite, "testcase", classname=result.drill.name, name="run")
            ET.SubElement(case, "error", message=result.error)
        for r in result.results:
            case = ET.SubElement(suite, "testcase", classname=result.drill.name, name=r.expectation.describe())
            if not r.passed:
                ET.SubElement(case, "failure", message=r.describe())
    ET.ElementTree(suites).write(str(path), encoding="utf-8", xml_declaration=True)


def write_journal(results: Sequence[DrillResult], path: str | Path) -> None:
    """Each drill: its steps (start, end, status, output), its expectations and its faults."""
    doc = [
        {
            "drill": r.drill.name,
            "title": r.drill.title,
            "client": r.client,
            "status": "passed" if r.passed else "failed",
            "duration_s": round(r.duration_s, 3),
            "error": r.error,
            "steps": [s.as_dict() for s in r.journal],
            "expectations": [
                {
                    "expect": e.expectation.describe(),
                    "passed": e.passed,
                    "measured": None if e.measured is None or math.isinf(e.measured) else e.measured,
                    "detail": e.detail,
                }
                for e in r.results
            ],
            "faults": [
                {
                    "kind": f.fault,  # the journal keeps the control API's word
                    "region": f.region,
                    "params": f.params,
                    "start_s": round(f.started_s, 3),
                    "end_s": f.ended_s,
                }
                for f in r.faults
            ],
            "calls": len(r.calls),
            "ok": sum(c.ok for c in r.calls),
        }
        for r in results
    ]
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def store_records(results: Sequence[DrillResult]) -> DrillRecords:
    """The store's rows for these runs: one per run, per call the load made, per fault it set."""
    drills: list[DrillRow] = []
    requests: list[DrillRequestRow] = []
    faults: list[FaultRow] = []
    for r in results:
        started = datetime.fromtimestamp(r.started, UTC).replace(tzinfo=None)
        drills.append(
            DrillRow(
                run_id=r.run_id,
                drill=r.drill.name,
                title=r.drill.title,
                client=r.client,
                started=started,
                duration_s=r.duration_s,
                passed=r.passed,
                error=r.error,
                expectations=json.dumps(
                    [
                        {
                            "expect": e.expectation.describe(),
                            "passed": e.passed,
                            "measured": None if e.measured is None or math.isinf(e.measured) else e.measured,
                        }
                        for e in r.results
                    ]
                ),
            )
        )
        requests += [
            DrillRequestRow(
                run_id=r.run_id,
                call_id=c.call_id,
                shape=c.shape,
                started_s=c.started_s,
                latency_s=c.latency_s,
                ok=c.ok,
                region=c.region,
                error=c.error,
                tokens=c.tokens,
            )
            for c in r.calls
        ]
        load_start = started + timedelta(
            seconds=next((s.started - r.started for s in r.journal if s.name.startswith("load")), 0.0)
        )
        faults += [
            FaultRow(
                run_id=r.run_id,
                kind=f.fault,
                region=f.region,
                params=json.dumps(f.params),
                start_ts=load_start + timedelta(seconds=f.started_s),
                end_ts=None if f.ended_s is None else load_start + timedelta(seconds=f.ended_s),
            )
            for f in r.faults
        ]
    return DrillRecords(drills=drills, requests=requests, faults=faults)
