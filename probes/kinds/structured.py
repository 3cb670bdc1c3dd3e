"""`structured`: a chat completion with response_format json_schema, strict: the answer must
parse as JSON and match the schema (probes/answers.py); anything else, a cut-off document
included, is a `bad_response` row, whatever the status."""

from __future__ import annotations

import uuid
from typing import Any

from ..answers import WrongAnswer, json_document, mismatch, text_answer
from ..context import ProbeContext, record_headers, record_usage

NAME = "structured"
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True
MIN_TOKENS = 64  # the document is completion tokens: max_tokens 8 would cut it short

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "region": {"type": "string"},
        "status": {"type": "string", "enum": ["up", "degraded", "down"]},
        "healthy": {"type": "boolean"},
    },
    "required": ["region", "status", "healthy"],
    "additionalProperties": False,
}
FORMAT = {"type": "json_schema", "json_schema": {"name": "region_status", "strict": True, "schema": SCHEMA}}


async def run(ctx: ProbeContext) -> None:
    asked = [
        {
            "role": "user",
            "content": f"Report East US 2 as up and healthy, as JSON. Probe {uuid.uuid4().hex[:12]}.",
        }
    ]
    raw = await ctx.client.chat.completions.with_raw_response.create(
        model=ctx.target.deployment, messages=asked, response_format=FORMAT, max_tokens=max(MIN_TOKENS, ctx.max_tokens)
    )
    record_headers(ctx.result, raw.headers)
    completion = raw.parse()
    ctx.result.model_version = completion.model
    record_usage(ctx.result, completion.usage)
    document = json_document(text_answer(completion), "the structured answer")
    found = mismatch(document, SCHEMA)
    if found:
        raise WrongAnswer(f"the structured answer does not match the schema: {found}")
