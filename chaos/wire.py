"""Azure OpenAI's error bodies and messages, word for word (docs/wire-notes.md).

Pure functions: each returns the JSON-ready body Azure sends for one situation. The simulator and
the faults build their replies from these, so a client tested here meets the same shapes as in
production, including the ones without an `error` wrapper.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

INVALID_KEY = {
    "error": {
        "code": "401",
        "message": (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
            "valid key for an active subscription and use a correct regional API endpoint for your resource."
        ),
    }
}
# A token that is missing, malformed, expired or for another audience: no `error` wrapper.
INVALID_TOKEN = {
    "statusCode": 401,
    "message": (
        "Unauthorized. Access token is missing, invalid, audience is incorrect "
        "(https://cognitiveservices.azure.com), or have expired."
    ),
}
# A valid token whose role assignment is missing or has not propagated yet: a 401, not a 403.
PERMISSION_DENIED = {
    "error": {"code": "PermissionDenied", "message": "Principal does not have access to API/Operation."}
}
DEPLOYMENT_NOT_FOUND = {
    "error": {
        "code": "DeploymentNotFound",
        "message": (
            "The API deployment for this resource does not exist. If you created the deployment within the "
            "last 5 minutes, please wait a moment and try again."
        ),
    }
}
RESOURCE_NOT_FOUND = {"error": {"code": "404", "message": "Resource not found"}}
SERVICE_UNAVAILABLE = {
    "error": {
        "code": "ServiceUnavailable",
        "message": ("The service is temporarily unable to process your request. Please try again later."),
    }
}
TIMEOUT = {"error": {"code": "Timeout", "message": "The operation was timeout."}}

MAX_BODY_BYTES = 32 * 1024 * 1024  # Azure refuses request bodies over 32 MB


def server_error(request_id: str) -> dict[str, Any]:
    """The 500 body Azure's model layer sends, quoting the request id."""
    return {
        "error": {
            "message": (
                "The server had an error processing your request. Sorry about that! You can retry your "
                "request, or contact us through an Azure support request at: "
                "https://go.microsoft.com/fwlink/?linkid=2213926 if you keep seeing this error. "
                f"(Please include the request ID {request_id} in your email.)"
            ),
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }


def http_error(status: int, request_id: str) -> dict[str, Any]:
    """The body for an outage-style status: 500, 503 and 408 as observed, others generic."""
    if status == 500:
        return server_error(request_id)
    if status == 503:
        return SERVICE_UNAVAILABLE
    if status == 408:
        return TIMEOUT
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": {"code": str(status), "message": phrase}}


def invalid_request(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """A 400 in the OpenAI error shape Azure's v1 API uses for bad requests."""
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def previous_response_not_found(response_id: str) -> dict[str, Any]:
    return invalid_request(
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def response_not_found(response_id: str) -> dict[str, Any]:
    return invalid_request(f"Response with id '{response_id}' not found.")


# The prompt filter's 400, word for word: chat completions (both URL styles) spell it with a plain
# apostrophe, the Responses API with a typographic one (docs/wire-notes.md, section 5).
_PROMPT_FILTERED = (
    "The response was filtered due to the prompt triggering Azure OpenAI{apostrophe}s content management "
    "policy. Please modify your prompt and retry. To learn more about our content filtering policies "
    "please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)


def content_filter_prompt(results: dict[str, Any]) -> dict[str, Any]:
    """The 400 Azure sends when its filter blocks the prompt of a chat completion (v1 or dated
    path): `code` "content_filter", `param` "prompt", and `innererror` with
    "ResponsibleAIPolicyViolation" and the prompt's per-category `results` (filters.prompt_results)."""
    return {
        "error": {
            "message": _PROMPT_FILTERED.format(apostrophe="'"),
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": results},
        }
    }


def content_filter_prompt_responses(entry: dict[str, Any]) -> dict[str, Any]:
    """The same refusal from the Responses API: `type` "invalid_request_error", the judgement as a
    one-entry `content_filters` list (`entry`: filters.content_filter_entry, source "prompt") and
    `innererror.code` "ContentFiltered"."""
    return {
        "error": {
            "message": _PROMPT_FILTERED.format(apostrophe="\u2019"),
            "type": "invalid_request_error",
            "param": "prompt",
            "code": "content_filter",
            "content_filters": [entry],
            "innererror": {"code": "ContentFiltered"},
        }
    }


def model_not_found(model: str) -> dict[str, Any]:
    """404 for `GET /openai/v1/models/{model}` naming no model the resource serves (OpenAI's shape)."""
    return invalid_request(f"The model '{model}' does not exist", param="model", code="model_not_found")


def model_not_found_dated(model_id: str) -> dict[str, Any]:
    """404 for the dated `GET /openai/models/{model-id}`: the authoring API's error, `code` "notFound"."""
    return {"error": {"code": "notFound", "message": f"The specified model '{model_id}' was not found."}}


def body_too_large(limit_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    return {
        "error": {
            "code": "RequestEntityTooLarge",
            "message": (
                f"The request body is too large. The maximum allowed size is {limit_bytes // (1024 * 1024)} MB."
            ),
        }
    }


def method_not_allowed(method: str) -> dict[str, Any]:
    return {"error": {"code": "405", "message": f"The requested method {method} is not allowed."}}


# The 429 message shapes seen in the wild. `{s}` is the number of seconds the message promises.
RATE_LIMIT_FLAVOURS = {
    "tokens": (
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
        "2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. "
        "Please retry after {s} seconds. Please go here: https://aka.ms/oai/quotaincrease "
        "if you would like to further increase the default rate limit."
    ),
    "requests": (
        "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
        "2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. "
        "Please retry after {s} seconds. Please go here: https://aka.ms/oai/quotaincrease "
        "if you would like to further increase the default rate limit."
    ),
    "newer": (
        "Your requests to {model} for {model} in {region_display} have exceeded the token rate "
        "limit for your current AIServices S0 pricing tier. This request was for "
        "ChatCompletions_Create under Azure OpenAI API version 2025-03-01-preview. Please retry "
        "after {s} seconds. To increase your default rate limit, visit: "
        "https://aka.ms/oai/quotaincrease."
    ),
    "short": "Rate limit is exceeded. Try again in {s} seconds.",
    "capacity": (
        "The system is currently experiencing high demand and cannot process your request. "
        "Your request exceeds the maximum usage size allowed during peak load. "
        "Please retry after {s} seconds. For improved capacity reliability, consider "
        "switching to Provisioned Throughput."
    ),
}


def rate_limited(
    flavour: str, retry_after_s: int, model: str = "gpt-4o", region_display: str = "East US 2"
) -> dict[str, Any]:
    """A 429 body; `error.code` is the string "429" as Azure sends it."""
    template = RATE_LIMIT_FLAVOURS[flavour]
    message = template.format(s=retry_after_s, model=model, region_display=region_display)
    return {"error": {"code": "429", "message": message}}


def region_display_name(region: str) -> str:
    """`eastus2` -> `East US 2`, as in the `x-ms-region` header."""
    known = {
        "eastus": "East US",
        "eastus2": "East US 2",
        "swedencentral": "Sweden Central",
        "westus": "West US",
        "westus3": "West US 3",
        "northcentralus": "North Central US",
        "southcentralus": "South Central US",
        "francecentral": "France Central",
        "uksouth": "UK South",
        "japaneast": "Japan East",
        "westeurope": "West Europe",
        "australiaeast": "Australia East",
        "canadaeast": "Canada East",
        "switzerlandnorth": "Switzerland North",
        "norwayeast": "Norway East",
    }
    return known.get(region, region)


# Provisioned (PTU) deployments and spillover: every header name in one place, as Microsoft's
# provisioned-throughput and spillover pages write them (docs/wire-notes.md, section 3b).
UTILIZATION_HEADER = "azure-openai-deployment-utilization"  # on every PTU answer: "37.5%"
RETRY_AFTER_MS_HEADER = "retry-after-ms"  # a PTU 429: milliseconds until utilization is below 100%
RETRY_AFTER_HEADER = "retry-after"  # the same wait in whole seconds
SPILLOVER_REQUEST_HEADER = "x-ms-spillover-deployment"  # request: spill to this standard deployment
SPILLOVER_FROM_PREFIX = "x-ms-spillover-from-"  # + the PTU deployment's name; the value is that name
SPILLOVER_ERROR_HEADER = "x-ms-spillover-error"  # the status the spillover attempt got, when it failed
SERVED_BY_HEADER = "x-ms-deployment-name"  # the deployment that served the request


def spillover_from_header(ptu_deployment: str) -> str:
    """The header a spilled answer carries: `x-ms-spillover-from-<PTU deployment>`."""
    return SPILLOVER_FROM_PREFIX + ptu_deployment.lower()


def ptu_rate_limited(deployment: str, retry_after_ms: int) -> dict[str, Any]:
    """The 429 of a provisioned deployment over 100% utilization: the standard 429 shape
    (`error.code` the string "429"); no public capture of its message was found, so the message
    says what Azure's documentation says the 429 means."""
    return {
        "error": {
            "code": "429",
            "message": (
                f"The provisioned deployment {deployment} is fully utilized (utilization over 100%). "
                f"Please retry after {retry_after_ms} milliseconds, or send the request to another deployment."
            ),
        }
    }
