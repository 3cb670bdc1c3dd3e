"""Streams that fail over only before the first content token.

An attempt reads a stream until its first chunk with non-empty `delta.content` (Azure's annotation
chunk and the role chunk come earlier and do not count). A failure before that point is an ordinary
failed attempt, and the next region starts the answer afresh; after it, the stream belongs to the
caller and an error is raised to them: text from two regions is never spliced together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["AsyncFailoverStream", "FailoverStream", "has_content"]


def has_content(chunk: Any) -> bool:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return False
    delta = getattr(choices[0], "delta", None)
    return bool(getattr(delta, "content", None))


def read_to_first_token(stream: Any) -> list[Any]:
    """Chunks up to and including the first content token (all of them if the stream ends first)."""
    buffered = []
    for chunk in stream:
        buffered.append(chunk)
        if has_content(chunk):
            break
    return buffered


async def aread_to_first_token(stream: Any) -> list[Any]:
    buffered = []
    async for chunk in stream:
        buffered.append(chunk)
        if has_content(chunk):
            break
    return buffered


class FailoverStream:
    """Iterates like openai's `Stream`: the chunks read before the first token, then the rest.
    `region` says which region answered; `response` is the HTTP response (headers)."""

    def __init__(self, stream: Any, buffered: list[Any], region: str) -> None:
        self._stream = stream
        self._buffered = buffered
        self.region = region
        self.response = stream.response

    def __iter__(self) -> Iterator[Any]:
        yield from self._buffered
        self._buffered = []
        yield from self._stream

    def __next__(self) -> Any:
        if self._buffered:
            return self._buffered.pop(0)
        return next(self._stream)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> FailoverStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFailoverStream:
    """The async twin of `FailoverStream`."""

    def __init__(self, stream: Any, buffered: list[Any], region: str) -> None:
        self._stream = stream
        self._buffered = buffered
        self.region = region
        self.response = stream.response

    async def __aiter__(self) -> AsyncIterator[Any]:
        for chunk in self._buffered:
            yield chunk
        self._buffered = []
        async for chunk in self._stream:
            yield chunk

    async def close(self) -> None:
        await self._stream.close()

    async def __aenter__(self) -> AsyncFailoverStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
