"""Log Analytics for the simulated regions: the `AzureDiagnostics` rows Azure OpenAI's
RequestResponse diagnostic setting writes, one per answered request, and the small part of KQL
needed to query them.

Supported KQL: `Table | where Col == 'x' and Col =~ 'y' | project A, B | order by A asc | take N`.
Anything else is refused the way Log Analytics refuses a bad query (400, BadArgumentError).
`CorrelationId` is the `apim-request-id` the region answered with, which is how probe rows join.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .metrics import Sample

COLUMNS = (
    ("TimeGenerated", "datetime"),
    ("ResourceId", "string"),
    ("_ResourceId", "string"),
    ("Category", "string"),
    ("ResourceProvider", "string"),
    ("OperationName", "string"),
    ("ResultSignature", "string"),
    ("DurationMs", "long"),
    ("CorrelationId", "string"),
    ("Location", "string"),
    ("properties_s", "string"),
)
OPERATIONS = {  # route name -> the OperationName Azure logs
    "chat": "ChatCompletions_Create",
    "embeddings": "Embeddings_Create",
    "responses_create": "Responses_Create",
    "responses_get": "Responses_Get",
    "responses_delete": "Responses_Delete",
    "responses_cancel": "Responses_Cancel",
    "models": "Models_List",
}


class BadKql(ValueError):
    """A query outside the supported subset, or one naming an unknown table or column."""


def diagnostics_rows(resource_id: str, location: str, answers: Sequence[Sample]) -> list[dict[str, Any]]:
    """One AzureDiagnostics row per answer."""
    rows = []
    for sample in answers:
        operation = OPERATIONS.get(sample.dims["OperationName"], sample.dims["OperationName"])
        properties = {
            "apiName": "Azure OpenAI API",
            "modelDeploymentName": sample.dims["ModelDeploymentName"],
            "modelName": sample.dims["ModelName"],
            "modelVersion": sample.dims["ModelVersion"],
            "streamType": sample.dims["StreamType"],
        }
        rows.append(
            {
                "TimeGenerated": datetime.fromtimestamp(sample.t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "ResourceId": resource_id.upper(),
                "_ResourceId": resource_id.lower(),
                "Category": "RequestResponse",
                "ResourceProvider": "MICROSOFT.COGNITIVESERVICES",
                "OperationName": operation,
                "ResultSignature": sample.dims["StatusCode"],
                "DurationMs": int(sample.response_ms),
                "CorrelationId": sample.request_id or "",
                "Location": location,
                "properties_s": json.dumps(properties, separators=(",", ":")),
            }
        )
    return rows


def run(query: str, tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Evaluate `query` over `tables`; Log Analytics' response body ({"tables": [...]})."""
    stages = [s.strip() for s in query.strip().rstrip(";").split("|")]
    table = stages[0]
    if table not in tables:
        raise BadKql(f"'{table}' could not be resolved to a table, function or variable")
    rows = tables[table]
    columns = [name for name, _ in COLUMNS]
    for stage in stages[1:]:
        verb, _, rest = stage.partition(" ")
        if verb == "where":
            rows = [r for r in rows if _matches(rest, r, columns)]
        elif verb == "project":
            picked = [c.strip() for c in rest.split(",")]
            _known(picked, columns)
            columns = picked
        elif verb == "order" and rest.startswith("by "):
            column, _, direction = rest[3:].strip().partition(" ")
            _known([column], columns)
            rows = sorted(rows, key=lambda r: r[column], reverse=direction.strip() != "asc")
        elif verb in ("take", "limit") and rest.strip().isdigit():
            rows = rows[: int(rest)]
        else:
            raise BadKql(f"unsupported operator in {stage!r} (the simulator knows where, project, order by, take)")
    types = dict(COLUMNS)
    return {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [{"name": c, "type": types[c]} for c in columns],
                "rows": [[r[c] for c in columns] for r in rows],
            }
        ]
    }


def _matches(expression: str, row: dict[str, Any], columns: list[str]) -> bool:
    for clause in re.split(r"\s+and\s+", expression.strip()):
        match = re.fullmatch(r"\s*(\w+)\s*(==|=~|!=)\s*(['\"])(.*)\3\s*", clause)
        if not match:
            raise BadKql(f"unsupported condition {clause!r} (the simulator knows Col == 'x', =~ and !=)")
        column, op, _, literal = match.groups()
        _known([column], columns)
        value = str(row[column])
        if op == "==" and value != literal:
            return False
        if op == "=~" and value.lower() != literal.lower():
            return False
        if op == "!=" and value == literal:
            return False
    return True


def _known(names: list[str], columns: list[str]) -> None:
    for name in names:
        if name not in columns:
            raise BadKql(f"Failed to resolve scalar expression named '{name}'")
