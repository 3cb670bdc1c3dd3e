"""What the failover client accepts from a region before it calls an answer an answer: an HTTP
transport wrapper under each region's openai SDK client.

- **Content type.** A 2xx must be JSON (`application/json`) or a stream (`text/event-stream`).
  An HTML page, a proxy's login form or an empty `text/plain` 200 is not Azure's answer: it raises
  `ResponseRejected`, which the client classifies as `bad_response` and fails over like a 5xx.
- **Size.** The body is decoded here, with a bound: at most `max_response_bytes` (default 32 MiB)
  of decoded bytes, whatever the compression (a gzip bomb stops at the bound, not at 1 GiB).
  Only `gzip`, `deflate` and `identity` are asked for and accepted.
- **Deadline.** While the client runs an attempt it sets the call's deadline (`attempt_deadline`);
  every read of the body checks it, so a server that trickles its body a byte a second cannot
  hold a call past its deadline for longer than the gap between two reads (each read is bounded
  by the read timeout, itself never beyond the deadline). Once an attempt has handed the caller its
  answer (a stream: its first output), the deadline no longer applies.
- **Idle streams.** With `stream_idle_s` set, an event stream whose bytes keep coming but hold no
  event (SSE comments, keep-alives) for longer than that raises `httpx2.ReadTimeout` at the next
  read: a trickle cannot keep a stalled stream alive. Silence itself is the read timeout's (the
  client sets it to at most `stream_idle_timeout_s` on stream attempts).
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

import httpx2
import openai

from .options import DEFAULT_MAX_RESPONSE_BYTES

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AsyncGuardedTransport",
    "GuardedTransport",
    "ResponseRejected",
    "attempt_deadline",
]

_ANSWER_TYPES = ("application/json", "text/event-stream")
_DEADLINE: ContextVar[tuple[float, Callable[[], float]] | None] = ContextVar("aoai_watch_deadline", default=None)


class ResponseRejected(openai.OpenAIError):
    """The region answered, but not with Azure's answer (wrong content type, too large, an unknown
    or broken encoding). The message is ours and holds nothing the server sent."""


@contextlib.contextmanager
def attempt_deadline(at: float, clock: Callable[[], float]) -> Iterator[None]:
    """Within this block (this thread or task), reading a body past `at` (on `clock`) times out."""
    token = _DEADLINE.set((at, clock))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _check_deadline() -> None:
    current = _DEADLINE.get()
    if current is not None and current[1]() >= current[0]:
        raise httpx2.ReadTimeout("the call's deadline passed while the body was still arriving")


class _Decoder:
    """Decodes the body as it arrives and counts the decoded bytes against the bound."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.seen = 0
        if encoding in ("", "identity"):
            self._z: Any = None
        elif encoding == "gzip":
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()  # zlib-wrapped; raw deflate is retried below
        else:
            raise ResponseRejected(f"the response is encoded as {encoding[:40]!r}, which was not asked for")
        self._raw_deflate = encoding == "deflate"

    def feed(self, chunk: bytes) -> bytes:
        if self._z is None:
            return self._count(chunk)
        try:
            out = self._z.decompress(chunk, self.max_bytes - self.seen + 1)
        except zlib.error:
            if self._raw_deflate and self.seen == 0:
                self._z, self._raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), False
                return self.feed(chunk)
            raise ResponseRejected("the response's compressed body is corrupt") from None
        if self._z.unconsumed_tail:
            raise self._too_large()
        return self._count(out)

    def flush(self) -> bytes:
        return self._count(self._z.flush()) if self._z is not None else b""

    def _count(self, data: bytes) -> bytes:
        self.seen += len(data)
        if self.seen > self.max_bytes:
            raise self._too_large()
        return data

    def _too_large(self) -> ResponseRejected:
        return ResponseRejected(f"the response is larger than max_response_bytes ({self.max_bytes:,} bytes decoded)")


