"""Credentials per region: a key from an environment variable, or an Entra ID token provider whose
every call is bounded in time (an unreachable managed-identity endpoint can otherwise hang for
minutes).

A plain provider call runs in a daemon thread of its own, never in a shared pool: a call that
hangs past its bound keeps only its own thread until it returns, so it cannot starve later calls
(a bounded pool of four would, after four hung calls, time out every later Entra call in the
process, as after a managed-identity endpoint that stopped answering for a while)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .classify import CredentialError
from .config import RegionConfig
from .redact import redact

__all__ = [
    "ENTRA_SCOPE",
    "TokenProvider",
    "api_key_for",
    "async_token_provider",
    "credential_failure",
    "sync_token_provider",
]

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
TokenProvider = Callable[[], str] | Callable[[], Awaitable[str]]


def api_key_for(region: RegionConfig, environ: Mapping[str, str] = os.environ) -> str:
    assert region.api_key_env is not None
    # a key read from a file often keeps its trailing newline; no key has whitespace around it
    key = (environ.get(region.api_key_env) or "").strip()
    if not key:
        raise CredentialError(
            region.name, f"the environment variable {region.api_key_env} that should hold its key is not set"
        )
    return key


def default_entra_provider() -> Callable[[], str]:
    """azure-identity's DefaultAzureCredential through get_bearer_token_provider (it caches and
    refreshes tokens)."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)


def sync_token_provider(provider: Callable[[], Any], timeout_s: float, region: str) -> Callable[[], str]:
    """Wrap a token callable so each call ends within `timeout_s` and fails as `CredentialError`
    with a message that names the region but never a token."""

    def bounded() -> str:
        try:
            token = _in_own_thread(provider, region).result(timeout=timeout_s)
        except Exception as exc:
            raise _credential_error(exc, region, timeout_s) from None
        return _checked(token, region)

    return bounded


def async_token_provider(provider: Callable[[], Any], timeout_s: float, region: str) -> Callable[[], Awaitable[str]]:
    """The async twin: accepts an async or a plain callable (the latter runs in a thread)."""

    async def bounded() -> str:
        try:
            if inspect.iscoroutinefunction(provider):
                token = await asyncio.wait_for(provider(), timeout_s)
            else:
                token = await asyncio.wait_for(asyncio.wrap_future(_in_own_thread(provider, region)), timeout_s)
        except Exception as exc:
            raise _credential_error(exc, region, timeout_s) from None
        return _checked(token, region)

    return bounded


def _in_own_thread(provider: Callable[[], Any], region: str) -> concurrent.futures.Future[Any]:
    """Start `provider()` in a daemon thread of its own; its future gets the token or the error."""
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        future.set_running_or_notify_cancel()  # from here on a caller's timeout cannot cancel it
        try:
            token = provider()
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        else:
            future.set_result(token)

    threading.Thread(target=run, name=f"aoai-credential-{region}", daemon=True).start()
    return future


def _credential_error(exc: Exception, region: str, timeout_s: float) -> CredentialError:
    """A message that names the region and what went wrong, never a token."""
    if isinstance(exc, TimeoutError | concurrent.futures.TimeoutError):
        return CredentialError(region, f"no Entra token within {timeout_s:g} s")
    return CredentialError(region, f"getting an Entra token failed: {credential_failure(exc)}")


_TRIED = re.compile(r"^\t(\w+):", re.MULTILINE)  # DefaultAzureCredential: one line per credential tried
_MAX_FAILURE_CHARS = 300


def credential_failure(exc: BaseException) -> str:
    """One line for a credential's failure, with no secret in it. For azure-identity's own errors
    (azure.core's ClientAuthenticationError and kin, whose text azure-identity writes): the type,
    the first meaningful line and, for a chain such as DefaultAzureCredential (whose message lists
    every credential it tried, one per tab-indented line, each with its own advice), how many it
    tried, e.g. "ClientAuthenticationError: DefaultAzureCredential failed to retrieve a token from
    the included credentials (9 credentials tried)"; token-shaped text masked, the line bounded.
    For any other provider's exception only its type: its message may hold anything, a token too."""
    if not any(cls.__module__.startswith("azure.") for cls in type(exc).__mro__):
        return type(exc).__name__
    text = str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    tried = len(_TRIED.findall(text))
    line = f"{type(exc).__name__}: {first.rstrip('.')}" if first else type(exc).__name__
    if tried:
        line += f" ({tried} credential{'s' if tried != 1 else ''} tried)"
    line = redact(line)
    return line if len(line) <= _MAX_FAILURE_CHARS else line[: _MAX_FAILURE_CHARS - 3] + "..."


def _checked(token: Any, region: str) -> str:
    if not isinstance(token, str) or not token:
        raise CredentialError(region, "the token provider returned no token")
    return token
