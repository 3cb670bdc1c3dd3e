"""Validate bodies against the published schemas vendored next to this file.

    assert_valid(body, "azure-v1/AzureCreateChatCompletionResponse")

A name is `<file>/<schema>`: the file is one of the vendored documents (`openai`, `azure-v1`,
`azure-2024-10-21`, `azure-authoring-2024-10-21`, see README.md), the schema one of its `$defs`;
`schema_names()` lists them all, `stream_event_schema(type)` names the one of a Responses event.
`assert_valid` raises an AssertionError that lists every problem with its JSON path, the rule that
failed (the named schema it belongs to and the keyword) and what was sent, so one failed run says
everything that is wrong.

Where Azure's observed wire and a published schema disagree, the observed wire wins, but only
through `DEVIATIONS`: each a named, narrow rule (which field, which value, in which body) with a
one-line reason and its entry in docs/wire-notes.md (section 14). `assert_valid` returns the names
of the deviations it relied on, so a test can pin them. Nothing else loosens a schema.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

HERE = Path(__file__).parent
DOCUMENTS = ("openai", "azure-v1", "azure-2024-10-21", "azure-authoring-2024-10-21")
MESSAGE_CHARS = 160  # a problem's message is cut here: a failed anyOf would print the whole body


@dataclass(frozen=True)
class Problem:
    """One way a body breaks a schema."""

    path: str  # JSON path in the body, `$.choices[0].delta`
    rule: str  # where the failing keyword lives, `ResponseUsage/properties/input_tokens_details: required`
    message: str
    keyword: str  # the failing JSON Schema keyword (`required`, `enum`, `type`, ...)
    value: Any  # the part of the body that failed


@dataclass(frozen=True)
class Deviation:
    """An observed Azure wire fact a published schema contradicts; `allows(body, problem)` is True
    only for the one field and value the fact is about."""

    name: str
    reason: str
    allows: Callable[[Any, Problem], bool]


def _annotation_chunk(body: Any, problem: Problem) -> bool:
    return (
        problem.path == "$.object"
        and problem.value == ""
        and isinstance(body, dict)
        and body.get("id") == ""
        and body.get("choices") == []
        and "prompt_filter_results" in body
    )


def _error_body(body: Any) -> bool:
    """An error answer: `{"error": {...}}` and nothing else (a Response's own `error` is not one)."""
    return isinstance(body, dict) and set(body) == {"error"}


def _error_field_null(body: Any, problem: Problem) -> bool:
    fields = ("$.error.code", "$.error.param", "$.error.type")
    return _error_body(body) and problem.path in fields and problem.value is None


def _error_type_named(body: Any, problem: Problem) -> bool:
    named = problem.keyword == "enum" and isinstance(problem.value, str)
    return _error_body(body) and problem.path == "$.error.type" and named


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "prompt-annotation-chunk",
        "Azure's first stream chunk carries only prompt_filter_results, with an empty object, id and model "
        "(the schemas say object is always chat.completion.chunk)",
        _annotation_chunk,
    ),
    Deviation(
        "error-field-null",
        "Azure sends null error.code, error.param and error.type (Azure's schemas type them as non-null strings)",
        _error_field_null,
    ),
    Deviation(
        "error-type-named",
        "Azure's error.type is invalid_request_error or server_error (the v1 schema says it is always 'error')",
        _error_type_named,
    ),
)


