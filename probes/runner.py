"""One probe cycle: every target concurrently, each one attempt under a timeout, every outcome a
row. Nothing raises out of `run_cycle`; a slow region only delays its own rows."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import Any

import httpx2
import openai

from ..failover.auth import async_token_provider, default_entra_provider
from ..failover.config import PROVISIONED, RegionConfig
from ..failover.guard import AsyncGuardedTransport
from ..failover.outcomes import Outcome
from ..failover.redact import Redactor
from .config import AppConfig
from .context import ProbeContext, Target, record_headers
from .kinds import REGISTRY
from .outcome import classify_failure, error_text
from .result import COMPOSITE, ProbeResult

__all__ = ["run_cycle", "targets"]


def targets(config: AppConfig, kinds: tuple[str, ...] | None = None) -> list[Target]:
    """Region x tier x kind for each kind whose model the region deploys: a region with a
    provisioned (PTU) deployment of the model is probed on it and on its standard one
    (`RegionConfig.tiers_for`); one composite failover target."""
    chosen = kinds or config.probes.kinds
    found = []
    for kind in chosen:
        spec = REGISTRY[kind]
        model = getattr(config.probes, spec.model_setting)
        if spec.composite:
            if any(r.tiers_for(model) for r in config.regions):
                found.append(Target(RegionConfig(COMPOSITE, config.regions[0].endpoint), kind, model, ""))
            continue
        for region in config.regions:
            for tier, deployment in region.tiers_for(model):
                found.append(Target(region, kind, model, deployment, tier))
    return found


class _Credentials:
    """Per region: the key from its environment variable, or a bounded Entra token provider."""

    def __init__(self, config: AppConfig, environ: Mapping[str, str], token_provider: Callable[[], Any] | None) -> None:
        self.environ = environ
        self.timeout_s = config.failover.credential_timeout_s
        self.token_provider = token_provider
        self._providers: dict[str, Callable[[], Any]] = {}

    def secrets(self, regions: list[RegionConfig]) -> list[str]:
        return [self.environ.get(r.api_key_env, "") for r in regions if r.api_key_env]

    def sdk_key(self, region: RegionConfig) -> Any:
        if region.auth == "api-key":
            return (self.environ.get(region.api_key_env or "") or "").strip() or "missing-key"
        return self._provider(region)

    def _provider(self, region: RegionConfig) -> Callable[[], Any]:
        if region.name not in self._providers:
            self._providers[region.name] = async_token_provider(
                self.token_provider or default_entra_provider(), self.timeout_s, region.name
            )
        return self._providers[region.name]

    def realtime(self, region: RegionConfig) -> Callable[[], Any]:
        async def credential() -> tuple[str, str]:
            if region.auth == "api-key":
                return (self.environ.get(region.api_key_env or "") or "").strip(), "api-key"
            return f"Bearer {await self._provider(region)()}", "Authorization"

        return credential


async def _probe(ctx: ProbeContext, redact: Redactor) -> ProbeResult:
    """Measure one target and fill its row. Never raises: a failure of any kind, even one while
    recording a failure (a header sent twice, a body that will not decode), is this probe's row
    and never costs another probe its row."""
    result, config = ctx.result, ctx.config
    ctx.started = ctx.clock()
    try:
        await asyncio.wait_for(REGISTRY[ctx.target.kind].run(ctx), config.probes.timeout_s)
    except Exception as exc:  # every failure is data
        try:
            _record_failure(result, exc)
        except Exception as while_recording:  # the failure itself would not be read: still a row
            result.outcome, result.status_code = Outcome.BAD_RESPONSE, None
            result.error = error_text(while_recording)
    else:
        result.status_code = 200
        slow = ctx.elapsed_ms() > config.slo.latency_threshold_s * 1000.0
        result.outcome = Outcome.SLOW if slow else Outcome.OK
    result.latency_ms = ctx.elapsed_ms()
    result.mask_text(redact)
    if result.tier != PROVISIONED:  # PTU is paid by the hour it is reserved, not by the token
        result.cost_usd = config.prices.cost_usd(
            ctx.target.model, result.prompt_tokens, result.completion_tokens, result.cached_tokens
        )
    return result


def _record_failure(result: ProbeResult, exc: Exception) -> None:
    failure = classify_failure(exc)
    result.outcome = failure.outcome
    result.status_code = failure.status_code
    result.retry_after_s = failure.retry_after_s
    result.error = error_text(exc)
    record_headers(result, failure.headers)


def _pool(pools: list[httpx2.AsyncClient], tls: Any, timeout: float, max_bytes: int) -> httpx2.AsyncClient:
    """A connection pool whose answers are screened as the failover client's are (content type,
    decoded size): a hostile answer is the probe's `bad_response`, not the prober's memory."""
    limits = httpx2.Limits(max_connections=None, max_keepalive_connections=32)
    transport = AsyncGuardedTransport(httpx2.AsyncHTTPTransport(verify=tls, limits=limits), max_bytes)
    pool = httpx2.AsyncClient(transport=transport, timeout=timeout)
    pools.append(pool)
    return pool


async def run_cycle_async(
    config: AppConfig,
    kinds: tuple[str, ...] | None = None,
    environ: Mapping[str, str] | None = None,
    token_provider: Callable[[], Any] | None = None,
) -> list[ProbeResult]:
    environ = os.environ if environ is None else environ
    credentials = _Credentials(config, environ, token_provider)
    secrets = credentials.secrets(config.regions)
    timeout = config.probes.timeout_s
    clients: dict[str, openai.AsyncOpenAI] = {}
    # a pool per region (httpcore scans a pool's connections for every request, so one big pool
    # costs O(n^2) in a large cycle) but one TLS context for all: building one per client costs
    # more CPU than a probe
    tls = httpx2.create_ssl_context()
    pools: list[httpx2.AsyncClient] = []
    contexts = []
    for target in targets(config, kinds):
        region = target.region
        if not REGISTRY[target.kind].composite and region.name not in clients:
            clients[region.name] = openai.AsyncOpenAI(
                base_url=region.base_url,
                api_key=credentials.sdk_key(region),
                max_retries=0,
                timeout=timeout,
                http_client=_pool(pools, tls, timeout, config.failover.max_response_bytes),
            )
        result = ProbeResult(
            region=region.name,
            deployment=target.deployment or None,
            kind=target.kind,
            tier=None if REGISTRY[target.kind].composite else target.tier,  # the composite's: who answered
            prober=config.probes.prober,
            model=target.model,
        )
        contexts.append(
            ProbeContext(
                target=target,
                config=config,
                result=result,
                client=clients.get(region.name),
                credential=credentials.realtime(region),
                environ=environ,
            )
        )
    try:
        redact = Redactor(secrets)  # one for the cycle: every row is masked with the cycle's keys
        return list(await asyncio.gather(*[_probe(ctx, redact) for ctx in contexts]))
    finally:
        for pool in pools:
            await pool.aclose()


def run_cycle(
    config: AppConfig,
    kinds: tuple[str, ...] | None = None,
    environ: Mapping[str, str] | None = None,
    token_provider: Callable[[], Any] | None = None,
) -> list[ProbeResult]:
    """Run one cycle and return its rows (it does not store them: see schedule.py)."""
    try:
        import uvloop  # about a third less loop overhead for a large cycle
    except ImportError:
        return asyncio.run(run_cycle_async(config, kinds, environ, token_provider))
    return uvloop.run(run_cycle_async(config, kinds, environ, token_provider))
