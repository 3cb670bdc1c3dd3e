"""`tools`, `tool_choice` and `parallel_tool_calls` of a Responses request: parsed into the shared
`tools.FunctionTool`, checked as the service checks them, and echoed the way the Response object
shows them.

A Responses function tool keeps `name`, `description`, `parameters` and `strict` on the tool
itself (chat nests them under `function`). The echo fills what the caller left out:
`description: null`, `parameters: null`, and `strict: true`, the Responses default (OpenAI's
reference example sends no `strict` and shows `strict: true`). An omitted `strict` is echoed as
true but not enforced, as in that example; `strict: true` sent explicitly holds the schema to the
structured-outputs rules. Hosted tool types (file_search, web_search, ...) are accepted and echoed
as sent but never called: the simulator runs no hosted tools, it answers in text instead.

Every refusal is Azure's 400 (`invalid_request_error`) naming the offending field in `param`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import schema
from .invalid import missing, refuse, wrong_type
from .tools import FunctionTool

__all__ = ["HOSTED_TOOL_TYPES", "NO_TOOLS", "ToolSetup", "parse"]

HOSTED_TOOL_TYPES = frozenset(
    {
        "file_search",
        "web_search",
        "web_search_preview",
        "web_search_2025_08_26",
        "web_search_preview_2025_03_11",
        "computer_use_preview",
        "computer",
        "code_interpreter",
        "image_generation",
        "mcp",
        "local_shell",
        "shell",
        "apply_patch",
        "custom",
    }
)
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_CHOICES = ("none", "auto", "required")


@dataclass(frozen=True, slots=True)
class ToolSetup:
    """What the answer may call and how the response echoes the request's tool settings.

    `functions` are the callable functions (narrowed by an `allowed_tools` choice); `choice` is
    `auto`, `none` or `required`; `forced` names the one function a named choice demands."""

    functions: tuple[FunctionTool, ...]
    choice: str
    forced: str | None
    parallel: bool
    tools_echo: list[dict[str, Any]]
    choice_echo: str | dict[str, Any]


NO_TOOLS = ToolSetup((), "auto", None, True, [], "auto")


def _function(raw: dict[str, Any], where: str) -> tuple[FunctionTool, dict[str, Any]]:
    name = raw.get("name")
    if name is None:
        raise missing(f"{where}.name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise refuse(
            f"Invalid '{where}.name': string does not match pattern. Expected a string that matches the pattern "
            "'^[a-zA-Z0-9_-]{1,64}$'.",
            f"{where}.name",
        )
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise wrong_type(f"{where}.description", "a string", description)
    parameters = raw.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise wrong_type(f"{where}.parameters", "an object", parameters)
    strict = raw.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise wrong_type(f"{where}.strict", "a boolean", strict)
    if parameters:
        problem = schema.schema_problem(parameters, strict is True)
        if problem:
            raise refuse(
                f"Invalid schema for function '{name}': {problem}", f"{where}.parameters", "invalid_function_parameters"
            )
    echo = {
        "type": "function",
        "description": description,
        "name": name,
        "parameters": parameters,
        "strict": strict is not False,
    }
    return FunctionTool(name, parameters, strict is True, description), echo


def _tools(raw: Any) -> tuple[list[FunctionTool], list[dict[str, Any]], set[str]]:
    """(functions, echo, hosted tool types present)."""
    if raw is None:
        return [], [], set()
    if not isinstance(raw, list):
        raise wrong_type("tools", "an array of objects", raw)
    functions: list[FunctionTool] = []
    echo: list[dict[str, Any]] = []
    hosted: set[str] = set()
    for i, tool in enumerate(raw):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise wrong_type(where, "an object", tool)
        kind = tool.get("type")
        if kind is None:
            raise missing(f"{where}.type")
        if kind == "function":
            function, shown = _function(tool, where)
            functions.append(function)
            echo.append(shown)
        elif kind in HOSTED_TOOL_TYPES:
            hosted.add(kind)
            echo.append(tool)
        else:
            supported = ", ".join(repr(t) for t in ("function", *sorted(HOSTED_TOOL_TYPES)))
            raise refuse(f"Invalid value: {kind!r}. Supported values are: {supported}.", f"{where}.type")
    return functions, echo, hosted


def _named(raw: Any, functions: list[FunctionTool], where: str) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    if not isinstance(name, str):
        raise missing(f"{where}.name")
    if all(f.name != name for f in functions):
        raise refuse(f"Tool choice 'function' with name '{name}' not found in 'tools' parameter.", "tool_choice")
    return name


def parse(body: Mapping[str, Any]) -> ToolSetup:
    """The request's tool settings; NO_TOOLS when it sets none of them."""
    raw_tools, raw_choice, raw_parallel = body.get("tools"), body.get("tool_choice"), body.get("parallel_tool_calls")
    if raw_tools is None and raw_choice is None and raw_parallel is None:
        return NO_TOOLS
    functions, tools_echo, hosted = _tools(raw_tools)
    if raw_parallel is not None and not isinstance(raw_parallel, bool):
        raise wrong_type("parallel_tool_calls", "a boolean", raw_parallel)
    parallel = raw_parallel is not False
    choice, forced = "auto", None
    choice_echo: str | dict[str, Any] = "auto"
    if isinstance(raw_choice, str):
        if raw_choice not in _CHOICES:
            raise refuse(
                f"Invalid value: {raw_choice!r}. Supported values are: 'none', 'auto', and 'required'.", "tool_choice"
            )
        if raw_choice == "required" and not functions and not hosted:
            raise refuse(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                "tool_choice",
            )
        choice = choice_echo = raw_choice
    elif isinstance(raw_choice, dict):
        kind = raw_choice.get("type")
        if kind == "function":
            forced = _named(raw_choice, functions, "tool_choice")
            choice, choice_echo = "required", {"type": "function", "name": forced}
        elif kind == "allowed_tools":
            mode, allowed = raw_choice.get("mode"), raw_choice.get("tools")
            if mode not in ("auto", "required"):
                raise refuse(
                    f"Invalid value: {mode!r}. Supported values are: 'auto' and 'required'.", "tool_choice.mode"
                )
            if not isinstance(allowed, list):
                raise wrong_type("tool_choice.tools", "an array of objects", allowed)
            names = {_named(t, functions, f"tool_choice.tools[{i}]") for i, t in enumerate(allowed)}
            functions = [f for f in functions if f.name in names]
            choice, choice_echo = mode, {"type": "allowed_tools", "mode": mode, "tools": allowed}
        elif kind in hosted:
            choice, choice_echo = "none", raw_choice  # a hosted tool the simulator does not run: answer in text
        else:
            raise refuse(f"Invalid value for 'tool_choice': {kind!r} is not a tool in 'tools'.", "tool_choice.type")
    elif raw_choice is not None:
        raise wrong_type("tool_choice", "a string or an object", raw_choice)
    return ToolSetup(tuple(functions), choice, forced, parallel, tools_echo, choice_echo)
