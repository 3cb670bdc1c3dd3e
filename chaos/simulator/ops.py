"""Checks every operation shares: a JSON object body, a known deployment of the right kind,
integer fields in range. Each sends Azure's error and returns None/False when the check fails."""

from __future__ import annotations

from typing import Any

from .. import wire
from .model import DeploymentSpec
from .region import Call


async def body_object(call: Call) -> dict[str, Any] | None:
    if isinstance(call.body, dict):
        return call.body
    await call.reply(400, wire.invalid_request("The request body must be a JSON object."))
    return None


async def deployment(call: Call, operation: str, embedding: bool) -> DeploymentSpec | None:
    """The deployment this call targets, or None after sending 400/404 as Azure would."""
    if call.deployment_name is None:
        await call.reply(
            400,
            wire.invalid_request(
                "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
            ),
        )
        return None
    found = call.lookup_deployment()
    if found is None:
        await call.reply(404, wire.DEPLOYMENT_NOT_FOUND)
        return None
    call.add_deployment_headers(found)
    if found.is_embedding != embedding:
        await call.reply(
            400,
            {
                "error": {
                    "code": "OperationNotSupported",
                    "message": (
                        f"The {operation} operation does not work with the specified model, {found.model}. "
                        "Please choose different model and try again. You can learn more about which models can "
                        "be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993."
                    ),
                }
            },
        )
        return None
    return found


async def optional_int(call: Call, body: dict[str, Any], key: str, minimum: int = 1) -> int | bool | None:
    """The integer at `key`, None when absent, or False after a 400 for a bad value."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        await call.reply(
            400,
            wire.invalid_request(
                f"Invalid value for '{key}': expected an integer >= {minimum}, got {value!r}.",
                param=key,
                code="invalid_value",
            ),
        )
        return False
    return value


async def require(call: Call, ok: bool, message: str, param: str) -> bool:
    if not ok:
        await call.reply(400, wire.invalid_request(message, param=param, code="invalid_value" if param else None))
    return ok
