"""Streams that fail over only before the first output.

An attempt reads a stream until its first output (`has_output`): for chat the first chunk with a
non-empty `delta.content`, `delta.refusal` or `delta.tool_calls` (Azure's annotation chunk and the
role chunk come earlier and do not count); for Responses the first non-empty
`response.output_text.delta`, a `response.refusal.delta`, a
`response.function_call_arguments.delta`, or a `response.output_item.added` whose item is a
`function_call`. A failure before that point is an ordinary failed attempt, and the next region
starts the answer afresh; after it, the stream belongs to the caller and an error is raised to
them: text or tool-call arguments from two regions are never spliced together. A tool-call stream
reaches the caller fragment by fragment, like text.

A stream that goes quiet (no event for `stream_idle_timeout_s`: the client's read timeout on stream
attempts, and the guard's check for a trickle of comments) raises `StreamStalled`, naming the
region, the deployment and the gap: before the first output it is a failed attempt (outcome
`timeout`) that fails over, after it the caller's error.

The attempt returned at the first output, but whether the target served the call is known only at
the stream's end: the wrappers tell the client once how it ended (`settle`): None when it finished
or the caller closed it, else the exception the caller gets for a stall or a break. The client
counts that on the breaker of the target that served the stream, as it counts a timeout before
the first output.

A stream that ends before any output (no chunk at all, a truncated event, or no content and no
finish) is not an answer: `ResponseRejected`, a `bad_response` that fails over like a 5xx.
`check_answer` does the same for a non-streamed answer whose shape is not the operation's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2
import openai
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from .errors import StreamStalled
from .guard import ResponseRejected

__all__ = ["AsyncFailoverStream", "FailoverStream", "StreamSource", "check_answer", "has_output"]

# what a read that waited too long raises: the SDK wraps httpx's timeout, a guard check may not be
_TIMEOUTS = (openai.APITimeoutError, httpx2.TimeoutException)

_TERMINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")


# Responses events that are output as soon as they arrive (their delta may be an empty string)
_OUTPUT_EVENTS = ("response.refusal.delta", "response.function_call_arguments.delta")


def has_output(chunk: Any) -> bool:
    """The caller's answer has begun in this chunk: a chat delta with content, a refusal or a
    tool-call fragment (any choice), or a Responses text, refusal or function-call event."""
    kind = getattr(chunk, "type", None)
    if kind is not None:
        if kind == "response.output_text.delta":
            return bool(getattr(chunk, "delta", None))
        if kind in _OUTPUT_EVENTS:
            return True
        if kind == "response.output_item.added":
            return getattr(getattr(chunk, "item", None), "type", None) == "function_call"
        return False
    for choice in getattr(chunk, "choices", None) or ():
        delta = getattr(choice, "delta", None)
        if getattr(delta, "content", None) or getattr(delta, "refusal", None) or getattr(delta, "tool_calls", None):
            return True
    return False


def finishes(chunk: Any) -> bool:
    """A chat chunk with a `finish_reason`, or a Responses event that ends the response."""
    if getattr(chunk, "type", None) in _TERMINAL_EVENTS:
        return True
    return any(getattr(c, "finish_reason", None) for c in getattr(chunk, "choices", None) or ())


class StreamSource:
    """Who is streaming (region, deployment) and when their last event arrived, in real time (a
    stall is bytes not arriving on a socket): what a `StreamStalled` says."""

    def __init__(self, region: str, deployment: str) -> None:
        self.region, self.deployment = region, deployment
        self.last_event = time.monotonic()  # the headers count: the first event's gap starts there

    def seen(self) -> None:
        self.last_event = time.monotonic()

    def stalled(self, timeout: BaseException | None = None) -> StreamStalled:
        """The stall `timeout` (the read timeout that ended the stream) stands for. Its own `gap_s`,
        where the transport's idle watch measured one, counts: that watch saw the last event's bytes
        a moment before this source saw the event."""
        gap_s = max(time.monotonic() - self.last_event, getattr(timeout, "gap_s", 0.0))
        return StreamStalled(self.region, self.deployment, gap_s)


def read_to_first_output(stream: Any, source: StreamSource) -> list[Any]:
    """Chunks up to and including the first output (all of them if the stream ends first, which
    must then have finished: else ResponseRejected); a read that times out is StreamStalled."""
    buffered = []
    try:
        for chunk in stream:
            source.seen()
            buffered.append(chunk)
            if has_output(chunk):
                return buffered
    except _TIMEOUTS as exc:
        raise source.stalled(exc) from exc
    return _ended(buffered)


async def aread_to_first_output(stream: Any, source: StreamSource) -> list[Any]:
    buffered = []
    try:
        async for chunk in stream:
            source.seen()
            buffered.append(chunk)
            if has_output(chunk):
                return buffered
    except _TIMEOUTS as exc:
        raise source.stalled(exc) from exc
    return _ended(buffered)


def _ended(buffered: list[Any]) -> list[Any]:
    if not any(finishes(chunk) for chunk in buffered):
        raise ResponseRejected(f"the stream ended after {len(buffered)} chunk(s) without output or a finish")
    return buffered


_SHAPES: dict[str, tuple[type, str]] = {
    "chat.completions": (ChatCompletion, "choices"),
    "responses": (Response, "output"),
    "embeddings": (CreateEmbeddingResponse, "data"),
}


def check_answer(operation: str, answer: Any) -> None:
    """A non-streamed answer must be the operation's object with its list present (choices,
    output, data); anything else (a bare string, `{}`) is ResponseRejected."""
    expected, field = _SHAPES[operation]
    if not isinstance(answer, expected) or not isinstance(getattr(answer, field, None), list):
        raise ResponseRejected(f"the answer is not a {expected.__name__} ({type(answer).__name__} instead)")
    if operation != "responses" and not getattr(answer, field):
        raise ResponseRejected(f"the answer's {field} is empty")


def _ignore(_: Any) -> None:
    return None


class _Wrapped:
    """What both stream wrappers hold: the SDK stream, the chunks read up to the first output,
    where it comes from, an observer that sees every chunk handed out, and `settle`, told once how
    the stream ended: None (finished, or closed by the caller), or the exception a stall
    (`StreamStalled`) or a break (anything else the SDK stream raises) ends it with, before the
    caller gets it."""

    def __init__(
        self,
        stream: Any,
        buffered: list[Any],
        source: StreamSource,
        observe: Callable[[Any], None] | None = None,
        settle: Callable[[Exception | None], None] | None = None,
    ) -> None:
        self._stream = stream
        self._buffered = buffered
        self._source = source
        self.region = source.region
        self.deployment = source.deployment
        self.response = stream.response
        self._observe = observe or _ignore
        self._settle = settle

    def _settled(self, error: Exception | None = None) -> None:
        report, self._settle = self._settle, None  # once: a caller may iterate or close again after it
        if report is not None:
            report(error)

    def _broke(self, exc: Exception) -> Exception:
        """What the caller gets for `exc` (a read timeout is `StreamStalled`), settled first."""
        error: Exception = self._source.stalled(exc) if isinstance(exc, _TIMEOUTS) else exc
        self._settled(error)
        return error


class FailoverStream(_Wrapped):
    """Iterates like openai's `Stream`: the chunks read up to the first output, then the rest; a
    stall raises `StreamStalled`, a break what the SDK raised (either settles the stream first).
    `region` and `deployment` say who answered; `response` is the HTTP response (headers)."""

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                yield self.__next__()
            except StopIteration:
                return

    def __next__(self) -> Any:
        if self._buffered:
            chunk = self._buffered.pop(0)
        else:
            try:
                chunk = next(self._stream)
            except StopIteration:
                self._settled()
                raise
            except Exception as exc:
                error = self._broke(exc)
                if error is exc:
                    raise
                raise error from exc
            self._source.seen()
        self._observe(chunk)
        return chunk

    def close(self) -> None:
        self._settled()  # the caller stopped reading: nothing went wrong while it read
        self._stream.close()

    def __enter__(self) -> FailoverStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFailoverStream(_Wrapped):
    """The async twin of `FailoverStream`."""

    async def __aiter__(self) -> AsyncIterator[Any]:
        while self._buffered:
            chunk = self._buffered.pop(0)
            self._observe(chunk)
            yield chunk
        chunks = self._stream.__aiter__()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                self._settled()
                return
            except Exception as exc:
                error = self._broke(exc)
                if error is exc:
                    raise
                raise error from exc
            self._source.seen()
            self._observe(chunk)
            yield chunk

    async def close(self) -> None:
        self._settled()
        await self._stream.close()

    async def __aenter__(self) -> AsyncFailoverStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
