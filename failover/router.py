"""The regions a failover client knows, each with its breakers and its own openai SDK clients
(`max_retries=0`: the failover client's loop is the only retry loop), and the targets a call can
be sent to.

A `Target` is one (region, tier, deployment): a region's provisioned (PTU) deployment of a model,
guarded by a breaker of its own (keyed `"<region>/<deployment>"`), or its standard deployment,
guarded by the region's breaker (keyed by the region name, as before tiers). `Router.targets_for`
orders them: the preferred region's provisioned then standard deployment, then the next region's,
by priority."""

from __future__ import annotations

import itertools
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx2
import openai

from .auth import api_key_for, async_token_provider, default_entra_provider, sync_token_provider
from .breaker import Breaker, BreakerState
from .classify import FAULTY, MISCONFIGURED, THROTTLED, CredentialError, Failure
from .config import PROVISIONED, STANDARD, RegionConfig
from .events import BreakerEvent, Event
from .guard import AsyncGuardedTransport, GuardedTransport
from .options import FailoverOptions
from .outcomes import Outcome
from .redact import Redactor

log = logging.getLogger("aoai_watch.failover")

__all__ = ["RegionRuntime", "Router", "Target"]


class RegionRuntime:
    """One region at run time. `usable` is False when its credentials cannot work at all."""

    def __init__(
        self,
        config: RegionConfig,
        options: FailoverOptions,
        clock: Callable[[], float],
        emit: Callable[[Event], None],
        token_provider: Callable[[], Any] | None,
        environ: Mapping[str, str],
    ) -> None:
        self.config = config
        self.name = config.name
        self.options = options
        self.misconfigured = False
        self.last_failure: Failure | None = None
        self.unusable_reason: str | None = None
        self.breaker = self._breaker(options, clock, emit, STANDARD, None)  # every standard deployment's
        self.provisioned_breakers = {  # one per PTU deployment: a 429 there says nothing of the others
            name: self._breaker(options, clock, emit, PROVISIONED, name)
            for name in dict.fromkeys(config.provisioned.values())
        }
        self._key: str | None = None
        self._token_provider = token_provider
        self._token: Callable[[], Any] | None = None
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        if config.auth == "api-key":
            try:
                self._key = api_key_for(config, environ)
            except CredentialError as exc:
                self.unusable_reason = exc.problem  # AllRegionsFailed names the region itself
                log.warning("%s; it will not be used", exc)

    def _breaker(
        self,
        options: FailoverOptions,
        clock: Callable[[], float],
        emit: Callable[[Event], None],
        tier: str,
        deployment: str | None,
    ) -> Breaker:
        def changed(old: str, new: str, reason: str | None, open_for_s: float) -> None:
            emit(BreakerEvent(self.name, old, new, reason, open_for_s, tier, deployment))

        return Breaker(
            options.breaker_failures,
            options.breaker_open_s,
            options.breaker_failure_ratio,
            options.breaker_window_s,
            options.breaker_min_calls,
            clock,
            on_change=changed,
            tier=tier,
            deployment=deployment,
        )

    def targets(self, model: str) -> list[Target]:
        """Where this region can take `model`, in attempt order: provisioned first."""
        return [
            Target(self, tier, name, self.provisioned_breakers[name] if tier == PROVISIONED else self.breaker)
            for tier, name in self.config.tiers_for(model)
        ]

    def breaker_states(self) -> dict[str, BreakerState]:
        """The standard breaker under the region's name, each PTU deployment's under `region/name`."""
        states = {self.name: self.breaker.snapshot()}
        for name, breaker in self.provisioned_breakers.items():
            states[f"{self.name}/{name}"] = breaker.snapshot()
        return states

    @property
    def key(self) -> str | None:
        """The region's API key (None for Entra), for masking it in server text."""
        return self._key

    @property
    def usable(self) -> bool:
        return self.unusable_reason is None

    def deployment(self, model: str) -> str | None:
        return self.config.deployments.get(model)

    def _timeout(self) -> Any:
        return httpx2.Timeout(self.options.read_timeout_s, connect=self.options.connect_timeout_s)

    async def auth_header(self) -> tuple[str, str]:
        """(header name, value) for a WebSocket handshake: the key, or a fresh Entra token."""
        if self._key is not None:
            return "api-key", self._key
        if self._token is None:
            self._token = async_token_provider(
                self._token_provider or default_entra_provider(), self.options.credential_timeout_s, self.name
            )
        return "Authorization", f"Bearer {await self._token()}"

    def sync_client(self) -> openai.OpenAI:
        if self._sync is None:
            if self._key is not None:
                api_key: Any = self._key
            else:
                api_key = sync_token_provider(
                    self._token_provider or default_entra_provider(), self.options.credential_timeout_s, self.name
                )
            transport = GuardedTransport(
                httpx2.HTTPTransport(), self.options.max_response_bytes, self.options.stream_idle_timeout_s
            )
            self._sync = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=api_key,
                max_retries=0,
                timeout=self._timeout(),
                http_client=openai.DefaultHttpx2Client(transport=transport, timeout=self._timeout()),
            )
        return self._sync

    def async_client(self) -> openai.AsyncOpenAI:
        if self._async is None:
            if self._key is not None:
                api_key: Any = self._key
            else:
                api_key = async_token_provider(
                    self._token_provider or default_entra_provider(), self.options.credential_timeout_s, self.name
                )
            transport = AsyncGuardedTransport(
                httpx2.AsyncHTTPTransport(), self.options.max_response_bytes, self.options.stream_idle_timeout_s
            )
            self._async = openai.AsyncOpenAI(
                base_url=self.config.base_url,
                api_key=api_key,
                max_retries=0,
                timeout=self._timeout(),
                http_client=openai.DefaultAsyncHttpx2Client(transport=transport, timeout=self._timeout()),
            )
        return self._async

    def record_success(self, breaker: Breaker | None = None) -> None:
        self.misconfigured = False
        (breaker or self.breaker).record_success()

    def record_failure(
        self,
        failure: Failure,
        open_for_s: float | None = None,
        misconfigured: bool = False,
        breaker: Breaker | None = None,
    ) -> None:
        """Count `failure` on `breaker` (default: the region's standard one)."""
        self.last_failure = failure
        if misconfigured:
            self.misconfigured = True
        (breaker or self.breaker).record_failure(f"{failure.outcome}: {failure.summary}", open_for_s)

    def record_failure_outcome(self, outcome: Outcome, status: int | None, summary: str) -> None:
        """A failure that did not come as an SDK exception (a WebSocket): 401/403/404 keep the region
        away for breaker_open_s, a 429 too, anything else counts toward the breaker."""
        if outcome in (Outcome.AUTH_ERROR, Outcome.NOT_FOUND):
            effect = MISCONFIGURED
        else:
            effect = THROTTLED if outcome is Outcome.RATE_LIMITED else FAULTY
        failure = Failure(outcome, effect, status, summary=summary)
        if effect == FAULTY:
            self.record_failure(failure)
        else:
            self.record_failure(failure, open_for_s=self.options.breaker_open_s, misconfigured=effect == MISCONFIGURED)

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()


