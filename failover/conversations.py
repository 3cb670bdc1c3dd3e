"""What the client keeps of each Responses conversation, so that a chain can continue when the
region holding `previous_response_id` is down or has lost the state: the whole conversation is then
resent as `input` (user and assistant turns alike) without the foreign id."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["Conversation", "Conversations", "input_items"]


@dataclass(frozen=True)
class Conversation:
    region: str  # where the stored response lives
    items: tuple[dict[str, Any], ...]  # every turn so far, oldest first


def input_items(value: Any) -> list[dict[str, Any]]:
    """A Responses `input` as a list of items (a plain string is one user message)."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list | tuple):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    return []


class Conversations:
    """Bounded memory of conversations by response id; the oldest go first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_id: OrderedDict[str, Conversation] = OrderedDict()

    def get(self, response_id: str | None) -> Conversation | None:
        if not response_id:
            return None
        found = self._by_id.get(response_id)
        if found is not None:
            self._by_id.move_to_end(response_id)
        return found

    def remember(self, response: Any, region: str, history: tuple[dict[str, Any], ...], sent: Any) -> None:
        """Record a finished response: the history it continued, what was sent, what came back."""
        response_id = getattr(response, "id", None)
        if not isinstance(response_id, str):
            return
        text = getattr(response, "output_text", "") or ""
        items = (*history, *input_items(sent), {"role": "assistant", "content": text})
        self._by_id[response_id] = Conversation(region, items)
        while len(self._by_id) > self.capacity:
            self._by_id.popitem(last=False)
