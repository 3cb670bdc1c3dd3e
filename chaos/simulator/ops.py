"""Checks every operation shares: a JSON object body, a known deployment of the right type,
integer fields in range. A failed check raises `Refusal` with Azure's error; the region app
sends it, so handlers read as the happy path."""

from __future__ import annotations

from typing import Any, NoReturn

from .. import wire
from .model import DeploymentSpec
from .region import Call, Refusal


def body_object(call: Call) -> dict[str, Any]:
    if isinstance(call.body, dict):
        return call.body
    raise Refusal(400, wire.invalid_request("The request body must be a JSON object."))


def deployment(call: Call, operation: str, embedding: bool) -> DeploymentSpec:
    """The deployment this call targets; 400 without a model, 404 DeploymentNotFound, 400
    OperationNotSupported for the wrong type of model."""
    if call.deployment_name is None:
        raise Refusal(
            400,
            wire.invalid_request(
                "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
            ),
        )
    found = call.lookup_deployment()
    if found is None:
        raise Refusal(404, wire.DEPLOYMENT_NOT_FOUND)
    call.headers += found.response_headers
    if found.is_embedding != embedding:
        raise Refusal(
            400,
            {
                "error": {
                    "code": "OperationNotSupported",
                    "message": (
                        f"The {operation} operation does not work with the specified model, {found.model}. "
                        "Please choose "
                        "different model and try again. You can learn more about which models can be used with each "
                        "operation here: https://go.microsoft.com/fwlink/?linkid=2197993."
                    ),
                }
            },
        )
    return found


def optional_int(body: dict[str, Any], key: str, minimum: int = 1) -> int | None:
    """The integer at `key`, None when absent; 400 for anything else."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise Refusal(
            400,
            wire.invalid_request(
                f"Invalid value for '{key}': expected an integer >= {minimum}, got {value!r}.",
                param=key,
                code="invalid_value",
            ),
        )
    return value


def require(ok: bool, message: str, param: str) -> None:
    if not ok:
        raise Refusal(400, wire.invalid_request(message, param=param, code="invalid_value"))


# Validators in the wording OpenAI's (and Azure's v1) request validator uses: "Invalid type for ...",
# "Invalid 'x': decimal above maximum value. ...", "Missing required parameter: ..." (sources in
# docs/wire-notes.md section 17). Each returns the value when it is valid and raises Refusal otherwise.


def refuse(message: str, param: str | None, code: str | None) -> NoReturn:
    """Answer this request with a 400 invalid_request_error."""
    raise Refusal(400, wire.invalid_request(message, param=param, code=code))


def json_kind(value: Any) -> str:
    """A JSON value's type as the service names it in messages: `a string`, `an object`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def optional_number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    """A number in [low, high] at `key`, None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        refuse(
            f"Invalid type for '{key}': expected a decimal, but got {json_kind(value)} instead.", key, "invalid_type"
        )
    if value < low:
        refuse(
            f"Invalid '{key}': decimal below minimum value. Expected a value >= {low:g}, but got {value} instead.",
            key,
            "decimal_below_min_value",
        )
    if value > high:
        refuse(
            f"Invalid '{key}': decimal above maximum value. Expected a value <= {high:g}, but got {value} instead.",
            key,
            "decimal_above_max_value",
        )
    return float(value)


def optional_integer(body: dict[str, Any], key: str, low: int, high: int | None = None) -> int | None:
    """An integer in [low, high] at `key` (no upper bound when `high` is None), None when absent or null."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        refuse(
            f"Invalid type for '{key}': expected an integer, but got {json_kind(value)} instead.", key, "invalid_type"
        )
    if value < low:
        refuse(
            f"Invalid '{key}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            key,
            "integer_below_min_value",
        )
    if high is not None and value > high:
        refuse(
            f"Invalid '{key}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
            key,
            "integer_above_max_value",
        )
    return value


def optional_bool(body: dict[str, Any], key: str) -> bool | None:
    """A boolean at `key`, None when absent or null."""
    value = body.get(key)
    if value is None or isinstance(value, bool):
        return value
    refuse(f"Invalid type for '{key}': expected a boolean, but got {json_kind(value)} instead.", key, "invalid_type")
