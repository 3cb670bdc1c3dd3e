"""JSON Schema in the simulator: an instance that a schema accepts, and the schema checks Azure makes.

Tool-call arguments and structured outputs (`response_format` / `text.format` json_schema) must be
valid against the caller's schema, or the SDK's `parse()` and LangChain's `with_structured_output`
fail for reasons that have nothing to do with the region. `instance_json(schema)` builds one
deterministic instance per distinct schema and caches its JSON text, so the hot path pays one dict
lookup (keyed by the schema's canonical bytes) after the first request.

The generator covers what pydantic, zod and hand-written tool schemas use: `type` (one or a list),
`enum`, `const`, `anyOf` / `oneOf` (first option that is not `null`), `allOf` (merged), local `$ref`
(`#/$defs/...`, `#/definitions/...`), `properties` / `required`, `items` / `prefixItems`,
`minItems`, string `minLength` / `maxLength` / `format`, numeric bounds, `default`. Optional
properties are filled too (a populated object is what callers test with), except beyond
`MAX_DEPTH`, where recursion through `$ref` stops at the required fields and nullable ones
(`anyOf` with null, a type list with "null") are null.

`schema_problem(schema, strict)` returns what Azure says about a schema it refuses (None when it
accepts it): not an object, an unknown `type`, and under `strict: true` the structured-outputs rules
(every object has `additionalProperties: false` and lists every property in `required`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["MAX_DEPTH", "instance", "instance_json", "schema_problem"]

MAX_DEPTH = 8  # nesting at which optional properties and array items stop being filled, nullable unions give null
_HARD_DEPTH = 64  # nesting at which building stops whatever the schema says (never a RecursionError)
_CACHE_SIZE = 1024
_cache: OrderedDict[bytes, str] = OrderedDict()
_problems: OrderedDict[bytes, str | None] = OrderedDict()
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "duration": "PT1M",
}


def instance_json(schema: Mapping[str, Any] | None) -> str:
    """The JSON text of an instance `schema` accepts (`{}` for no schema); cached per schema."""
    if not schema:
        return "{}"
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    text = _cache.get(key)
    if text is None:
        text = orjson.dumps(instance(schema)).decode()
        _cache[key] = text
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return text


def instance(schema: Mapping[str, Any]) -> Any:
    """A value `schema` accepts, built without randomness (the same schema, the same value)."""
    return _Builder(schema).build(schema, 0, "value")


class _Builder:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < 32:
            target: Any = self.root
            ref: str = schema["$ref"]
            parts = ref.removeprefix("#").strip("/").split("/") if ref.startswith("#") else ["?"]
            for part in parts if parts != [""] else []:  # "#" alone is the root
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, Mapping) else None
            if not isinstance(target, Mapping):
                return {}
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest}
            seen += 1
        return schema

    def build(self, schema: Any, depth: int, name: str) -> Any:
        if not isinstance(schema, Mapping):
            return {} if schema is not False else None
        if depth > _HARD_DEPTH:  # a schema no finite instance satisfies (a required, non-nullable cycle)
            return None
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                if depth >= MAX_DEPTH and any(_is_null(self.resolve(o)) for o in options):
                    return None  # deep enough: a nullable branch ends recursion through a required $ref
                chosen = next((o for o in options if not _is_null(self.resolve(o))), options[0])
                merged = {k: v for k, v in schema.items() if k != key}
                return self.build({**merged, **self.resolve(chosen)}, depth, name)
        parts = schema.get("allOf")
        if isinstance(parts, list) and parts:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in parts:
                part = self.resolve(part) if isinstance(part, Mapping) else {}
                merged = _merge(merged, part)
            return self.build(merged, depth, name)
        kind = _type_of(schema)
        if depth >= MAX_DEPTH and isinstance(schema.get("type"), list) and "null" in schema["type"]:
            return None
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth, name)
        if kind == "string":
            return _string(schema, name)
        if kind == "integer":
            return int(_number(schema, integer=True))
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return True
        return None

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = schema.get("required")
        required = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        names = list(properties) if depth < MAX_DEPTH else [r for r in required if r in properties]
        value = {key: self.build(properties[key], depth + 1, key) for key in names}
        for key in required:  # required but not described: any value will do
            value.setdefault(key, "sample")
        if not value and not properties and schema.get("additionalProperties", True) is not False and depth == 0:
            value = {"answer": "sample"}  # a free-form object (json_object mode): never an empty one
        return value

    def array(self, schema: Mapping[str, Any], depth: int, name: str) -> list[Any]:
        prefix = schema.get("prefixItems")
        value = [self.build(p, depth + 1, name) for p in prefix] if isinstance(prefix, list) else []
        items = schema.get("items")
        minimum = schema.get("minItems")
        wanted = minimum if isinstance(minimum, int) and minimum > 0 else (1 if depth < MAX_DEPTH else 0)
        maximum = schema.get("maxItems")
        if isinstance(maximum, int):
            wanted = min(wanted, maximum)
        if items is not False:
            while len(value) < wanted:
                value.append(self.build(items if isinstance(items, Mapping) else {}, depth + 1, name))
        return value


def _is_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "null" or ("const" in schema and schema["const"] is None)


def _type_of(schema: Mapping[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "additionalProperties" in schema or "required" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return None


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**a, **b}
    if isinstance(a.get("properties"), Mapping) and isinstance(b.get("properties"), Mapping):
        merged["properties"] = {**a["properties"], **b["properties"]}
    if isinstance(a.get("required"), list) and isinstance(b.get("required"), list):
        merged["required"] = [*a["required"], *(r for r in b["required"] if r not in a["required"])]
    return merged


def _string(schema: Mapping[str, Any], name: str) -> str:
    text = _FORMATS.get(str(schema.get("format")), f"sample {name}".replace("_", " "))
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    if isinstance(high, int) and high >= 0 and len(text) > high:
        text = text[:high]
    return text


def _number(schema: Mapping[str, Any], integer: bool) -> float:
    """The lower bound when there is one (just above an exclusive one), else 1, kept under the upper bound."""
    low, low_open = _bound(schema, "minimum", "exclusiveMinimum")
    high, high_open = _bound(schema, "maximum", "exclusiveMaximum")
    value: float = 1
    if low is not None:
        value = low + (1 if low_open else 0)
    if high is not None and (value > high or (high_open and value >= high)):
        value = high - (1 if high_open else 0)
        if high_open and not integer and low is not None and value <= low:
            value = (low + high) / 2  # a narrow open interval: its middle
    step = schema.get("multipleOf")
    if _is_number(step) and step > 0:
        value = (int(value // step) + (1 if value % step else 0)) * step
    return int(value) if integer else float(value)


def _bound(schema: Mapping[str, Any], closed: str, open_: str) -> tuple[float | None, bool]:
    """(the bound, whether it is exclusive); an inclusive bound wins when both are given."""
    if _is_number(schema.get(closed)):
        return schema[closed], False
    if _is_number(schema.get(open_)):
        return schema[open_], True
    return None, False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def schema_problem(schema: Any, strict: bool) -> str | None:
    """Why Azure refuses `schema` (a tool's `parameters` or a response format's `schema`), or None.

    The wording follows the service's: the caller sees it as the 400's `message`. Cached per
    distinct schema and mode, like `instance_json` (every request carrying tools asks again)."""
    if not isinstance(schema, Mapping):
        return "schema must be a JSON Schema object."
    key = (b"s" if strict else b"l") + orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    if key in _problems:
        return _problems[key]
    problem = _problem(schema, strict)
    _problems[key] = problem
    if len(_problems) > _CACHE_SIZE:
        _problems.popitem(last=False)
    return problem


def _problem(schema: Mapping[str, Any], strict: bool) -> str | None:
    root = _Builder(schema).resolve(schema)
    if strict and _type_of(root) != "object":
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: {json.dumps(root.get('type'))}'."
    return _walk(schema, (), strict, 0)


def _walk(schema: Any, path: tuple[str, ...], strict: bool, depth: int) -> str | None:
    if not isinstance(schema, Mapping) or depth > 64:
        return None
    where = f"In context=({', '.join(repr(p) for p in path)})"
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if not isinstance(k, str) or k not in _TYPES:
            return (
                f"{where}, {k!r} is not valid under any of the given schemas ('type' must be one of {sorted(_TYPES)})."
            )
    if strict and _type_of(schema) == "object" and "$ref" not in schema and "anyOf" not in schema:
        if schema.get("additionalProperties") is not False:
            return f"{where}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        missing = [p for p in properties if p not in required]
        if missing:
            return (
                f"{where}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
    children: list[tuple[tuple[str, ...], Any]] = []
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        children += [((*path, "properties", str(k)), v) for k, v in properties.items()]
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, Mapping):
            children += [((*path, key, str(k)), v) for k, v in defs.items()]
    if isinstance(schema.get("items"), Mapping):
        children.append(((*path, "items"), schema["items"]))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        options = schema.get(key)
        if isinstance(options, list):
            children += [((*path, key, str(i)), o) for i, o in enumerate(options)]
    for child_path, child in children:
        problem = _walk(child, child_path, strict, depth + 1)
        if problem:
            return problem
    return None
