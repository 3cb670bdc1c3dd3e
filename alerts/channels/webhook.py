"""`webhook`: a POST of the notification as one JSON object (`Notification.as_payload`), signed
with HMAC-SHA256 over the exact body when the channel has a `secret_env`:
`X-AOAI-Watch-Signature: sha256=<hex>` (a receiver recomputes it with the same secret)."""

from __future__ import annotations

import hashlib
import hmac

from ..model import Notification
from .request import Request, Target, json_body

__all__ = ["SIGNATURE_HEADER", "build", "signature"]

SIGNATURE_HEADER = "X-AOAI-Watch-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build(notification: Notification, target: Target) -> Request:
    body = json_body(notification.as_payload())
    headers = {"Content-Type": "application/json"}
    if target.signing_secret:
        headers[SIGNATURE_HEADER] = signature(target.signing_secret, body)
    return Request(target.secret, body, headers)
