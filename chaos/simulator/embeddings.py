"""Embeddings: unit vectors derived from each input's text, as floats or base64 float32
(openai-python asks for base64 unless told otherwise)."""

from __future__ import annotations

import base64
import math
import random
import zlib
from array import array
from typing import Any

from . import ops, tokens
from .model import EMBEDDING_DIMENSIONS
from .region import Call


def _vector(text: str, dimensions: int) -> array:
    rng = random.Random(zlib.crc32(text.encode()))
    values = [rng.random() - 0.5 for _ in range(dimensions)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return array("f", (v / norm for v in values))


def _inputs(raw: Any) -> list[str] | None:
    """The inputs as texts: a string, a list of strings, or token arrays (turned into text keys)."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw:
        if all(isinstance(x, str) for x in raw):
            return raw
        if all(isinstance(x, int) for x in raw):
            return [" ".join(map(str, raw))]
        if all(isinstance(x, list) and all(isinstance(t, int) for t in x) for x in raw):
            return [" ".join(map(str, x)) for x in raw]
    return None


async def embeddings(call: Call) -> None:
    body = ops.body_object(call)
    deployment = ops.deployment(call, "embeddings", embedding=True)
    texts = _inputs(body.get("input"))
    ops.require(
        texts is not None and all(t.strip() for t in texts),
        "'input' must be a non-empty string or array of strings or token arrays.",
        "input",
    )
    assert texts is not None
    dimensions = ops.optional_int(body, "dimensions") or EMBEDDING_DIMENSIONS.get(deployment.model, 1536)
    encoding = body.get("encoding_format", "float")
    ops.require(encoding in ("float", "base64"), "'encoding_format' must be 'float' or 'base64'.", "encoding_format")
    prompt_tokens = sum(tokens.text_tokens(t) for t in texts)
    call.admit(prompt_tokens)
    region = call.region
    delay = region.spec.latency.sample_ttft_s(region.rng) / 3  # embeddings answer faster than chat
    if delay > 0:
        await region.sleep(delay)
    data = []
    for i, text in enumerate(texts):
        vector = _vector(text, dimensions)
        value: Any = base64.b64encode(vector.tobytes()).decode() if encoding == "base64" else vector.tolist()
        data.append({"object": "embedding", "index": i, "embedding": value})
    call.usage = (prompt_tokens, 0)
    await call.reply(
        200,
        {
            "object": "list",
            "data": data,
            "model": call.effects.model_version or deployment.model_version,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        },
    )
