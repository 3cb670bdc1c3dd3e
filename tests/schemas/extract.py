"""Refresh a vendored schema file from a local copy of the published spec it comes from.

    python -m tests.schemas.extract SOURCE SPEC_FILE COMMIT [--date YYYY-MM-DD] [--note TEXT]

SOURCE is a key of `SOURCES`; SPEC_FILE the spec as JSON (each of these specs is published as JSON
next to its YAML); COMMIT the repository commit the file was read at (a file cannot say it). The
result, tests/schemas/<SOURCE>.json, holds the `$ref` closure of the source's root schemas under
`$defs`, as JSON Schema draft 2020-12:

- annotations that never change a verdict are dropped (descriptions, titles, examples, defaults,
  formats, `readOnly`, `deprecated`, `discriminator`, every `x-` extension), to keep the file small;
- `nullable: true` (OpenAPI 3.0, and its leftovers in OpenAI's 3.1 document) and `x-nullable: true`
  (Swagger 2.0) become a null type: `"type": [T, "null"]` (and `null` in the `enum`) on a schema with
  a single type and no `$ref` or combinator, `{"anyOf": [<schema>, {"type": "null"}]}` otherwise;
- `#/components/schemas/X` and `#/definitions/X` become `#/$defs/X`; draft 2019-09's recursion
  (`$recursiveAnchor: true` on a named schema, `$recursiveRef: "#"` inside it, in OpenAI's
  `CompoundFilter`) becomes a plain `$ref` to that named schema;
- every other keyword is kept as written, so the file validates what the spec says, no more, no less.

The file keeps one named schema a line, so a refresh reads as a diff per schema.

Nothing here runs at test time, and the tests never need it: it is how a maintainer refreshes the
files (tests/schemas/README.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# keywords that only annotate: dropping them changes no validation result
ANNOTATIONS = {
    "description",
    "title",
    "example",
    "examples",
    "default",
    "format",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "externalDocs",
    "xml",
    "dataDescription",
}
# keywords whose value maps names to schemas (the names are data, not keywords)
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
COMBINATORS = {"$ref", "allOf", "anyOf", "oneOf", "not", "if"}


@dataclass(frozen=True)
class Source:
    """One published spec and the schemas aoai-watch needs from it."""

    repo: str
    path: str
    ref_prefix: str  # where the spec keeps its named schemas
    roots: tuple[str, ...]

    def url(self, commit: str) -> str:
        return f"https://github.com/{self.repo}/blob/{commit}/{self.path}"


SOURCES: dict[str, Source] = {
    "openai": Source(
        "openai/openai-openapi",
        "openapi.json",
        "#/components/schemas/",
        (
            "CreateChatCompletionResponse",
            "CreateChatCompletionStreamResponse",
            "Response",
            "ResponseStreamEvent",
            "ListModelsResponse",
            "Model",
            "ErrorResponse",
        ),
    ),
    "azure-2024-10-21": Source(
        "Azure/azure-rest-api-specs",
        "specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json",
        "#/components/schemas/",
        ("createChatCompletionResponse", "createChatCompletionStreamResponse", "errorResponse"),
    ),
    "azure-authoring-2024-10-21": Source(
        "Azure/azure-rest-api-specs",
        "specification/cognitiveservices/data-plane/AzureOpenAI/authoring/stable/2024-10-21/azureopenai.json",
        "#/definitions/",
        ("ModelList", "Model"),
    ),
    "azure-v1": Source(
        "Azure/azure-rest-api-specs",
        "specification/ai/data-plane/OpenAI.v1/azure-v1-v1-generated.json",
        "#/components/schemas/",
        ("AzureCreateChatCompletionResponse", "AzureCreateChatCompletionStreamResponse", "AzureErrorResponse"),
    ),
}


def named_schemas(spec: dict[str, Any], ref_prefix: str) -> dict[str, Any]:
    node: Any = spec
    for part in ref_prefix.strip("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def refs_in(node: Any, ref_prefix: str) -> set[str]:
    """Names of the spec's schemas that `node` refers to."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(ref_prefix):
                    raise ValueError(f"a $ref outside {ref_prefix}: {value}")
                found.add(value[len(ref_prefix) :])
            else:
                found |= refs_in(value, ref_prefix)
    elif isinstance(node, list):
        for value in node:
            found |= refs_in(value, ref_prefix)
    return found


def closure(schemas: dict[str, Any], roots: tuple[str, ...], ref_prefix: str) -> list[str]:
    """Every schema the roots need, sorted by name."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise KeyError(f"{name} is not among the spec's schemas")
        seen.add(name)
        todo.extend(refs_in(schemas[name], ref_prefix))
    return sorted(seen)


def convert(node: Any, ref_prefix: str, recursive_target: str | None = None) -> Any:
    """One schema in the spec's dialect -> draft 2020-12, as the module docstring says.
    `recursive_target` names the schema a `$recursiveRef: "#"` inside `node` points back to."""
    if isinstance(node, list):
        return [convert(value, ref_prefix, recursive_target) for value in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ANNOTATIONS or key.startswith("x-") or key in ("nullable", "$recursiveAnchor"):
            continue
        if key in SCHEMA_MAPS:
            out[key] = {name: convert(schema, ref_prefix, recursive_target) for name, schema in value.items()}
        elif key == "$ref":
            out[key] = "#/$defs/" + value[len(ref_prefix) :]
        elif key == "$recursiveRef":
            if value != "#" or recursive_target is None:
                raise ValueError(f"a $recursiveRef {value!r} outside a schema with $recursiveAnchor: true")
            out["$ref"] = "#/$defs/" + recursive_target
        else:
            out[key] = convert(value, ref_prefix, recursive_target)
    if node.get("nullable") is True or node.get("x-nullable") is True:
        return with_null(out)
    return out


def with_null(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and not COMBINATORS & schema.keys():
        schema = {**schema, "type": [kind, "null"]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def extract(source: Source, spec: dict[str, Any], commit: str, date: str, note: str = "") -> dict[str, Any]:
    schemas = named_schemas(spec, source.ref_prefix)
    names = closure(schemas, source.roots, source.ref_prefix)
    comment = (
        f"Extracted on {date} from {source.url(commit)} (repository {source.repo}, commit {commit}) "
        f"by tests/schemas/extract.py: the $ref closure of {', '.join(source.roots)}, annotations dropped, "
        "OpenAPI nullable written as a null type."
    )
    return {
        "$schema": DIALECT,
        "$comment": comment + (f" {note}" if note else ""),
        "$defs": {name: convert_named(name, schemas[name], source.ref_prefix) for name in names},
    }


def convert_named(name: str, schema: Any, ref_prefix: str) -> Any:
    anchored = isinstance(schema, dict) and schema.get("$recursiveAnchor") is True
    return convert(schema, ref_prefix, name if anchored else None)


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON with one named schema a line."""
    head = {key: value for key, value in document.items() if key != "$defs"}
    lines = ["{"] + [f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}," for key, value in head.items()]
    lines.append(' "$defs": {')
    defs = list(document["$defs"].items())
    for i, (name, schema) in enumerate(defs):
        comma = "," if i < len(defs) - 1 else ""
        lines.append(f"  {json.dumps(name)}: {json.dumps(schema, ensure_ascii=False, separators=(',', ':'))}{comma}")
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("spec_file", type=Path)
    parser.add_argument("commit")
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec_file.read_text())
    document = extract(SOURCES[args.source], spec, args.commit, args.date, args.note)
    target = HERE / f"{args.source}.json"
    target.write_text(dumps(document))
    print(f"{target}: {len(document['$defs'])} schemas, {target.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
