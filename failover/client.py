"""`FailoverClient` and `AsyncFailoverClient`: drop-in for `openai.OpenAI` on the calls that
matter (chat completions, responses, embeddings), across regions, with one retry loop.

    client = FailoverClient.from_config("aoai-watch.toml")
    client.chat.completions.create(model="gpt-4o", messages=[...])      # the model, not a deployment

Each call walks a `CallPlan` (plan.py) over its targets (router.Target: a region's provisioned
deployment of the model first, then its standard one, region by region): the sync and async
clients differ only in how they wait and send; every decision is made in the plan.
"""

from __future__ import annotations

import abc
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from . import events as ev
from .breaker import BreakerState
from .classify import Failure, classify
from .config import Problems, RegionConfig, load_toml, parse_regions
from .conversations import Conversations, input_items
from .events import AttemptEvent, Event
from .guard import attempt_deadline
from .options import FailoverOptions, parse_failover_options
from .outcomes import Outcome
from .plan import CallPlan
from .redact import Redactor
from .router import RegionRuntime, Router, Target
from .streams import (
    AsyncFailoverStream,
    FailoverStream,
    StreamSource,
    aread_to_first_output,
    check_answer,
    read_to_first_output,
)

__all__ = ["AsyncFailoverClient", "FailoverClient"]

CHAT, RESPONSES, EMBEDDINGS = "chat.completions", "responses", "embeddings"


class _Request:
    """One call as the caller made it, and how to shape it for a region."""

    def __init__(self, operation: str, kwargs: dict[str, Any], raw: bool, conversations: Conversations) -> None:
        kwargs = dict(kwargs)
        model = kwargs.pop("model", None)
        if not isinstance(model, str) or not model:
            raise TypeError("model= is required: the model name, which each region maps to its deployment")
        self.operation = operation
        self.model = model
        self.raw = raw
        self.stream = kwargs.get("stream") is True
        if self.stream and raw:
            raise TypeError("with_raw_response does not take stream=True here; the stream's .response has the headers")
        user_timeout = kwargs.pop("timeout", None)
        self.user_timeout_s = float(user_timeout) if isinstance(user_timeout, int | float) else None
        self.kwargs = kwargs
        self.conversations = conversations
        parent = kwargs.get("previous_response_id") if operation == RESPONSES else None
        self.parent = conversations.get(parent) if isinstance(parent, str) else None
        self.replay_on: set[str] = set()  # regions that lost the state: resend in full there too

    @property
    def preferred_region(self) -> str | None:
        return self.parent.region if self.parent else None

    @property
    def can_replay(self) -> bool:
        return self.parent is not None

    def arguments(self, region: RegionRuntime) -> dict[str, Any]:
        args = dict(self.kwargs)
        if self.parent is not None and (region.name != self.parent.region or region.name in self.replay_on):
            args.pop("previous_response_id", None)
            args["input"] = [*self.parent.items, *input_items(self.kwargs.get("input"))]
        return args

    def timeout(self, plan: CallPlan, options: FailoverOptions) -> httpx2.Timeout:
        remaining = plan.remaining_s()
        read = min(options.read_timeout_s, remaining, self.user_timeout_s or remaining)
        connect = min(options.connect_timeout_s, read)  # a stall is about events, not the handshake
        if self.stream:  # each wait for the next event is a possible stall
            read = min(read, options.stream_idle_timeout_s)
        return httpx2.Timeout(read, connect=connect)

    def remember(self, result: Any, region: RegionRuntime) -> None:
        """Keep a finished Responses conversation for replay (a stream: once it completes)."""
        if self.operation != RESPONSES or self.stream:
            return
        self._remember(result.parse() if self.raw else result, region)

    def stream_observer(self, region: RegionRuntime) -> Callable[[Any], None] | None:
        if self.operation != RESPONSES:
            return None

        def observe(event: Any) -> None:
            if getattr(event, "type", None) == "response.completed":
                self._remember(event.response, region)

        return observe

    def _remember(self, response: Any, region: RegionRuntime) -> None:
        history = self.parent.items if self.parent is not None else ()
        self.conversations.remember(response, region.name, history, self.kwargs.get("input"))


@dataclass
class _Call:
    call_id: int
    plan: CallPlan
    request: _Request


_HEDGE_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=32, thread_name_prefix="aoai-hedge")


def _close_losing_stream(future: concurrent.futures.Future[tuple[bool, Any]]) -> None:
    with contextlib.suppress(Exception):
        done, result = future.result()
        if done and isinstance(result, FailoverStream):
            result.close()


