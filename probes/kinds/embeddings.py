"""`embeddings`: one small embedding."""

from __future__ import annotations

import uuid

from ..context import ProbeContext, record_headers, record_usage

NAME = "embeddings"
MODEL_SETTING = "embedding_model"
ON_BY_DEFAULT = True


async def run(ctx: ProbeContext) -> None:
    raw = await ctx.client.embeddings.with_raw_response.create(
        model=ctx.target.deployment, input=f"aoai-watch probe {uuid.uuid4().hex[:12]}"
    )
    record_headers(ctx.result, raw.headers)
    result = raw.parse()
    ctx.result.model_version = result.model
    if not result.data or not result.data[0].embedding:
        raise ValueError("the embedding came back empty")
    record_usage(ctx.result, result.usage)
    ctx.result.completion_tokens = 0