@functools.cache
def _document(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.json").read_text())  # type: ignore[no-any-return]


@functools.cache
def _owners(document: str) -> dict[int, str]:
    """id(sub-schema) -> `Name/json/pointer` for every schema object in a document, so a failed
    keyword is reported by the named schema it belongs to (jsonschema keeps the objects)."""
    owners: dict[int, str] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            owners.setdefault(id(node), where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    for name, schema in _document(document)["$defs"].items():
        walk(schema, name)
    return owners


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    document, _, schema = name.partition("/")
    if document not in DOCUMENTS or schema not in _document(document)["$defs"]:
        raise KeyError(f"no published schema {name!r}; schema_names() lists them")
    defs = _document(document)["$defs"]
    return Draft202012Validator({"$ref": f"#/$defs/{schema}", "$defs": defs})


def schema_names() -> list[str]:
    """Every name `validate` and `assert_valid` accept."""
    return [f"{document}/{schema}" for document in DOCUMENTS for schema in _document(document)["$defs"]]


@functools.cache
def _event_schemas() -> dict[str, str]:
    defs = _document("openai")["$defs"]
    found = {}
    for branch in defs["ResponseStreamEvent"]["anyOf"]:
        name = branch["$ref"].rpartition("/")[2]
        for event_type in defs[name]["properties"]["type"]["enum"]:
            found[event_type] = f"openai/{name}"
    return found


def stream_event_schema(event_type: str) -> str:
    """The schema of one Responses stream event type (`response.created` -> `openai/ResponseCreatedEvent`),
    read from the branches of OpenAI's `ResponseStreamEvent`; KeyError for a type it does not list."""
    try:
        return _event_schemas()[event_type]
    except KeyError:
        raise KeyError(f"OpenAI's ResponseStreamEvent lists no event type {event_type!r}") from None


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _not_meant(errors: list[ValidationError]) -> bool:
    """True when a branch of an anyOf/oneOf failed on its discriminator (`type` or `object` has
    another value) or on the JSON type itself: the body never meant to be that branch."""
    for error in errors:
        here = list(error.relative_path)
        if here == [] and error.validator == "type":
            return True
        if here in (["type"], ["object"]) and error.validator in ("enum", "const"):
            return True
    return False


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors that say what is wrong: for a failed anyOf/oneOf, all those of the branch the body
    meant (the one whose discriminator matched), else of the branch holding jsonschema's best match.
    All of one branch, so a deviation that excuses them all really makes that branch pass."""
    if not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    meant = [errors for errors in branches.values() if not _not_meant(errors)]
    if not meant:  # no branch has this `type` (or JSON type): the choice itself is the problem
        yield error
        return
    if len(meant) == 1:
        chosen = meant[0]
    else:
        best = best_match(error.context)  # may sit deep inside a branch: climb to the branch's own error
        while best.parent is not None and best.parent is not error:
            best = best.parent
        chosen = branches[best.relative_schema_path[0]]
    for sub in chosen:
        yield from _leaves(sub)


def problems(instance: Any, name: str) -> list[Problem]:
    """Every problem `instance` has against the schema `name`, deviations not applied."""
    owners = _owners(name.partition("/")[0])
    found = []
    for error in _validator(name).iter_errors(instance):
        for leaf in _leaves(error):
            owner = owners.get(id(leaf.schema), "/".join(map(str, leaf.absolute_schema_path)))
            message = leaf.message
            if leaf.context:  # an anyOf/oneOf none of whose branches fits: say so without printing the body
                kind = leaf.instance.get("type") if isinstance(leaf.instance, dict) else type(leaf.instance).__name__
                message = f"{kind!r} fits none of the {len(leaf.validator_value)} alternatives"
            elif len(message) > MESSAGE_CHARS:
                message = message[:MESSAGE_CHARS] + "..."
            rule = f"{owner}: {leaf.validator}"
            found.append(Problem(_json_path(leaf), rule, message, str(leaf.validator), leaf.instance))
    return found


def validate(instance: Any, name: str) -> tuple[list[Problem], tuple[str, ...]]:
    """(problems no deviation allows, names of the deviations that allowed the others)."""
    left, used = [], []
    for problem in problems(instance, name):
        allowed = next((d.name for d in DEVIATIONS if d.allows(instance, problem)), None)
        if allowed is None:
            left.append(problem)
        elif allowed not in used:
            used.append(allowed)
    return left, tuple(used)


def assert_valid(instance: Any, name: str, what: str = "") -> tuple[str, ...]:
    """Raise AssertionError listing every problem; return the deviations relied on."""
    left, used = validate(instance, name)
    if left:
        lines = [f"{what or 'body'} breaks {name} ({len(left)} problem{'s' * (len(left) > 1)}):"]
        lines += [f"  {p.path}: {p.message}  [{p.rule}]" for p in left]
        if used:
            lines.append(f"  (allowed deviations: {', '.join(used)})")
        raise AssertionError("\n".join(lines))
    return used