def _masked(failure: Failure, redact: Redactor) -> Failure:
    """The failure with every secret the server may have echoed masked (summary, code)."""
    code = redact(failure.code) if failure.code is not None else None
    return dataclasses.replace(failure, summary=redact(failure.summary), code=code)


def _named_key(failure: Failure, region: RegionRuntime) -> Failure:
    """A wrong-key 401 says which variable holds the wrong key (its name, never the key)."""
    if not failure.key_refused or not region.config.api_key_env:
        return failure
    summary = (
        f"HTTP 401: wrong key: Azure refused the key in ${region.config.api_key_env} for {region.config.endpoint} "
        "(invalid subscription key or wrong API endpoint)"
    )
    return dataclasses.replace(failure, summary=summary)


def _mask_exception(exc: Exception, redact: Redactor) -> None:
    """The SDK's exception, raised to the caller as it is, but with echoed secrets masked in its
    message (its `body` keeps the server's JSON for callers who inspect it)."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        setattr(exc, "message", redact(message))  # noqa: B010 - not every exception declares it
    exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)


def _resource(client: Any, operation: str, raw: bool) -> Any:
    resource = {
        CHAT: lambda: client.chat.completions,
        RESPONSES: lambda: client.responses,
        EMBEDDINGS: lambda: client.embeddings,
    }[operation]()
    return resource.with_raw_response if raw else resource


class _Base(abc.ABC):
    def __init__(
        self,
        regions: Sequence[RegionConfig],
        *,
        on_event: Callable[[Event], None] | None = None,
        token_provider: Callable[[], Any] | Mapping[str, Callable[[], Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
        environ: Mapping[str, str] | None = None,
        options: FailoverOptions | None = None,
        **overrides: Any,
    ) -> None:
        self.options = (options or FailoverOptions()).replace(**overrides)
        self._router = Router(regions, self.options, on_event, token_provider, clock, seed, environ)
        self._conversations = Conversations(self.options.conversations_kept)
        self.chat = _Chat(self)
        self.responses = _Operation(self, RESPONSES)
        self.embeddings = _Operation(self, EMBEDDINGS)

    @abc.abstractmethod
    def _send(self, request: _Request) -> Any:
        """Run one call through the plan: the result, or (async) a coroutine of it."""

    @classmethod
    def from_config(cls, path: str | Path, **overrides: Any) -> Any:
        """Build from a config file's `[[regions]]` and optional `[failover]` table; keyword
        overrides win over the file. Every problem in those parts is raised at once (`ConfigErrors`)."""
        doc = load_toml(path)
        problems = Problems()
        regions = parse_regions(doc, path, problems)
        options = problems.attempt(parse_failover_options, doc, path)
        problems.raise_if_any()
        return cls(regions, options=options, **overrides)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Also send every AttemptEvent and BreakerEvent to `listener`."""
        self._router.add_listener(listener)

    def breaker_states(self) -> dict[str, BreakerState]:
        """Every breaker now (state, consecutive failures, seconds until a retry, tier, deployment):
        each region's standard one under the region's name, each provisioned deployment's under
        `"<region>/<deployment>"`."""
        return self._router.breaker_states()

    @property
    def regions(self) -> list[str]:
        return [r.name for r in self._router.regions]

    def _plan(self, request: _Request) -> CallPlan:
        return CallPlan(
            request.model,
            self._router.targets_for(request.model, request.preferred_region),
            self.options,
            self._router.clock,
            self._router.rng,
        )

    def _after_failure(self, call: _Call, target: Target, started: float, exc: Exception, hedged: bool) -> bool:
        """Record a failed attempt; True when the caller must get the exception now."""
        failure = _named_key(_masked(classify(exc), self._router.redact), target.region)
        decision = call.plan.record_failure(target, failure, call.request.can_replay)
        if decision == ev.RAISE:
            _mask_exception(exc, self._router.redact)
        if decision == ev.REPLAY:
            call.request.replay_on.add(target.region.name)
        self._report(call, target, started, failure.outcome, failure.status, decision, failure.summary, hedged)
        return decision == ev.RAISE

    def _settle(self, call: _Call, target: Target, started: float, hedged: bool) -> Callable[[Exception | None], None]:
        """What a stream this attempt returns calls once it has ended: None (finished, or closed by
        the caller) is the target's success; a stall or a break after the first output is its
        failure, counted on its breaker (the record a stall before the first output makes) and
        reported as the same attempt again, decided `raise` (the caller gets the exception)."""
        attempt = call.plan.attempts

        def settle(exc: Exception | None) -> None:
            if exc is None:
                target.record_success()
                return
            failure = _masked(classify(exc), self._router.redact)
            target.record_failure(failure)
            detail = f"after the first output: {failure.summary}"
            self._report(call, target, started, failure.outcome, failure.status, ev.RAISE, detail, hedged, attempt)

        return settle

    def _after_success(self, call: _Call, target: Target, started: float, result: Any, hedged: bool) -> None:
        if isinstance(result, FailoverStream | AsyncFailoverStream):
            # the breaker hears how the stream ended (`_settle`); a half-open trial's slot is free
            # now, so a stream the caller abandons unread cannot hold the breaker shut
            target.breaker.release()
        else:
            call.plan.record_success(target)
        self._report(call, target, started, Outcome.OK, 200, ev.RETURN, "", hedged)
        call.request.remember(result, target.region)

    def _report(
        self,
        call: _Call,
        target: Target,
        started: float,
        outcome: Outcome,
        status: int | None,
        decision: str,
        detail: str,
        hedged: bool,
        attempt: int | None = None,
    ) -> None:
        self._router.emit(
            AttemptEvent(
                call_id=call.call_id,
                attempt=call.plan.attempts if attempt is None else attempt,
                operation=call.request.operation,
                region=target.region.name,
                deployment=target.deployment,
                outcome=outcome,
                status=status,
                latency_ms=(self._router.clock() - started) * 1000.0,
                decision=decision,
                detail=detail,
                hedged=hedged,
                tier=target.tier,
            )
        )


