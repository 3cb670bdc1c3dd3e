"""A hostile upstream on 127.0.0.1: a real HTTP server that answers every request the way one
test asks (an HTML 200, a gzip bomb, a body at one byte a second, a broken stream), for the
failover client to survive."""

from __future__ import annotations

import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Reply = Callable[[socket.socket], None]


def read_head(conn: socket.socket) -> bytes:
    """Bytes up to and past the end of the request head (all that came, if the client stopped)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _read_request(conn: socket.socket) -> None:
    data = read_head(conn)
    if b"\r\n\r\n" not in data:
        return
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


@contextmanager
def hostile_server(reply: Reply, read_request: bool = True) -> Iterator[str]:
    """Serve `reply` to every request on a fresh port; yields the endpoint `http://127.0.0.1:P`.
    With `read_request` False, `reply` reads the request itself (to record it)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn:
            try:
                if read_request:
                    _read_request(conn)
                reply(conn)
            except OSError:
                pass  # the client gave up: that is what these tests provoke

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def html_page(conn: socket.socket) -> None:
    body = b"<html><body>Sign in to continue</body></html>"
    conn.sendall(head("200 OK", {"Content-Type": "text/html", "Content-Length": str(len(body))}) + body)


def gzip_bomb(decoded_mib: int = 1024) -> Reply:
    """A JSON-typed 200 whose gzip body decodes to `decoded_mib` MiB of zeros."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    body = b"".join(z.compress(block) for _ in range(decoded_mib)) + z.flush()

    def reply(conn: socket.socket) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": str(len(body))}
        conn.sendall(head("200 OK", headers) + body)

    return reply


def trickle(body: bytes, every_s: float = 1.0) -> Reply:
    """A well-formed JSON 200 whose body arrives one byte every `every_s` seconds."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}))
        for i in range(len(body)):
            conn.sendall(body[i : i + 1])
            time.sleep(every_s)

    return reply


def event_stream(events: list[bytes]) -> Reply:
    """A 200 `text/event-stream` that sends `events` as they are and closes."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", {"Content-Type": "text/event-stream"}) + b"".join(events))

    return reply


def echo_key_error(key: str) -> Reply:
    """A 500 whose error `code`, message and `apim-request-id` all echo the key it was sent."""

    def reply(conn: socket.socket) -> None:
        body = json.dumps({"error": {"code": f"Bad{key}", "message": f"key {key} rejected"}}).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), "apim-request-id": key}
        conn.sendall(head("500 Internal Server Error", headers) + body)

    return reply


def upgrade_refused_with_repeated_header(conn: socket.socket) -> None:
    """A realtime upgrade answered 401 with `apim-request-id` twice."""
    body = b'{"error": {"code": "401", "message": "Unauthorized"}}'
    conn.sendall(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\napim-request-id: first-id\r\n"
        b"apim-request-id: second-id\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def redirect_to(location: str) -> Reply:
    """Answers an upgrade with 307 to `location`."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(head("307 Temporary Redirect", {"Location": location, "Content-Length": "0"}))

    return reply


class HeaderRecorder:
    """A listener that records the raw request head of everything that reaches it."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []

    def __call__(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        self.heads.append(read_head(conn))


def keep_alive_stream(events: list[bytes], every_s: float, comments: int) -> Reply:
    """A 200 `text/event-stream` that sends `events`, then an SSE comment every `every_s` seconds,
    `comments` times, and no event: a stalled stream its keep-alives keep open."""

    def reply(conn: socket.socket) -> None:
        conn.sendall(head("200 OK", {"Content-Type": "text/event-stream"}) + b"".join(events))
        for _ in range(comments):
            time.sleep(every_s)
            conn.sendall(b": keep-alive\n\n")

    return reply
