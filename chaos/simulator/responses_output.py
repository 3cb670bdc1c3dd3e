"""What a Responses answer says, before it is sent: its output items as token fragments, cut short
when the output budget runs out or the output content filter stops it, and the Response object
built from them in the shape the published `Response` schema requires.

An answer is a list of `Item`s: one assistant message (plain words, or the JSON text of a
structured output) or one `function_call` per function the answer calls (its arguments the JSON
text `tools.FunctionTool.arguments_json` builds). Each item's text is a list of fragments, one
token each, so the plain response, the stored one and the stream are all cut from the same list:

- `max_output_tokens` below the fragments' count: the answer stops there, `status: "incomplete"`,
  `incomplete_details.reason: "max_output_tokens"`.
- the content_filter fault on the completion (`Effects.completion_filter`): the answer stops
  half-way, `status: "incomplete"`, `incomplete_details.reason: "content_filter"`, and the
  completion's entry in Azure's `content_filters` flags the category (every finished response
  carries that list, the prompt's entry and the completion's; `filters.responses_content_filters`).

An item the cut reaches is `incomplete`; items after it are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import filters

__all__ = ["FRAGMENT_CHARS", "Item", "Output", "fragments", "response_object"]

FRAGMENT_CHARS = 4  # one token of JSON text: the rule of thumb tokens.text_tokens counts by


def fragments(text: str) -> list[str]:
    """`text` in token-sized pieces that join back to it."""
    return [text[i : i + FRAGMENT_CHARS] for i in range(0, len(text), FRAGMENT_CHARS)] or [""]


@dataclass(slots=True)
class Item:
    """One output item: a `message` (with `text` fragments) or a `function_call` (with `arguments`
    fragments, `call_id` and `name`)."""

    kind: str
    id: str
    parts: list[str]
    call_id: str = ""
    name: str = ""
    complete: bool = True

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def status(self) -> str:
        return "completed" if self.complete else "incomplete"

    def content_part(self, text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def wire(self, status: str | None = None, empty: bool = False) -> dict[str, Any]:
        """The item as the Response's `output` carries it; `empty` for the stream's first sight of it."""
        status = status or self.status
        if self.kind == "function_call":
            return {
                "id": self.id,
                "type": "function_call",
                "status": status,
                "arguments": "" if empty else self.text,
                "call_id": self.call_id,
                "name": self.name,
            }
        return {
            "id": self.id,
            "type": "message",
            "status": status,
            "content": [] if empty else [self.content_part(self.text)],
            "role": "assistant",
        }

    def conversation_entry(self) -> dict[str, Any]:
        """The item as a stored conversation keeps it, for a chained follow-up to read."""
        if self.kind == "function_call":
            return {"type": "function_call", "call_id": self.call_id, "name": self.name, "arguments": self.text}
        return {"type": "message", "role": "assistant", "content": self.text}


@dataclass(slots=True)
class Output:
    """The answer's items and why it stopped early (None: it did not)."""

    items: list[Item]
    reason: str | None = None
    flag: tuple[str, str] | None = None  # the content filter's (category, severity), when it cut the answer
    tokens: int = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = sum(len(i.parts) for i in self.items)

    def cut(self, keep_tokens: int, reason: str) -> None:
        """Keep the first `keep_tokens` fragments; the item the cut falls in becomes incomplete."""
        kept: list[Item] = []
        left = keep_tokens
        for item in self.items:
            if left >= len(item.parts):
                kept.append(item)
                left -= len(item.parts)
                continue
            item.parts = item.parts[:left]
            item.complete = False
            kept.append(item)
            break
        self.items = kept
        self.reason = reason
        self.tokens = sum(len(i.parts) for i in kept)

    def limit(self, max_output_tokens: int | None, flag: tuple[str, str] | None) -> None:
        """Apply the output budget and the completion content filter, in the order the service would."""
        if flag is not None:
            self.flag = flag
            self.cut(min(self.tokens // 2, max_output_tokens or self.tokens), "content_filter")
        elif max_output_tokens is not None and max_output_tokens < self.tokens:
            self.cut(max_output_tokens, "max_output_tokens")

    @property
    def status(self) -> str:
        return "completed" if self.reason is None else "incomplete"


def response_object(
    base: dict[str, Any], output: Output, input_tokens: int, prompt_chars: int, completed_at: int | None
) -> dict[str, Any]:
    """The finished Response: `base` (the request echo, built once per request) with the answer,
    its status, usage and Azure's `content_filters` (`prompt_chars`: the text the prompt filter
    judged)."""
    completion_chars = sum(len(item.text) for item in output.items)
    return {
        **base,
        "status": output.status,
        "completed_at": completed_at if output.reason is None else None,
        "incomplete_details": None if output.reason is None else {"reason": output.reason},
        "content_filters": filters.responses_content_filters(prompt_chars, completion_chars, output.flag),
        "output": [item.wire() for item in output.items],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output.tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output.tokens,
        },
    }