class FailoverClient(_Base):
    """The synchronous client. See the module docstring and README for options and behaviour."""

    def __init__(
        self, regions: Sequence[RegionConfig], *, sleep: Callable[[float], None] = time.sleep, **options: Any
    ) -> None:
        """`sleep` waits out backoffs and open breakers (tests inject one with their clock)."""
        self._sleep = sleep
        super().__init__(regions, **options)

    def _send(self, request: _Request) -> Any:
        call = _Call(self._router.next_call_id(), self._plan(request), request)
        while True:
            step = call.plan.next_step()
            if step.wait_s > 0:
                self._sleep(min(step.wait_s, call.plan.remaining_s()))
            if not step.acquired and not step.target.breaker.acquire():
                continue
            hedge = self.options.hedge_after_s
            done, result = self._race(call, step.target, hedge) if hedge is not None else self._try(call, step.target)
            if done:
                return result

    def _try(self, call: _Call, target: Target, hedged: bool = False) -> tuple[bool, Any]:
        """One attempt, recorded: (True, result) on success, (False, None) to go on; raises what
        no other region can fix."""
        call.plan.attempts += 1
        started = self._router.clock()
        try:
            result = self._attempt(call.request, target, call.plan, self._settle(call, target, started, hedged))
        except Exception as exc:
            if self._after_failure(call, target, started, exc, hedged):
                raise
            return False, None
        except BaseException:
            target.breaker.release()
            raise
        self._after_success(call, target, started, result, hedged)
        return True, result

    def _race(self, call: _Call, target: Target, hedge_after_s: float) -> tuple[bool, Any]:
        """Hedging: if `target` has not answered within `hedge_after_s`, send the same call to the
        next region too, and keep the first success. A thread cannot be cancelled: the loser runs
        to its end, its outcome still counts for its region, and a losing stream is closed."""
        first = _HEDGE_POOL.submit(self._try, call, target)
        try:
            return first.result(timeout=hedge_after_s)
        except concurrent.futures.TimeoutError:
            pass
        second_step = call.plan.hedge_step(exclude={target.region.name})
        if second_step is None or not second_step.target.breaker.acquire():
            return first.result()
        second = _HEDGE_POOL.submit(self._try, call, second_step.target, True)
        pending = {first, second}
        while pending:
            finished, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                done, result = future.result()  # re-raises a failure no region can fix
                if done:
                    for loser in pending:
                        loser.add_done_callback(_close_losing_stream)
                    return True, result
        return False, None

    def _attempt(
        self, request: _Request, target: Target, plan: CallPlan, settle: Callable[[Exception | None], None]
    ) -> Any:
        region = target.region
        resource = _resource(region.sync_client(), request.operation, request.raw)
        with attempt_deadline(plan.deadline, plan.clock):  # the body too, up to the first output
            result = resource.create(
                **request.arguments(region),
                model=target.deployment,
                timeout=request.timeout(plan, self.options),
            )
            if request.raw:
                check_answer(request.operation, result.parse())  # this attempt's failure, not the caller's
            elif not request.stream:
                check_answer(request.operation, result)
            if request.stream:
                source = StreamSource(region.name, target.deployment)
                try:
                    buffered = read_to_first_output(result, source)
                except BaseException:
                    result.close()
                    raise
                return FailoverStream(result, buffered, source, request.stream_observer(region), settle)
        return result

    def close(self) -> None:
        self._router.close()

    def __enter__(self) -> FailoverClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFailoverClient(_Base):
    """The asyncio client: the same surface, every `create` awaited."""

    def __init__(
        self,
        regions: Sequence[RegionConfig],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        """`sleep` waits out backoffs and open breakers (tests inject one with their clock)."""
        self._sleep = sleep
        super().__init__(regions, **options)

    async def _send(self, request: _Request) -> Any:
        call = _Call(self._router.next_call_id(), self._plan(request), request)
        while True:
            step = call.plan.next_step()
            if step.wait_s > 0:
                await self._sleep(min(step.wait_s, call.plan.remaining_s()))
            if not step.acquired and not step.target.breaker.acquire():
                continue
            hedge = self.options.hedge_after_s
            if hedge is not None:
                done, result = await self._race(call, step.target, hedge)
            else:
                done, result = await self._try(call, step.target)
            if done:
                return result

    async def _try(self, call: _Call, target: Target, hedged: bool = False) -> tuple[bool, Any]:
        call.plan.attempts += 1
        started = self._router.clock()
        try:
            result = await self._attempt(call.request, target, call.plan, self._settle(call, target, started, hedged))
        except Exception as exc:
            if self._after_failure(call, target, started, exc, hedged):
                raise
            return False, None
        except BaseException:  # cancelled (a hedge lost, or the caller gave up): free a trial slot
            target.breaker.release()
            raise
        self._after_success(call, target, started, result, hedged)
        return True, result

    async def _race(self, call: _Call, target: Target, hedge_after_s: float) -> tuple[bool, Any]:
        """Hedging: after `hedge_after_s` without an answer, send to the next region too; the first
        success wins and the other attempt is cancelled."""
        first = asyncio.ensure_future(self._try(call, target))
        finished, _ = await asyncio.wait({first}, timeout=hedge_after_s)
        if finished:
            return first.result()
        second_step = call.plan.hedge_step(exclude={target.region.name})
        if second_step is None or not second_step.target.breaker.acquire():
            return await first
        pending = {first, asyncio.ensure_future(self._try(call, second_step.target, True))}
        try:
            while pending:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    done, result = task.result()
                    if done:
                        return True, result
            return False, None
        finally:
            for task in pending:
                task.cancel()

    async def _attempt(
        self, request: _Request, target: Target, plan: CallPlan, settle: Callable[[Exception | None], None]
    ) -> Any:
        region = target.region
        resource = _resource(region.async_client(), request.operation, request.raw)
        with attempt_deadline(plan.deadline, plan.clock):
            result = await resource.create(
                **request.arguments(region),
                model=target.deployment,
                timeout=request.timeout(plan, self.options),
            )
            if request.raw:
                check_answer(request.operation, result.parse())
            elif not request.stream:
                check_answer(request.operation, result)
            if request.stream:
                source = StreamSource(region.name, target.deployment)
                try:
                    buffered = await aread_to_first_output(result, source)
                except BaseException:
                    await result.close()
                    raise
                return AsyncFailoverStream(result, buffered, source, request.stream_observer(region), settle)
        return result

    async def close(self) -> None:
        for region in self._router.regions:
            if region._async is not None:
                await region._async.close()
        self._router.close()

    async def __aenter__(self) -> AsyncFailoverClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Operation:
    """`client.responses`, `client.embeddings`, `client.chat.completions`: `.create(**kwargs)` and
    `.with_raw_response.create(**kwargs)` (status and headers, `.parse()` for the object)."""

    def __init__(self, client: _Base, operation: str, raw: bool = False) -> None:
        self._client = client
        self._operation = operation
        self._raw = raw

    def create(self, **kwargs: Any) -> Any:
        request = _Request(self._operation, kwargs, self._raw, self._client._conversations)
        return self._client._send(request)

    @property
    def with_raw_response(self) -> _Operation:
        return _Operation(self._client, self._operation, raw=True)


class _Chat:
    def __init__(self, client: _Base) -> None:
        self.completions = _Operation(client, CHAT)
