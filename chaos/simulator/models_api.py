"""The models endpoints: which model versions a resource serves, in the two shapes Azure answers.

    GET /openai/v1/models                        OpenAI's `Model`: id, object, created, owned_by
    GET /openai/v1/models/{model}                (Azure's v1 spec: listModels, retrieveModel)
    GET /openai/models?api-version=...           Azure's `Model` (authoring spec 2024-10-21):
    GET /openai/models/{model-id}?api-version=...  status, capabilities, lifecycle_status,
                                                 deprecation {fine_tune, inference}, id, created_at, object

A model is listed once however many deployments serve it; ids are the versioned names answers
report in `model` (`gpt-4o-2024-08-06`). Lifecycle dates come from the deployment's
`DeploymentSpec.model_lifecycle` (configurable per deployment, see lifecycle.py). Unknown ids are
404s in each API's error shape; a dated path without `api-version` is Azure's 404.
"""

from __future__ import annotations

from typing import Any

from .. import wire
from .lifecycle import epoch_s
from .model import DeploymentSpec
from .region import Call, Refusal


def _served(call: Call) -> dict[str, DeploymentSpec]:
    """Model version -> the first deployment serving it, in the region's order."""
    served: dict[str, DeploymentSpec] = {}
    for deployment in call.region.spec.deployments:
        served.setdefault(deployment.model_version, deployment)
    return served


def _v1_model(deployment: DeploymentSpec) -> dict[str, Any]:
    created = epoch_s(deployment.model_lifecycle.created_at)
    return {"id": deployment.model_version, "object": "model", "created": created, "owned_by": "system"}


def _capabilities(deployment: DeploymentSpec) -> dict[str, bool]:
    lifecycle = deployment.model_lifecycle
    realtime = "realtime" in deployment.model  # speaks only the realtime WebSocket
    return {
        "chat_completion": not deployment.is_embedding and not realtime,
        "completion": False,  # no model served here answers the legacy completions API
        "embeddings": deployment.is_embedding,
        "fine_tune": lifecycle.deprecation_fine_tune is not None,
        "inference": True,
    }


def _dated_model(deployment: DeploymentSpec) -> dict[str, Any]:
    lifecycle = deployment.model_lifecycle
    deprecation = {"inference": epoch_s(lifecycle.deprecation_inference)}
    if lifecycle.deprecation_fine_tune is not None:
        deprecation = {"fine_tune": epoch_s(lifecycle.deprecation_fine_tune), **deprecation}
    return {
        "status": "succeeded",
        "capabilities": _capabilities(deployment),
        "lifecycle_status": lifecycle.lifecycle_status,
        "deprecation": deprecation,
        "id": deployment.model_version,
        "created_at": epoch_s(lifecycle.created_at),
        "object": "model",
    }


def _require_api_version(call: Call) -> None:
    if "api-version" not in call.query:
        raise Refusal(404, wire.RESOURCE_NOT_FOUND)  # what Azure answers a dated path without one


async def list_v1(call: Call) -> None:
    await call.reply(200, {"object": "list", "data": [_v1_model(d) for d in _served(call).values()]})


async def get_v1(call: Call) -> None:
    model = call.path_params["model"]
    deployment = _served(call).get(model)
    if deployment is None:
        raise Refusal(404, wire.model_not_found(model))
    await call.reply(200, _v1_model(deployment))


async def list_dated(call: Call) -> None:
    _require_api_version(call)
    await call.reply(200, {"data": [_dated_model(d) for d in _served(call).values()], "object": "list"})


async def get_dated(call: Call) -> None:
    _require_api_version(call)
    model_id = call.path_params["model_id"]
    deployment = _served(call).get(model_id)
    if deployment is None:
        raise Refusal(404, wire.model_not_found_dated(model_id))
    await call.reply(200, _dated_model(deployment))
