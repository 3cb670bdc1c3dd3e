"""How a simulated region decides who may call it, answering with Azure's exact 401 bodies.

- auth "api-key": the key in an `api-key` header, or as `Authorization: Bearer <key>` (what the
  plain openai client sends). Anything else gets the invalid-key 401.
- auth "entra": a Bearer JWT whose `aud` is https://cognitiveservices.azure.com and whose `exp`
  lies ahead. The signature is not checked, so tests mint tokens with `mint_token`. Anything else
  gets the token 401 (the body without an `error` wrapper).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import time
from typing import Any

import orjson

from .. import wire

AUDIENCE = "https://cognitiveservices.azure.com"


def check(
    auth: str,
    api_key: str | None,
    api_key_header: str | None,
    authorization: str | None,
    query_key: str | None = None,
    now: float | None = None,
) -> dict[str, Any] | None:
    """None when the caller may pass, else the 401 body to send."""
    bearer = None
    if authorization and authorization[:7].lower() == "bearer ":
        bearer = authorization[7:].strip()
    if auth == "entra":
        return None if bearer is not None and token_valid(bearer, now) else wire.INVALID_TOKEN
    presented = api_key_header or bearer or query_key
    if api_key and presented and hmac.compare_digest(presented.encode(), api_key.encode()):
        return None
    return wire.INVALID_KEY


def token_valid(token: str, now: float | None = None, audience: str = AUDIENCE) -> bool:
    """A JWT for `audience` that has not expired (the signature is not checked)."""
    claims = decode_claims(token)
    if claims is None:
        return False
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") == audience for a in auds):
        return False
    exp = claims.get("exp")
    return isinstance(exp, int | float) and exp > (time.time() if now is None else now)


def decode_claims(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWT, or None when it is not one (any input: never raises)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        # orjson, not json: it refuses nesting past 1024 with a ValueError, where json recurses in C
        # and a caller's 5,000-deep token would end in RecursionError (a 500 instead of Azure's 401)
        claims = orjson.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def mint_token(aud: str = AUDIENCE, expires_in_s: float = 3600.0, **claims: Any) -> str:
    """An unsigned-looking JWT for tests: header.payload.signature, base64url, signature bogus.
    It is valid for at least `expires_in_s` (`exp` is whole seconds, rounded up: rounding down
    would leave a one-second token almost no life at all)."""

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {
        "aud": aud,
        "exp": math.ceil(time.time() + expires_in_s),
        "iss": "https://sts.windows.net/test/",
        "oid": "00000000-0000-0000-0000-000000000000",
        **claims,
    }
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(payload)}.c2lnbmF0dXJl"
