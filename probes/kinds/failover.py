"""`failover`: the chat probe through the bundled failover client across every region: the
composite number the 99.9% promise is about. The row's region is "failover"; `served_by`,
`deployment` and `tier` say which region, deployment and tier answered (a client whose events
name no tier tries standard deployments only)."""

from __future__ import annotations

from ...failover.config import STANDARD
from ...failover.events import AttemptEvent
from ...failover.outcomes import Outcome
from ..context import ProbeContext, record_headers, record_usage
from ..result import COMPOSITE
from .chat import prompt

NAME = COMPOSITE
MODEL_SETTING = "chat_model"
ON_BY_DEFAULT = True
IS_COMPOSITE = True  # one target through the failover client, not one per region


async def run(ctx: ProbeContext) -> None:
    from ...failover.client import AsyncFailoverClient  # here: the openai SDK loads only to probe

    answered: list[AttemptEvent] = []

    def note(event: object) -> None:
        if isinstance(event, AttemptEvent) and event.outcome is Outcome.OK:
            answered.append(event)

    options = ctx.config.failover.replace(deadline_s=min(ctx.config.failover.deadline_s, ctx.config.probes.timeout_s))
    client = AsyncFailoverClient(ctx.config.regions, options=options, on_event=note, environ=ctx.environ)
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model=ctx.target.model, messages=prompt(), max_tokens=ctx.max_tokens
        )
    finally:
        await client.close()
    record_headers(ctx.result, raw.headers)
    completion = raw.parse()
    ctx.result.model_version = completion.model
    record_usage(ctx.result, completion.usage)
    if answered:
        ctx.result.served_by = answered[-1].region
        ctx.result.deployment = answered[-1].deployment
        ctx.result.tier = getattr(answered[-1], "tier", None) or STANDARD
