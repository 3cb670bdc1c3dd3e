"""Function tools: which of the caller's functions an answer calls, and with what arguments.

Shared by chat completions and the Responses API, which spell tools differently (chat nests the
function under `function`; Responses keeps `name` and `parameters` on the tool): each handler
parses its own spelling into `FunctionTool` and validates it; the decision is made here.

The decision (`choose`), deterministic for a given generator:
- `none` calls nothing; a named function is called alone.
- After a tool result (the last input is a `tool` message / `function_call_output` item), `auto`
  answers in text: the agent loop's second turn.
- Otherwise the functions the prompt names (by name, case-insensitive, `_` read as a space too) are
  called, all of them when parallel calls are allowed, else the first.
- When the prompt names none, `required` calls one function drawn from the generator; `auto` calls
  one with probability `AUTO_CALL_PROBABILITY`, else answers in text.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import schema

__all__ = ["AUTO_CALL_PROBABILITY", "FunctionTool", "PlannedCall", "call_id", "choose", "plan_calls"]

AUTO_CALL_PROBABILITY = 0.5
_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 24
_ID_TABLE = bytes(ord(_ID_ALPHABET[b % len(_ID_ALPHABET)]) for b in range(256))  # a random byte -> a character


@dataclass(frozen=True, slots=True)
class FunctionTool:
    """One function the caller offers: its name and the JSON schema of its arguments."""

    name: str
    parameters: Mapping[str, Any] | None = None
    strict: bool = False
    description: str | None = None
    _arguments: str | None = field(default=None, init=False, repr=False, compare=False)
    # the name as a prompt may say it (lower case; `_` read as a space too), for `choose`
    _said: tuple[str, str] = field(default=("", ""), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lower = self.name.lower()
        object.__setattr__(self, "_said", (lower, lower.replace("_", " ")))

    @property
    def arguments_json(self) -> str:
        """Arguments valid against `parameters`, as the JSON string the wire carries: built once
        per tool (chat_request hands the same tools to every request with the same array)."""
        arguments = self._arguments
        if arguments is None:
            arguments = schema.instance_json(self.parameters)
            object.__setattr__(self, "_arguments", arguments)  # a memo, not a change: frozen all the same
        return arguments


@dataclass(slots=True)  # not frozen (read-only by convention): a frozen __init__ cost a microsecond a call
class PlannedCall:
    """A function call an answer makes: `id` is the `call_...` id the caller answers with."""

    id: str
    tool: FunctionTool


def choose(
    tools: Sequence[FunctionTool],
    choice: str,
    forced: str | None,
    parallel: bool,
    prompt: str,
    after_tool_result: bool,
    rng: random.Random,
) -> list[FunctionTool]:
    """The functions this answer calls, in order; [] to answer in text.

    `choice` is `auto`, `none` or `required`; `forced` a function name the caller named (it must be
    one of `tools`: the handler has checked)."""
    if not tools or choice == "none":
        return []
    if forced is not None:
        return [t for t in tools if t.name == forced][:1]
    if after_tool_result and choice == "auto":
        return []
    text = prompt.lower()
    named = [t for t in tools if t._said[0] in text or t._said[1] in text]  # the functions the prompt names
    if named:
        return named if parallel else named[:1]
    if choice == "required" or rng.random() < AUTO_CALL_PROBABILITY:
        return [tools[int(rng.random() * len(tools))]]
    return []


def call_id(rng: random.Random, prefix: str = "call_") -> str:
    """A tool-call id in OpenAI's shape (`call_` and 24 letters and digits), from the generator.

    One draw of 24 random bytes mapped onto the 62 characters by a table (a draw per character
    cost measurably on the tool-call path of bench/simulator; the first 8 characters come out a
    little more often, which no caller can tell from an opaque id)."""
    # getrandbits(...).to_bytes is what Random.randbytes does in Python 3.11, without its call
    return prefix + rng.getrandbits(_ID_LENGTH * 8).to_bytes(_ID_LENGTH, "little").translate(_ID_TABLE).decode()


def plan_calls(chosen: Sequence[FunctionTool], rng: random.Random) -> list[PlannedCall]:
    """Each chosen function with a fresh call id."""
    return [PlannedCall(call_id(rng), tool) for tool in chosen]
