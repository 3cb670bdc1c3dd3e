"""`stream`: the chat probe streamed with usage; time to the first content token (not Azure's
annotation chunk), to the last byte, output tokens per second, and the longest gap between two
chunks (`max_gap_ms`: a stream that stalls mid-way shows here, not only in its total)."""

from __future__ import annotations

from ..context import ProbeContext, record_headers, record_usage
from .chat import prompt

NAME = "stream"
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True


async def run(ctx: ProbeContext) -> None:
    stream = await ctx.client.chat.completions.create(
        model=ctx.target.deployment,
        messages=prompt(),
        max_tokens=ctx.max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    )
    record_headers(ctx.result, stream.response.headers)
    first = None
    async for chunk in stream:
        ctx.stream_event()
        if chunk.model:
            ctx.result.model_version = chunk.model
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = ctx.clock()
            ctx.result.ttft_ms = ctx.elapsed_ms()
        if chunk.usage is not None:
            record_usage(ctx.result, chunk.usage)
    last = ctx.clock()
    if first is not None and ctx.result.completion_tokens and last > first:
        # tokens after the first, over the time they took
        ctx.result.tokens_per_s = max(0, ctx.result.completion_tokens - 1) / (last - first)
