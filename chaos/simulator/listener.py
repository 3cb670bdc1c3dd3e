"""A port that serves an ASGI app through uvicorn's HTTP protocol, and can stop listening and come
back on the same port (the `refuse` fault), and reset a single client connection (the `reset` fault).

uvicorn's `Server` owns its sockets for its whole life; a simulated outage needs to close and reopen
one region's listening socket while the others keep serving, so the listener is managed here, with
uvicorn's protocol classes doing all the HTTP and WebSocket work.

A connection that ends before its answer is complete (the client timed out or hedged elsewhere, a
`reset` fault, the port closing) stops the request's work: its task is cancelled with `CUT`, the
app sees `asyncio.CancelledError` wherever it waits (a `latency` fault's sleep, a stream's pacing),
and the listener ends the request with a debug line. That is a normal event, not a simulator error:
only cancellations the listener did not make reach uvicorn's error log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import struct
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

log = logging.getLogger("aoai_watch.simulator.listener")
CUT = "aoai-watch: the connection ended before the answer was complete"  # the listener's cancel message


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, with the handshake counted as complete once a refusal
    (an HTTP answer through the `websocket.http.response` ASGI extension) is sent. uvicorn 0.54
    leaves it incomplete and logs "ASGI callable returned without completing handshake" for every
    refused upgrade although the client got the answer (Kludex/uvicorn#3138); its wsproto
    implementation already counts it complete."""

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True


def _uvicorn_config(app: Any) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        interface="asgi3",
        access_log=False,
        log_level="warning",
        ws=WebSocketProtocol,
        http="httptools",
        timeout_keep_alive=30,
        server_header=False,
        proxy_headers=False,
        date_header=False,
    )
    config.load()
    return config


class Listener:
    """One 127.0.0.1 port. `open()` binds (port 0 picks one; later opens reuse it), `close()` stops
    listening and drops open connections, `reset(client)` sends one connection a TCP RST."""

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        """`tls`: serve HTTPS with this server context (the Azure Monitor endpoints: azure-core
        sends bearer tokens over HTTPS only)."""
        self.app = app
        self.config = _uvicorn_config(self._serve)
        self.state = ServerState()
        self._in_flight: dict[Any, asyncio.Task[Any]] = {}  # HTTP client address -> its request's task
        self.host = host
        self.port = port
        self.tls = tls
        self._server: asyncio.base_events.Server | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    async def open(self) -> None:
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]

        def protocol() -> asyncio.Protocol:
            proto = self.config.http_protocol_class(  # type: ignore[call-arg]
                config=self.config, server_state=self.state, app_state={}
            )
            made, lost = proto.connection_made, proto.connection_lost
            proto.connection_made = lambda transport: made(CoalescingTransport(transport, loop))  # type: ignore[method-assign]

            def connection_lost(exc: Exception | None) -> None:
                lost(exc)
                cycle = getattr(proto, "cycle", None)
                if cycle is not None and cycle.disconnected:  # uvicorn: lost before the answer was complete
                    task = self._in_flight.get(proto.client)
                    if task is not None:
                        task.cancel(CUT)

            proto.connection_lost = connection_lost  # type: ignore[method-assign]
            return proto

        self._server = await loop.create_server(protocol, sock=sock, ssl=self.tls)

    async def close(self) -> None:
        """Stop listening and abort every open connection (clients see refused, then reset)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self.state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                _abort(transport)
        for task in list(self.state.tasks):
            task.cancel(CUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)

    async def _serve(self, scope: Any, receive: Any, send: Any) -> None:
        """The app, with the request's task known by its client's address (HTTP: one request at a
        time per connection), so that a connection lost mid-answer can stop it; a cancellation the
        listener made ends the request quietly, any other still reaches uvicorn's error log."""
        client = scope.get("client") if scope["type"] == "http" else None
        task = asyncio.current_task()
        if client is not None and task is not None:
            self._in_flight[client] = task
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError as cancelled:
            if cancelled.args != (CUT,):
                raise
            # the path, never the query string: a realtime handshake may carry its api-key there
            log.debug("%s %s from %s: %s", scope.get("method", "WebSocket"), scope["path"], scope.get("client"), CUT)
        finally:
            if client is not None and self._in_flight.get(client) is task:
                del self._in_flight[client]

    def reset(self, client: Any, graceful: bool = False) -> None:
        """End the connection whose peer is `client` (host, port): with an RST, or with `graceful`
        a FIN after what was already written (a stream that simply stops)."""
        for connection in list(self.state.connections):
            if getattr(connection, "client", None) == tuple(client or ()):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    if graceful:
                        transport.close()
                    else:
                        _abort(transport)
                return


class CoalescingTransport:
    """A transport that gathers the writes of one event-loop turn and sends them with one syscall.

    uvicorn writes a response's head and body separately; on loopback each write is a system call
    that also runs the receiver's TCP path, so two writes per answer cost the simulator about as much
    as all its own work. Everything but writing and closing is the real transport's.
    """

    __slots__ = ("_buffer", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._buffer:
            self._loop.call_soon(self._flush)
        self._buffer.append(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        if self._buffer:
            data = b"".join(self._buffer)
            self._buffer.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._buffer))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._buffer.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _abort(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # linger on, timeout 0: close() sends RST instead of FIN
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()  # type: ignore[attr-defined]
