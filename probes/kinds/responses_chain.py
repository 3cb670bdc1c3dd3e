"""`responses_chain`: a stored response, then a follow-up with `previous_response_id`. A follow-up
that cannot find its parent fails as `state_lost` (the runner classifies Azure's
previous_response_not_found)."""

from __future__ import annotations

import uuid

from ..context import ProbeContext, record_headers, record_usage

NAME = "responses_chain"
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True


async def run(ctx: ProbeContext) -> None:
    nonce = uuid.uuid4().hex[:12]
    first = await ctx.client.responses.with_raw_response.create(
        model=ctx.target.deployment,
        input=f"Remember the code {nonce}. Reply OK.",
        store=True,
        max_output_tokens=max(16, ctx.max_tokens),
    )
    record_headers(ctx.result, first.headers)
    parent = first.parse()
    record_usage(ctx.result, parent.usage)
    follow = await ctx.client.responses.with_raw_response.create(
        model=ctx.target.deployment,
        input="What was the code?",
        previous_response_id=parent.id,
        max_output_tokens=max(16, ctx.max_tokens),
    )
    record_headers(ctx.result, follow.headers)
    child = follow.parse()
    ctx.result.model_version = child.model
    record_usage(ctx.result, child.usage)