def _screen(response: httpx2.Response, max_bytes: int) -> _Decoder:
    """Check the headers of an answer; the decoder its body goes through. Headers are rewritten
    to describe what the SDK will read: the decoded body."""
    if 200 <= response.status_code < 300:
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _ANSWER_TYPES:
            shown = content_type[:40] or "none"
            raise ResponseRejected(f"HTTP {response.status_code} with content type {shown}: not Azure's answer")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    decoder = _Decoder(encoding, max_bytes)
    length = response.headers.get("content-length", "")
    if encoding in ("", "identity") and length.isdigit() and int(length) > max_bytes:
        raise decoder._too_large()
    if "content-encoding" in response.headers:
        del response.headers["content-encoding"]
        response.headers.pop("content-length", None)
    return decoder


class _IdleWatch:
    """When the last SSE event arrived (real time: this is about bytes on a socket); a chunk with no
    `data:` line after more than `idle_s` of no event is a stalled stream kept open by a trickle."""

    def __init__(self, idle_s: float | None) -> None:
        self.idle_s = idle_s
        self.last_event = time.monotonic()

    def check(self, decoded: bytes) -> None:
        if self.idle_s is None or not decoded:
            return
        now = time.monotonic()
        if b"data:" in decoded:
            self.last_event = now
        elif now - self.last_event > self.idle_s:
            gap_s = now - self.last_event
            timeout = httpx2.ReadTimeout(f"no stream event for {gap_s:.2f} s, only comments or keep-alives")
            timeout.gap_s = gap_s  # type: ignore[attr-defined]  # the stall's length, for StreamStalled
            raise timeout


def _idle_s(response: httpx2.Response, stream_idle_s: float | None) -> float | None:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return stream_idle_s if content_type == "text/event-stream" else None


class _GuardedStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, decoder: _Decoder, idle_s: float | None = None) -> None:
        self._inner, self._decoder, self._idle = inner, decoder, _IdleWatch(idle_s)

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            _check_deadline()
            out = self._decoder.feed(chunk)
            self._idle.check(out)
            if out:
                yield out
        tail = self._decoder.flush()
        if tail:
            yield tail

    def close(self) -> None:
        self._inner.close()


class _AsyncGuardedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, decoder: _Decoder, idle_s: float | None = None) -> None:
        self._inner, self._decoder, self._idle = inner, decoder, _IdleWatch(idle_s)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            _check_deadline()
            out = self._decoder.feed(chunk)
            self._idle.check(out)
            if out:
                yield out
        tail = self._decoder.flush()
        if tail:
            yield tail

    async def aclose(self) -> None:
        await self._inner.aclose()


def _ask_for_bounded_encodings(request: httpx2.Request) -> None:
    request.headers["accept-encoding"] = "gzip, deflate"


class GuardedTransport(httpx2.BaseTransport):
    """Wraps a transport: answers screened, bodies decoded with a bound and under the deadline,
    event streams watched for a trickle without events (`stream_idle_s`; None: not watched)."""

    def __init__(
        self,
        inner: httpx2.BaseTransport,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        stream_idle_s: float | None = None,
    ) -> None:
        self._inner = inner
        self._max_bytes = max_response_bytes
        self._stream_idle_s = stream_idle_s

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        _ask_for_bounded_encodings(request)
        response = self._inner.handle_request(request)
        try:
            decoder = _screen(response, self._max_bytes)
        except BaseException:
            response.close()
            raise
        response.stream = _GuardedStream(response.stream, decoder, _idle_s(response, self._stream_idle_s))
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncGuardedTransport(httpx2.AsyncBaseTransport):
    """The async twin of `GuardedTransport`."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        stream_idle_s: float | None = None,
    ) -> None:
        self._inner = inner
        self._max_bytes = max_response_bytes
        self._stream_idle_s = stream_idle_s

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        _ask_for_bounded_encodings(request)
        response = await self._inner.handle_async_request(request)
        try:
            decoder = _screen(response, self._max_bytes)
        except BaseException:
            await response.aclose()
            raise
        response.stream = _AsyncGuardedStream(response.stream, decoder, _idle_s(response, self._stream_idle_s))
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
