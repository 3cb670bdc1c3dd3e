"""The baseline for bench/simulator: a bare ASGI app answering one fixed chat completion, served
by the same uvicorn protocol and event loop as the simulator, with the same response bytes and
headers, so the ratio measures the simulator's own work (routing, auth, quota bookkeeping, faults,
ids, text), not the size of Azure's answer."""

from __future__ import annotations

import asyncio
import signal
import sys

from aoai_watch.chaos.simulator import chat
from aoai_watch.chaos.simulator.cli import write_ready_file
from aoai_watch.chaos.simulator.listener import Listener
from aoai_watch.chaos.simulator.simulator import new_event_loop

# The same bytes on the wire as a simulator answer: Azure's completion shape and header set,
# rendered once. Only the simulation work (routing, auth, quotas, faults, ids, text) is missing.
BODY = chat.render_completion(
    completion_id="chatcmpl-" + "0" * 29,
    created=1700000000,
    model_version="gpt-4o-2024-08-06",
    finish="length",
    content="Latency its failover probe cost latency its probe.",
    prompt_tokens=8,
    completion_tokens=8,
)
REQUEST_ID = b"00000000-0000-4000-8000-000000000000"
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"apim-request-id", REQUEST_ID),
    (b"x-request-id", REQUEST_ID),
    (b"x-ms-region", b"East US 2"),
    (b"x-ms-deployment-name", b"gpt-4o"),
    (b"azureml-model-session", b"d-1234567890"),
    (b"x-ratelimit-remaining-requests", b"899"),
    (b"x-ratelimit-remaining-tokens", b"149000"),
    (b"x-ratelimit-limit-requests", b"900"),
    (b"x-ratelimit-limit-tokens", b"150000"),
]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def main(ready_file: str) -> None:
    listener = Listener(app)
    await listener.open()
    write_ready_file(ready_file, {"regions": {"noop": listener.url}, "control": ""})
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await listener.close()


if __name__ == "__main__":
    if sys.argv[1:2] != ["--ready-file"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.noop_server --ready-file PATH")
    new_event_loop().run_until_complete(main(sys.argv[2]))
