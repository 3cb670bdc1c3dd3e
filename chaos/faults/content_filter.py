"""`content_filter`: Azure's content filter flags `category` (hate, self_harm, sexual, violence;
jailbreak on the prompt only) at `severity` (low, medium, high; default medium) `on` the prompt
(a 400 `content_filter` in the chat or the Responses shape) or the completion (a 200 cut short,
finish_reason "content_filter"; simulator only: the chaos proxy refuses it).

On the prompt it answers chat and completions requests (v1 and dated paths) with the 400 of
`wire.content_filter_prompt` and Responses requests with `wire.content_filter_prompt_responses`,
each flagging the category; other requests (models, embeddings, stored responses) pass. It runs
after the credential check, as Azure's filter does, so a bad key still gets its own 401. On the
completion it only sets `Effects.completion_filter`, which the chat and Responses handlers turn
into a filtered answer; the chaos proxy, which forwards the upstream's bodies untouched, refuses it.
"""

from __future__ import annotations

from typing import Any

from .. import wire
from .base import ActiveFault, Fault, FaultParamError, Params, Reply, RequestContext, register

ON = ("prompt", "completion")
CATEGORIES = ("hate", "self_harm", "sexual", "violence", "jailbreak")
PROMPT_ONLY = ("jailbreak",)  # prompt shields: a completion is never judged for them
SEVERITIES = ("low", "medium", "high")


@register
class ContentFilter(Fault):
    name = "content_filter"
    stage = "after_auth"

    def __init__(self, params: dict[str, Any] | None) -> None:
        p = Params(self.name, params)
        p._read.update(("on", "category"))  # required: checked below, after unknown keys
        severity_given = "severity" in p.raw
        self.severity = p.choice("severity", SEVERITIES, "medium")
        p.done()
        self.on = _required(p, "on", ON)
        self.category = _required(p, "category", CATEGORIES)
        if self.category in PROMPT_ONLY and self.on != "prompt":
            raise FaultParamError(
                f'content_filter: category "{self.category}" is a prompt shield and only applies with on = "prompt"; '
                "on the completion use hate, self_harm, sexual or violence"
            )
        if self.category in PROMPT_ONLY and severity_given:
            raise FaultParamError(
                f"content_filter: params.severity does not apply to {self.category} (a detection: detected or not); "
                "remove it"
            )

    def needs_simulator(self) -> str | None:
        if self.on == "completion":
            return (
                'content_filter with on = "completion" needs the simulator: the chaos proxy forwards the '
                'upstream\'s answers untouched and cannot filter them; use on = "prompt" here'
            )
        return None

    async def intercept(self, ctx: RequestContext, active: ActiveFault) -> Reply | None:
        if self.on == "completion":
            ctx.effects.completion_filter = (self.category, self.severity)
            return None
        api = _generation_api(ctx.method, ctx.path)
        if api is None:
            return None
        # imported here, not at the top: chaos.faults must load without the simulator package
        # (drill files are validated against the catalogue before the simulator is imported)
        from ..simulator import filters

        results = filters.prompt_results((self.category, self.severity))
        if api == "responses":
            entry = filters.content_filter_entry("prompt", results, _prompt_chars(ctx.body), raw=[])
            return Reply(400, wire.content_filter_prompt_responses(entry))
        return Reply(400, wire.content_filter_prompt(results))

    def describe(self) -> dict[str, Any]:
        return {"on": self.on, "category": self.category, "severity": self.severity}


def _required(p: Params, key: str, options: tuple[str, ...]) -> str:
    value = p.raw.get(key)
    if value not in options:
        got = "missing" if key not in p.raw else f"got {value!r}"
        raise FaultParamError(f"content_filter: params.{key} is required, one of {', '.join(options)}; {got}")
    return str(value)


def _generation_api(method: str, path: str) -> str | None:
    """Which API a request asks the model to answer: "chat" (chat completions and completions, v1
    and dated), "responses" (`/openai/v1/responses`, the dated `/openai/responses`), else None."""
    if method != "POST":
        return None
    if path.endswith("/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    return None


def _prompt_chars(body: Any) -> int:
    """How many characters of text a Responses request sends (its `input` and `instructions`)."""
    if not isinstance(body, dict):
        return 0
    return _text_chars(body.get("input")) + _text_chars(body.get("instructions"))


def _text_chars(value: Any) -> int:
    # a loop, not recursion: a body nested a thousand deep must not become a RecursionError
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(v for k, v in item.items() if k in ("content", "text", "output"))
    return total