class Router:
    """The regions of one client, the events it reports, and the id of each call."""

    def __init__(
        self,
        regions: Sequence[RegionConfig],
        options: FailoverOptions,
        on_event: Callable[[Event], None] | None = None,
        token_provider: Callable[[], Any] | Mapping[str, Callable[[], Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if not regions:
            raise ValueError("a failover client needs at least one region")
        self.options = options
        self.clock = clock
        self.rng = random.Random(seed)
        self._listeners: list[Callable[[Event], None]] = [on_event] if on_event else []
        self._calls = itertools.count(1)
        env = os.environ if environ is None else environ
        self.regions = [
            RegionRuntime(r, options, clock, self.emit, _provider_for(token_provider, r.name), env)
            for r in sorted(regions, key=lambda r: r.priority)
        ]
        # every key this client holds: masked in whatever a server sends back
        self.redact = Redactor(r.key for r in self.regions if r.key)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the caller's request
                log.exception("failover event listener failed")

    def next_call_id(self) -> int:
        return next(self._calls)

    def for_model(self, model: str, preferred: str | None = None) -> list[RegionRuntime]:
        """Regions that deploy `model`, by priority, with `preferred` (if any deploys it) first."""
        serving = [r for r in self.regions if r.deployment(model) is not None]
        if not serving:
            known = sorted({m for r in self.regions for m in r.config.deployments})
            raise ValueError(f"no region deploys model {model!r}; configured models: {', '.join(known)}")
        if preferred is not None:
            serving.sort(key=lambda r: r.name != preferred)
        return serving

    def targets_for(self, model: str, preferred: str | None = None) -> list[Target]:
        """Every target for `model`: regions by priority (`preferred`, if it deploys the model,
        first), each region's provisioned deployment before its standard one."""
        serving = [r for r in self.regions if r.config.tiers_for(model)]
        if not serving:
            known = sorted({m for r in self.regions for m in r.config.models})
            raise ValueError(f"no region deploys model {model!r}; configured models: {', '.join(known)}")
        if preferred is not None:
            serving.sort(key=lambda r: r.name != preferred)
        return [target for region in serving for target in region.targets(model)]

    def breaker_states(self) -> dict[str, BreakerState]:
        """Every breaker now: each region's standard one under its name, each provisioned
        deployment's under `"<region>/<deployment>"`."""
        return {key: state for r in self.regions for key, state in r.breaker_states().items()}

    def close(self) -> None:
        for region in self.regions:
            region.close()


def _provider_for(
    provider: Callable[[], Any] | Mapping[str, Callable[[], Any]] | None, region: str
) -> Callable[[], Any] | None:
    if isinstance(provider, Mapping):
        return provider.get(region)
    return provider


class Target:
    """One place an attempt can go: `region`'s `deployment` of a model in `tier`, and the breaker
    that guards it. `key` names it in `breaker_states()` and in a call's record of what it tried."""

    __slots__ = ("breaker", "deployment", "region", "tier")

    def __init__(self, region: RegionRuntime, tier: str, deployment: str, breaker: Breaker) -> None:
        self.region, self.tier, self.deployment, self.breaker = region, tier, deployment, breaker

    @property
    def key(self) -> str:
        return self.region.name if self.tier == STANDARD else f"{self.region.name}/{self.deployment}"

    def record_success(self) -> None:
        self.region.record_success(self.breaker)

    def record_failure(self, failure: Failure, open_for_s: float | None = None, misconfigured: bool = False) -> None:
        self.region.record_failure(failure, open_for_s, misconfigured, self.breaker)

    def __repr__(self) -> str:
        return f"Target({self.key}, {self.tier})"
