"""Azure's 400 for one request field it refuses, worded as the service words it: the error object
(`invalid_request_error`) with the offending field's path in `param` (`tools[0].name`,
`text.format.schema`) and a `code` that says what is wrong with it.

Each function returns the `Refusal` for the handler to raise, so checks read as one line."""

from __future__ import annotations

from typing import Any

from .. import wire
from .region import Refusal

__all__ = ["missing", "refuse", "type_name", "wrong_type"]


def refuse(message: str, param: str, code: str | None = "invalid_value") -> Refusal:
    return Refusal(400, wire.invalid_request(message, param=param, code=code))


def missing(param: str) -> Refusal:
    return refuse(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def type_name(value: Any) -> str:
    """The JSON type of a parsed value, as an error message names it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), type(value).__name__)


def wrong_type(param: str, expected: str, value: Any) -> Refusal:
    """`expected` reads after "expected": "a string", "an array of objects"."""
    return refuse(
        f"Invalid type for '{param}': expected {expected}, but got {type_name(value)} instead.", param, "invalid_type"
    )
