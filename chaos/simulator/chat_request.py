"""A chat completions request, parsed and validated the way Azure validates it.

`parse(body, deployment)` returns a `ChatRequest` or raises `Refusal` with the 400 Azure sends
(`invalid_request_error`, with the `param` and `code` its validator names; wordings and their
sources in docs/wire-notes.md section 17). The same checks run on the v1 and the legacy paths.

`ChatRequest.plain` is True for a request that uses none of the features that change the answer's
shape (tools, n > 1, logprobs, stop, a JSON response format, seed): chat.py answers those from the
prebuilt template, the path bench/simulator measures. `plain(body, deployment)` is that path's
parse: for a body with only the plain keys it runs the same checks and returns the four fields the
template needs, without building a `ChatRequest`.

Apps send the same `tools` array and the same `response_format` on request after request, so what
parsing one of them yields is cached per distinct value (keyed by its JSON bytes, the last
`CACHE_SIZE` of each): a repeated array is one encode and one lookup instead of every check again.
Only what was accepted is cached; a refused value is checked, and refused, every time.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from . import ops, schema, tokens
from .model import DeploymentSpec
from .tools import FunctionTool

ROLES = frozenset({"system", "user", "assistant", "tool", "function", "developer"})
_CHECKED_ROLES = ROLES - {"tool"}  # a message with one of these roles needs no further check
_ROLE_LIST = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
MAX_N = 128  # choices one request may ask for (`n` maximum in both specs)
MAX_TOP_LOGPROBS = 20
MAX_STOP_SEQUENCES = 4
MAX_TOOLS = 128
CACHE_SIZE = 256  # distinct tools arrays, and response formats, whose parse is remembered
_TOOL_CHOICES = ("none", "auto", "required")
_FORMATS = ("text", "json_object", "json_schema")
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# sampling knobs Azure range-checks; the simulator's answer does not depend on them
_RANGES = (
    ("temperature", 0.0, 2.0),
    ("top_p", 0.0, 1.0),
    ("presence_penalty", -2.0, 2.0),
    ("frequency_penalty", -2.0, 2.0),
)
_RANGE_KEYS = frozenset(key for key, _, _ in _RANGES)
_CHOICE_KEYS = frozenset({"n", "logprobs", "top_logprobs"})
# a body with only these keys is plain: parsing it skips every check of the other features
_BARE_KEYS = frozenset({"model", "messages", "max_tokens", "max_completion_tokens", "stream", "stream_options", "user"})
_PLAIN_KEYS = _BARE_KEYS | _RANGE_KEYS  # plain too, once the sampling knobs are range-checked


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs microseconds on the hot path
class ChatRequest:
    """What a valid request asks of the answer (read-only by convention).

    `max_tokens` is `max_completion_tokens` or else `max_tokens` (None: no limit asked).
    `tools_tokens` is what the tool definitions add to the prompt (names and schemas, as text).
    `tool_choice` is `auto`, `none` or `required`; `forced` names the function a named tool choice
    forces. `response_format` is `text`, `json_object` or `json_schema` (then `schema` is the
    caller's JSON schema, None when it sent none); for the JSON formats `document` is the JSON text
    the answer carries, an instance of `schema` (of any object without one), built once per format."""

    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    stream: bool = False
    include_usage: bool = False
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    tools: tuple[FunctionTool, ...] = ()
    tools_tokens: int = 0
    tool_choice: str = "none"
    forced: str | None = None
    parallel: bool = True
    response_format: str = "text"
    schema: Mapping[str, Any] | None = None
    document: str | None = None

    @property
    def plain(self) -> bool:
        return (
            self.n == 1
            and not self.tools
            and not self.logprobs
            and not self.stop
            and self.seed is None
            and self.response_format == "text"
        )

    @property
    def after_tool_result(self) -> bool:
        """The last message is a tool's result: the agent loop's second turn."""
        return self.messages[-1].get("role") in ("tool", "function")

    @property
    def prompt(self) -> str:
        """The text of the last user message (the one a model answers)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")  # a string, as a rule: message_text for the rest
                return content if type(content) is str else message_text(message)
        return ""


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text: its string content, or the `text` of its content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


# what the template path needs of a plain request: (messages, max_tokens, stream, include_usage), each
# as `ChatRequest` holds it; a bare tuple, as a NamedTuple's __new__ cost a fifth of `plain` itself
PlainFields = tuple[list[dict[str, Any]], int | None, bool, bool]


def plain(body: dict[str, Any], deployment: DeploymentSpec) -> PlainFields | None:
    """A body with only the plain keys, checked as `parse` checks it (`Refusal` the same way);
    None for any other body, which `parse` then reads. Written for the hot path: a `ChatRequest`
    of fifteen fields cost more than every check of a plain body (bench/simulator)."""
    bare = _BARE_KEYS.issuperset(body)  # a set method over the keys: cheaper than keys() <= set
    if not bare and not _PLAIN_KEYS.issuperset(body):
        return None
    messages = _messages(body.get("messages"))
    if not bare:
        for key, low, high in _RANGES:
            ops.optional_number(body, key, low, high)
    options = body.get("stream_options")
    include_usage = options.get("include_usage") is True if type(options) is dict else False
    return messages, _max_tokens(body, deployment), body.get("stream") is True, include_usage


def parse(body: dict[str, Any], deployment: DeploymentSpec) -> ChatRequest:
    """The request in `body`, checked in the order Azure reports problems; `Refusal` (400) otherwise."""
    messages = _messages(body.get("messages"))
    if not _RANGE_KEYS.isdisjoint(body):
        for key, low, high in _RANGES:
            ops.optional_number(body, key, low, high)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    if body.keys() <= _PLAIN_KEYS:  # the common case, and bench/simulator's
        return ChatRequest(messages, _max_tokens(body, deployment), body.get("stream") is True, include_usage)
    # each field below is read only when the body has it: a call per absent field cost as much as
    # the rest of the parse (bench/simulator); absent, each is what its check returns for None
    n, logprobs, top_logprobs = 1, False, None
    if not _CHOICE_KEYS.isdisjoint(body):
        n = ops.optional_integer(body, "n", 1, MAX_N) or 1
        logprobs = ops.optional_bool(body, "logprobs") or False
        top_logprobs = ops.optional_integer(body, "top_logprobs", 0, MAX_TOP_LOGPROBS)
        if top_logprobs is not None and not logprobs:
            ops.refuse(
                "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
                "top_logprobs",
                "invalid_value",
            )
    seed = ops.optional_integer(body, "seed", -(2**63), 2**63 - 1) if "seed" in body else None
    max_tokens = _max_tokens(body, deployment)
    stop = _stop(body["stop"]) if "stop" in body else ()
    tools, tools_tokens = _tools(body["tools"]) if "tools" in body else ((), 0)
    tool_choice, forced = _tool_choice(body, tools)
    parallel = ops.optional_bool(body, "parallel_tool_calls") if "parallel_tool_calls" in body else None
    if parallel is not None and not tools:
        ops.refuse(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are "
            "specified.",
            "parallel_tool_calls",
            None,
        )
    response_format, response_schema, document = (
        _response_format(body["response_format"], messages) if "response_format" in body else ("text", None, None)
    )
    return ChatRequest(  # positional, in the fields' order: keywords cost half a microsecond more
        messages,
        max_tokens,
        body.get("stream") is True,
        include_usage,
        n,
        logprobs,
        top_logprobs or 0,
        stop,
        seed,
        tools,
        tools_tokens,
        tool_choice,
        forced,
        parallel is not False,
        response_format,
        response_schema,
        document,
    )


def _non_empty_array(value: Any, key: str) -> None:
    """Azure's 400 unless `value` (the body's `key`) is an array with at least one item."""
    if not isinstance(value, list):
        ops.refuse(
            f"Invalid type for '{key}': expected an array, but got {ops.json_kind(value)} instead.", key, "invalid_type"
        )
    if not value:
        ops.refuse(
            f"Invalid '{key}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            key,
            "empty_array",
        )


def _messages(messages: Any) -> list[dict[str, Any]]:
    if type(messages) is list and messages:
        for message in messages:  # the common case first: objects with a role that needs no more
            if type(message) is not dict or (role := message.get("role")).__class__ is not str:
                break
            if role not in _CHECKED_ROLES:
                break
        else:
            return messages
    if messages is None:
        ops.refuse("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
    _non_empty_array(messages, "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            ops.refuse(
                f"Invalid type for 'messages[{i}]': expected an object, but got {ops.json_kind(message)} instead.",
                f"messages[{i}]",
                "invalid_type",
            )
        role = message.get("role")
        if role is None:
            ops.refuse(
                f"Missing required parameter: 'messages[{i}].role'.",
                f"messages[{i}].role",
                "missing_required_parameter",
            )
        if not isinstance(role, str) or role not in ROLES:  # a list or an object is not hashable
            shown = role if isinstance(role, str) else ops.json_kind(role)
            ops.refuse(
                f"Invalid value: '{shown}'. Supported values are: {_ROLE_LIST}.", f"messages[{i}].role", "invalid_value"
            )
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            # the observed wording and param spelling (`messages.[3]`), both as Azure sends them
            ops.refuse(
                "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
                f"messages.[{i}].tool_call_id",
                None,
            )
    return messages


def _max_tokens(body: dict[str, Any], deployment: DeploymentSpec) -> int | None:
    """`max_completion_tokens`, else `max_tokens`; None when neither is set (written for the hot path)."""
    key = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    value = body.get(key)
    if value is None:
        return None
    if type(value) is not int or value < 1:
        ops.optional_integer(body, key, 1)  # refuses, in the validator's words
    limit = deployment.max_output_tokens
    if value > limit:
        ops.refuse(
            f"{key} is too large: {value}. This model supports at most {limit} completion tokens, "
            f"whereas you provided {value}.",
            key,
            None,
        )
    return value


def _stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, str):
        return (stop,) if stop else ()
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        ops.refuse(
            f"Invalid type for 'stop': expected one of a string or an array of strings, but got {ops.json_kind(stop)} "
            "instead.",
            "stop",
            "invalid_type",
        )
    if not stop:
        ops.refuse(
            "Invalid 'stop': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            "stop",
            "empty_array",
        )
    if len(stop) > MAX_STOP_SEQUENCES:
        ops.refuse(
            f"Invalid 'stop': array too long. Expected an array with maximum length {MAX_STOP_SEQUENCES}, but got an "
            f"array with length {len(stop)} instead.",
            "stop",
            "array_above_max_length",
        )
    return tuple(s for s in stop if s)


_ParsedTools = tuple[tuple[FunctionTool, ...], int]
_tools_cache: OrderedDict[bytes, _ParsedTools] = OrderedDict()
_Format = tuple[str, Mapping[str, Any] | None, str | None]  # (response_format, schema, document)
_formats_cache: OrderedDict[bytes, _Format] = OrderedDict()
_FREE_OBJECT_DOCUMENT = schema.instance_json({"type": "object"})  # json_object: some JSON object
_V = TypeVar("_V")


def _cache_key(value: Any) -> bytes | None:
    """`value`'s JSON bytes, the key of the caches above; None for a value JSON cannot carry (a
    body built in Python, not parsed): it is then parsed without the cache."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None


def _remember(cache: OrderedDict[bytes, _V], key: bytes | None, value: _V) -> _V:
    if key is not None:
        cache[key] = value
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)  # the oldest first (popitem: one step, safe between threads)
    return value


def _tools(tools: Any) -> _ParsedTools:
    """The functions of `tools` and the prompt tokens their definitions count for; cached."""
    if tools is None:
        return (), 0
    key = _cache_key(tools)
    known = _tools_cache.get(key) if key is not None else None
    if known is not None:
        return known
    _non_empty_array(tools, "tools")
    if len(tools) > MAX_TOOLS:
        ops.refuse(
            f"Invalid 'tools': array too long. Expected an array with maximum length {MAX_TOOLS}, but got an array "
            f"with length {len(tools)} instead.",
            "tools",
            "array_above_max_length",
        )
    parsed = tuple(_tool(i, tool) for i, tool in enumerate(tools))
    count = sum(tokens.text_tokens(t.name) + tokens.text_tokens(orjson.dumps(t.parameters).decode()) for t in parsed)
    return _remember(_tools_cache, key, (parsed, count))


def _tool(i: int, tool: Any) -> FunctionTool:
    where = f"tools[{i}]"
    if not isinstance(tool, dict):
        ops.refuse(
            f"Invalid type for '{where}': expected an object, but got {ops.json_kind(tool)} instead.",
            where,
            "invalid_type",
        )
    kind = tool.get("type")
    if kind is None:
        ops.refuse(f"Missing required parameter: '{where}.type'.", f"{where}.type", "missing_required_parameter")
    if kind != "function":
        shown = kind if isinstance(kind, str) else ops.json_kind(kind)
        ops.refuse(f"Invalid value: '{shown}'. Supported values are: 'function'.", f"{where}.type", "invalid_value")
    function = tool.get("function")
    if not isinstance(function, dict):
        ops.refuse(
            f"Missing required parameter: '{where}.function'.", f"{where}.function", "missing_required_parameter"
        )
    name = function.get("name")
    if not isinstance(name, str) or not name:
        ops.refuse(
            f"Missing required parameter: '{where}.function.name'.",
            f"{where}.function.name",
            "missing_required_parameter",
        )
    if not _NAME.fullmatch(name):
        ops.refuse(
            f"Invalid '{where}.function.name': string does not match pattern. Expected a string that matches the "
            "pattern '^[a-zA-Z0-9_-]+$'.",
            f"{where}.function.name",
            "invalid_value",
        )
    strict = function.get("strict") is True
    parameters = function.get("parameters")
    if parameters is not None or strict:
        problem = schema.schema_problem(parameters if parameters is not None else {}, strict)
        if problem:
            ops.refuse(
                f"Invalid schema for function '{name}': {problem}",
                f"{where}.function.parameters",
                "invalid_function_parameters",
            )
    description = function.get("description")
    return FunctionTool(
        name=name,
        parameters=parameters,
        strict=strict,
        description=description if isinstance(description, str) else None,
    )


def _tool_choice(body: dict[str, Any], tools: tuple[FunctionTool, ...]) -> tuple[str, str | None]:
    choice = body.get("tool_choice")
    if choice is None:
        return ("auto" if tools else "none"), None
    if not tools:
        ops.refuse(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
            None,
        )
    if isinstance(choice, str):
        if choice not in _TOOL_CHOICES:
            ops.refuse(
                f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                "tool_choice",
                "invalid_value",
            )
        return choice, None
    function = choice.get("function") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or not isinstance(function, dict):
        ops.refuse(
            "Invalid value for 'tool_choice': expected one of 'none', 'auto', 'required' or "
            '{"type": "function", "function": {"name": ...}}.',
            "tool_choice",
            "invalid_value",
        )
    name = function.get("name")
    if not isinstance(name, str):
        ops.refuse(
            "Missing required parameter: 'tool_choice.function.name'.",
            "tool_choice.function.name",
            "missing_required_parameter",
        )
    if all(t.name != name for t in tools):
        ops.refuse("Tool choice 'function' not found in 'tools' parameter.", "tool_choice", None)
    return "required", name


def _response_format(value: Any, messages: list[dict[str, Any]]) -> _Format:
    """(`text`, `json_object` or `json_schema`, the schema, the document); a json_schema format is
    cached (the json_object check reads the messages, so that one is not)."""
    if value is None:
        return "text", None, None
    key = _cache_key(value) if type(value) is dict and value.get("type") == "json_schema" else None
    known = _formats_cache.get(key) if key is not None else None
    if known is not None:
        return known
    return _remember(_formats_cache, key, _check_format(value, messages))


def _check_format(value: Any, messages: list[dict[str, Any]]) -> _Format:
    if not isinstance(value, dict):
        ops.refuse(
            f"Invalid type for 'response_format': expected an object, but got {ops.json_kind(value)} instead.",
            "response_format",
            "invalid_type",
        )
    kind = value.get("type")
    if kind is None:
        ops.refuse(
            "Missing required parameter: 'response_format.type'.", "response_format.type", "missing_required_parameter"
        )
    if kind not in _FORMATS:
        shown = kind if isinstance(kind, str) else ops.json_kind(kind)
        ops.refuse(
            f"Invalid value: '{shown}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
            "response_format.type",
            "invalid_value",
        )
    if kind == "text":
        return "text", None, None
    if kind == "json_object":
        if not any("json" in message_text(m).lower() for m in messages):
            ops.refuse(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                "messages",
                None,
            )
        return "json_object", None, _FREE_OBJECT_DOCUMENT
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        ops.refuse(
            "Missing required parameter: 'response_format.json_schema'.",
            "response_format.json_schema",
            "missing_required_parameter",
        )
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        ops.refuse(
            "Missing required parameter: 'response_format.json_schema.name'.",
            "response_format.json_schema.name",
            "missing_required_parameter",
        )
    given = spec.get("schema")
    strict = spec.get("strict") is True
    if given is not None or strict:
        problem = schema.schema_problem(given if given is not None else {}, strict)
        if problem:
            ops.refuse(f"Invalid schema for response_format '{name}': {problem}", "response_format", None)
    return "json_schema", given, schema.instance_json(given) if given else _FREE_OBJECT_DOCUMENT
