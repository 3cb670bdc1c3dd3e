"""What a simulated region is: its deployments, their quotas and models, and its latency model.

Plain frozen data plus one seeded sampler. Defaults follow what teams see in practice: East US 2
answers fast, Sweden Central slower but steadily.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .. import wire
from .lifecycle import Lifecycle, default_lifecycle

_SERVED_BY = wire.SERVED_BY_HEADER.encode()

# model name -> the versioned name a response reports in its `model` field
MODEL_VERSIONS: Mapping[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-35-turbo": "gpt-35-turbo-0125",
    "o3": "o3-2025-04-16",
    "o4-mini": "o4-mini-2025-04-16",
    "text-embedding-3-small": "text-embedding-3-small",
    "text-embedding-3-large": "text-embedding-3-large",
    "gpt-realtime": "gpt-realtime-2025-08-28",
    "gpt-4o-realtime-preview": "gpt-4o-realtime-preview-2024-12-17",
}
EMBEDDING_DIMENSIONS: Mapping[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
DEFAULT_MODELS = ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
# model name -> the most completion tokens one answer may ask for ("Max output tokens" in Azure's
# model tables, docs/wire-notes.md section 17); a larger max_tokens is a 400
MAX_OUTPUT_TOKENS: Mapping[str, int] = {
    "gpt-4o": 16_384,
    "gpt-4o-mini": 16_384,
    "gpt-4.1": 32_768,
    "gpt-4.1-mini": 32_768,
    "gpt-4.1-nano": 32_768,
    "gpt-35-turbo": 4_096,
    "o3": 100_000,
    "o4-mini": 100_000,
}
DEFAULT_MAX_OUTPUT_TOKENS = 16_384  # a model the table does not know
# Azure's deployment types (`sku.name`): what a standard deployment is, what a PTU one is
STANDARD_SKU = "GlobalStandard"
PROVISIONED_SKU = "ProvisionedManaged"
DEFAULT_CAPACITY_TPM = 30_000  # a provisioned deployment's throughput when the config names none
DEFAULT_UTILIZATION_WINDOW_S = 5.0  # the seconds of capacity a PTU deployment absorbs in a burst (ptu.py)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: the name Azure routes on, the model behind it, its quota.

    `rpm_window_s` is the window Azure enforces requests-per-minute over (1 or 10 s): a 600 RPM
    deployment accepts 10 requests in one second, or 100 in ten. `tpm`/`rpm` of 0 mean unlimited.
    """

    name: str
    model: str
    model_version: str
    tpm: int = 150_000
    rpm: int = 900
    rpm_window_s: int = 10
    # Azure's deployment type; Azure Monitor reports latency metrics only for provisioned ones
    sku: str = STANDARD_SKU
    # what GET /openai/models reports for the model version; None: its published default
    lifecycle: Lifecycle | None = None
    # provisioned (PTU) only: tokens per minute it serves, the burst it absorbs (ptu.py), and the
    # standard deployment that serves its overage instead of a 429 (Azure's spilloverDeploymentName)
    capacity_tpm: int = 0
    utilization_window_s: float = DEFAULT_UTILIZATION_WINDOW_S
    spillover: str | None = None

    @cached_property
    def is_provisioned(self) -> bool:
        """A PTU deployment (ProvisionedManaged, GlobalProvisionedManaged, DataZoneProvisionedManaged):
        admitted by utilization (ptu.py), not by the TPM/RPM quota."""
        return self.sku.lower().endswith("provisionedmanaged")

    @property
    def model_lifecycle(self) -> Lifecycle:
        """The lifecycle of the model version this deployment serves: configured, else the default."""
        return self.lifecycle if self.lifecycle is not None else default_lifecycle(self.model_version)

    @cached_property  # read on every request (ops.deployment, chat_request): computed once
    def is_embedding(self) -> bool:
        return self.model in EMBEDDING_DIMENSIONS

    @cached_property
    def max_output_tokens(self) -> int:
        """The most completion tokens one answer of this model may ask for (`MAX_OUTPUT_TOKENS`)."""
        return MAX_OUTPUT_TOKENS.get(self.model, DEFAULT_MAX_OUTPUT_TOKENS)

    @cached_property
    def response_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """Headers every answer from this deployment carries (computed once, sent often)."""
        session = f"d-{zlib.crc32(self.model_version.encode())}"
        return ((_SERVED_BY, self.name.encode()), (b"azureml-model-session", session.encode()))

    @cached_property
    def limit_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return (
            (b"x-ratelimit-limit-requests", str(self.rpm or -1).encode()),
            (b"x-ratelimit-limit-tokens", str(self.tpm or -1).encode()),
        )

    @staticmethod
    def for_model(name: str, model: str, lifecycle: Lifecycle | None = None, **overrides: int) -> DeploymentSpec:
        return DeploymentSpec(
            name=name, model=model, model_version=MODEL_VERSIONS.get(model, model), lifecycle=lifecycle, **overrides
        )

    @staticmethod
    def provisioned(
        name: str,
        model: str,
        capacity_tpm: int = DEFAULT_CAPACITY_TPM,
        spillover: str | None = None,
        utilization_window_s: float = DEFAULT_UTILIZATION_WINDOW_S,
        lifecycle: Lifecycle | None = None,
    ) -> DeploymentSpec:
        """A PTU deployment of `model`: no TPM/RPM quota, `capacity_tpm` of throughput instead."""
        return DeploymentSpec(
            name=name,
            model=model,
            model_version=MODEL_VERSIONS.get(model, model),
            tpm=0,
            rpm=0,
            sku=PROVISIONED_SKU,
            lifecycle=lifecycle,
            capacity_tpm=capacity_tpm,
            utilization_window_s=utilization_window_s,
            spillover=spillover,
        )


