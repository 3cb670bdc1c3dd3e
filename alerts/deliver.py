"""Sending one request with urllib, bounded by a timeout, retried with backoff within a run.

- 2xx: delivered.
- a 4xx (but 408 and 429, which say "later"): rejected, recorded with the channel's answer, never
  retried (the request itself is wrong: a revoked URL, a bad routing key, a card Teams refuses).
- 5xx, 408, 429, a timeout, a refused or reset connection: retried up to `attempts` times with
  exponential backoff and full jitter; still failing, it stays pending for the next run.

Everything recorded (the answer, the error text) is masked of the channel's secrets and cut short
first: the URL, the routing key and the HMAC secret never reach the database, a log or a message.
"""

from __future__ import annotations

import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..failover.config import is_loopback_host
from ..failover.redact import Redactor
from .channels import Request

__all__ = ["Attempt", "secret_parts", "send", "send_with_retries", "url_problem"]

ANSWER_CHARS = 300  # what is kept of a channel's answer
BACKOFF_S = 0.5  # the first retry's backoff bound; doubled per retry, capped
BACKOFF_CAP_S = 8.0


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    retryable: bool
    http_status: int | None
    answer: str  # masked, at most ANSWER_CHARS
    attempts: int = 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the body (the routing key) somewhere not configured: refuse it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def secret_parts(url: str) -> list[str]:
    """A secret URL and the parts a channel may echo alone: its path, query and every long path
    segment (Slack's T.../B.../token, a Workflows `sig=`)."""
    parts = urlsplit(url)
    pieces = [url, parts.path, parts.query, *parts.path.split("/"), *parts.query.split("&")]
    return [p for p in pieces if len(p) >= 8]


def _masker(secrets: Iterable[str]) -> Callable[[str], str]:
    mask = Redactor([part for s in secrets for part in ([s, *secret_parts(s)] if "://" in s else [s])])
    return lambda text: mask(text)[:ANSWER_CHARS]


def url_problem(url: str) -> str | None:
    """An https URL, or http to a loopback address only (a secret URL never travels in clear text)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an http(s) URL"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "is http:// to a host that is not loopback; use its https:// URL"
    return None


def send(request: Request, timeout_s: float, secrets: Iterable[str]) -> Attempt:
    """One POST; never raises for what the network or the channel does."""
    mask = _masker([*secrets, request.url])
    problem = url_problem(request.url)
    if problem:
        return Attempt(False, False, None, f"the configured URL {problem}")
    req = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with _OPENER.open(req, timeout=timeout_s) as answer:
            text = answer.read(4096).decode("utf-8", "replace")
            return Attempt(True, False, answer.status, mask(text))
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(4096).decode("utf-8", "replace")
        except Exception:  # the answer body itself broke off: its status says enough
            text = ""
        retryable = exc.code >= 500 or exc.code in (408, 429) or exc.code < 400
        return Attempt(False, retryable, exc.code, mask(f"HTTP {exc.code}: {text}".strip()))
    except TimeoutError:
        return Attempt(False, True, None, f"no answer within {timeout_s:g} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return Attempt(False, True, None, f"no answer within {timeout_s:g} s")
        return Attempt(False, True, None, mask(f"cannot connect: {type(reason).__name__}: {reason}"))
    except (OSError, ValueError) as exc:  # reset mid-answer, a malformed URL
        return Attempt(False, True, None, mask(f"{type(exc).__name__}: {exc}"))


def send_with_retries(
    request: Request,
    timeout_s: float,
    attempts: int,
    secrets: Iterable[str],
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Attempt:
    """`send` until delivered, rejected, or `attempts` tries; the last attempt, with the count."""
    rng = rng or random.Random()
    secrets = list(secrets)
    result = Attempt(False, True, None, "not sent")
    for number in range(1, attempts + 1):
        result = send(request, timeout_s, secrets)
        if result.delivered or not result.retryable:
            return Attempt(result.delivered, result.retryable, result.http_status, result.answer, number)
        if number < attempts:
            sleep(rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_S * 2 ** (number - 1))))
    return Attempt(result.delivered, result.retryable, result.http_status, result.answer, attempts)
