"""A real HTTP receiver on 127.0.0.1 for the alert tests: it records every request (path,
headers, JSON body) and answers from a script: 200 by default, or the next scripted answers
(`500`, `400`, `"timeout"`: no answer until the client has given up)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    answered: int | str

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class Receiver:
    def __init__(self, hang_s: float = 2.0) -> None:
        self.requests: list[Received] = []
        self.script: deque[int | str] = deque()
        self.hang_s = hang_s
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    answer = receiver.script.popleft() if receiver.script else 200
                    receiver.requests.append(Received(self.path, dict(self.headers), raw, answer))
                if answer == "timeout":
                    time.sleep(receiver.hang_s)
                    return
                text = b"ok" if answer == 200 else f"refused: invalid webhook {self.path}".encode()
                self.send_response(int(answer))
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self, path: str | None = None) -> list[Received]:
        """The requests answered 200 (at `path`)."""
        return [r for r in self.requests if r.answered == 200 and (path is None or r.path == path)]