@dataclass(frozen=True)
class LatencyModel:
    """Time to first token plus time per output token, with log-normal jitter on each.

    `scale` multiplies everything: 0 turns latency off (benchmarks, fast tests).
    """

    ttft_ms: float = 500.0
    per_token_ms: float = 20.0
    jitter_sigma: float = 0.2
    scale: float = 1.0

    def sample_ttft_s(self, rng: random.Random) -> float:
        if self.scale <= 0:
            return 0.0
        return self.scale * self.ttft_ms * _lognormal(rng, self.jitter_sigma) / 1000.0

    def sample_per_token_s(self, rng: random.Random) -> float:
        if self.scale <= 0:
            return 0.0
        return self.scale * self.per_token_ms * _lognormal(rng, self.jitter_sigma) / 1000.0


def _lognormal(rng: random.Random, sigma: float) -> float:
    # median 1, so ttft_ms is the typical value; exp(-sigma^2/2) would make it the mean instead
    return math.exp(rng.gauss(0.0, sigma)) if sigma > 0 else 1.0


DEFAULT_LATENCY: Mapping[str, LatencyModel] = {
    "eastus2": LatencyModel(ttft_ms=250.0, per_token_ms=10.0, jitter_sigma=0.3),
    "swedencentral": LatencyModel(ttft_ms=650.0, per_token_ms=22.0, jitter_sigma=0.12),
}


@dataclass(frozen=True)
class RegionSpec:
    """One simulated Azure OpenAI resource.

    `auth` is "api-key" (accepts `api_key` in the `api-key` header or as a Bearer value) or "entra"
    (accepts a Bearer JWT for https://cognitiveservices.azure.com that has not expired).
    `port` 0 picks a free port.
    """

    name: str
    deployments: tuple[DeploymentSpec, ...]
    api_key: str | None = None
    auth: str = "api-key"
    latency: LatencyModel = field(default_factory=LatencyModel)
    reply_tokens: int = 12  # completion length when max_tokens does not cut it shorter
    port: int = 0
    # the loopback address it listens on; None: the simulator's (127.0.0.1). Regions on distinct
    # addresses (127.0.0.2, 127.0.0.3, ...) may share one port, as Azure's hosts share 443.
    host: str | None = None

    def deployment(self, name: str | None) -> DeploymentSpec | None:
        for d in self.deployments:
            if d.name == name:
                return d
        return None


def default_region(
    name: str,
    api_key: str | None,
    latency_scale: float = 1.0,
    models: tuple[str, ...] = DEFAULT_MODELS,
    provisioned: tuple[str, ...] = (),
    capacity_tpm: int = DEFAULT_CAPACITY_TPM,
    **quota: int,
) -> RegionSpec:
    """A region serving one deployment per model, named like the model (as `--regions` does).

    Each model in `provisioned` also gets a PTU deployment `<model>-ptu` of `capacity_tpm`, which
    spills over to the model's standard deployment when `models` has one."""
    base = DEFAULT_LATENCY.get(name, LatencyModel())
    latency = LatencyModel(base.ttft_ms, base.per_token_ms, base.jitter_sigma, latency_scale)
    standard = tuple(DeploymentSpec.for_model(m, m, **quota) for m in models)
    ptu = tuple(
        DeploymentSpec.provisioned(ptu_name(m), m, capacity_tpm, spillover=m if m in models else None)
        for m in provisioned
    )
    return RegionSpec(name=name, deployments=standard + ptu, api_key=api_key, latency=latency)


def ptu_name(model: str) -> str:
    """The name `default_region` gives a model's provisioned deployment."""
    return f"{model}-ptu"
