"""Checks every operation shares: a JSON object body, a known deployment of the right type,
integer fields in range. A failed check raises `Refusal` with Azure's error; the region app
sends it, so handlers read as the happy path."""

from __future__ import annotations

from typing import Any

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
