"""`chat`: one small chat completion; latency to the last byte, tokens, headers."""

from __future__ import annotations

import uuid

from ..context import ProbeContext, record_headers, record_usage

NAME = "chat"
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True


def prompt() -> list[dict[str, str]]:
    # a fresh nonce every time, so no prompt cache can answer for the service
    return [{"role": "user", "content": f"Reply with one word. Probe {uuid.uuid4().hex[:12]}."}]


async def run(ctx: ProbeContext) -> None:
    raw = await ctx.client.chat.completions.with_raw_response.create(
        model=ctx.target.deployment, messages=prompt(), max_tokens=ctx.max_tokens
    )
    record_headers(ctx.result, raw.headers)
    completion = raw.parse()
    ctx.result.model_version = completion.model
    record_usage(ctx.result, completion.usage)
