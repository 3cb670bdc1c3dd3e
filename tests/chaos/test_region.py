"""Bad input gets the 4xx Azure would send, in Azure's error shape, and never kills the server."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.conftest import KEY, chat, sdk


def raw_request(url: str, head: str, body: bytes = b"", read_timeout_s: float = 10) -> tuple[int, dict, bytes]:
    """Send bytes over a plain socket; return status, headers and the body as received."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout_s) as s:
        s.sendall(head.encode() + b"\r\n\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return int(lines[0].split()[1]), headers, rest


def post(url: str, path: str, body: bytes, key: str = KEY) -> tuple[int, dict, dict]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\napi-key: {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}"
    )
    status, headers, raw = raw_request(url, head, body)
    return status, headers, json.loads(raw)


def assert_azure_error(body: dict) -> None:
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str)
    assert "detail" not in body


@pytest.mark.parametrize(
    "body, param",
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b'{"model": "gpt-4o"}', "messages"),
        (b'{"model": "gpt-4o", "messages": []}', "messages"),
        (b'{"model": "gpt-4o", "messages": ["hi"]}', "messages[0]"),  # the item, as OpenAI's validator names it
        (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "max_tokens": -3}', "max_tokens"),
        (b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"}', "max_tokens"),
    ],
)
def test_malformed_chat_requests_get_400_with_azure_error(sim: SimulatorThread, body: bytes, param: str | None) -> None:
    status, headers, reply = post(sim.urls["eastus2"], "/openai/v1/chat/completions", body)
    assert status == 400
    assert_azure_error(reply)
    assert reply["error"]["param"] == param
    assert headers["apim-request-id"]
    assert chat(sdk(sim)).choices  # still serving


def test_missing_model_and_bad_inputs_elsewhere(sim: SimulatorThread) -> None:
    url = sim.urls["eastus2"]
    status, _, reply = post(url, "/openai/v1/chat/completions", b'{"messages": [{"role": "user"}]}')
    assert status == 400 and reply["error"]["code"] == "missing_required_parameter"
    status, _, reply = post(url, "/openai/v1/embeddings", b'{"model": "text-embedding-3-small", "input": 5}')
    assert status == 400 and reply["error"]["param"] == "input"
    status, _, reply = post(url, "/openai/v1/responses", b'{"model": "gpt-4o"}')
    assert status == 400 and reply["error"]["param"] == "input"


def test_auth_is_checked_before_the_body(sim: SimulatorThread) -> None:
    status, _, reply = post(sim.urls["eastus2"], "/openai/v1/chat/completions", b"{broken", key="wrong")
    assert status == 401 and reply["error"]["code"] == "401"


def test_unknown_path_is_azures_404(sim: SimulatorThread) -> None:
    head = f"GET /openai/v1/nothing-here HTTP/1.1\r\nHost: x\r\napi-key: {KEY}"
    status, _, body = raw_request(sim.urls["eastus2"], head)
    assert status == 404 and json.loads(body) == {"error": {"code": "404", "message": "Resource not found"}}


def test_legacy_path_without_api_version_is_404(sim: SimulatorThread) -> None:
    status, _, reply = post(
        sim.urls["eastus2"],
        "/openai/deployments/gpt-4o/chat/completions",
        b'{"messages": [{"role": "user", "content": "x"}]}',
    )
    assert status == 404 and reply["error"]["message"] == "Resource not found"


def test_wrong_method_is_405(sim: SimulatorThread) -> None:
    status, _, body = raw_request(
        sim.urls["eastus2"], f"GET /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\napi-key: {KEY}"
    )
    assert status == 405
    assert_azure_error(json.loads(body))


def test_oversized_body_is_refused_before_it_is_sent(sim: SimulatorThread) -> None:
    """A 40 MB Content-Length is answered 413 from the headers alone: the server never waits for
    (or holds) the body, and closes the connection."""
    head = (
        f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\napi-key: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {40 * 1024 * 1024}"
    )
    started = time.monotonic()
    status, headers, body = raw_request(sim.urls["eastus2"], head, b'{"model": "gpt-4o", ', read_timeout_s=5)
    assert status == 413 and time.monotonic() - started < 5
    assert json.loads(body)["error"]["code"] == "RequestEntityTooLarge"
    assert headers.get("connection") == "close"
    assert chat(sdk(sim)).choices


def test_oversized_chunked_body_is_cut_off(sim: SimulatorThread) -> None:
    """Without a Content-Length the server stops reading once the body passes 32 MB."""
    host, port = sim.urls["eastus2"].removeprefix("http://").split(":")
    chunk = b"x" * (1024 * 1024)
    status_line = b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            (
                f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\napi-key: {KEY}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        try:
            for _ in range(40):
                s.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what we want
        try:
            status_line = s.recv(64)
        except ConnectionResetError:
            status_line = b""
    assert status_line == b"" or b" 413 " in status_line
    assert chat(sdk(sim)).choices


def test_hostile_garbage_does_not_kill_the_server(sim: SimulatorThread) -> None:
    host, port = sim.urls["eastus2"].removeprefix("http://").split(":")
    for junk in (
        b"\x00\xff" * 1000,
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    ):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(junk)
            with contextlib.suppress(ConnectionResetError):
                s.recv(1024)
    assert chat(sdk(sim)).choices
