"""The chaos proxy with the simulator as its upstream: traffic passes through untouched, faults
apply on the way, and it refuses to listen beyond loopback unless told."""

from __future__ import annotations

import http.client
import http.server
import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from aoai_watch.chaos.proxy import ProxyApp
from aoai_watch.chaos.simulator import RegionSpec, SimulatorThread

from tests.conftest import AOAI, KEY, cli_env, wait_for_file


@pytest.fixture
def proxy(sim: SimulatorThread):  # type: ignore[no-untyped-def]
    upstream = sim.urls["eastus2"]
    with SimulatorThread(
        [RegionSpec(name="staging", deployments=())], app_factory=lambda state: ProxyApp(state, upstream)
    ) as running:
        yield running


def client(proxy: SimulatorThread, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.base_url("staging"), api_key=key, max_retries=0, timeout=5)


def test_traffic_passes_through_untouched(proxy: SimulatorThread) -> None:
    raw = client(proxy).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}]
    )
    assert raw.headers["x-ms-region"] == "East US 2" and raw.parse().model == "gpt-4o-2024-08-06"
    chunks = list(
        client(proxy).chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage.completion_tokens == 12
    with pytest.raises(openai.AuthenticationError):  # the upstream's own 401, passed back
        client(proxy, key="wrong").models.list()


def test_faults_apply_on_the_way(proxy: SimulatorThread) -> None:
    fault = proxy.add_fault("http_error", "staging", {"status": 503})
    with pytest.raises(openai.InternalServerError) as err:
        client(proxy).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert err.value.body["code"] == "ServiceUnavailable"
    proxy.clear_fault(fault.id)
    proxy.add_fault("rate_limit", "staging", {"retry_after_s": 9}, deployment="gpt-4o")
    with pytest.raises(openai.RateLimitError):
        client(proxy).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert client(proxy).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    proxy.reset()
    proxy.add_fault("slow_stream", "staging", {"stop_after_chunks": 2})
    with pytest.raises(openai.APIConnectionError):
        list(
            client(proxy).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
            )
        )


def test_a_client_that_gives_up_while_a_fault_holds_it_is_recorded_as_cut(proxy: SimulatorThread) -> None:
    proxy.add_fault("latency", "staging", {"ms": 600_000})  # the answer would come long after the test
    impatient = openai.OpenAI(base_url=proxy.base_url("staging"), api_key=KEY, max_retries=0, timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    log = proxy.simulator.regions["staging"].log
    deadline = time.monotonic() + 10
    while not log and time.monotonic() < deadline:  # recorded when the client leaves, not in ten minutes
        time.sleep(0.05)
    assert [answer.status for answer in log] == [0]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """An upstream that records the request target exactly as it arrived on the wire."""

    seen: list[str]

    def do_GET(self) -> None:
        # from the request line itself: http.server collapses a leading "//" in self.path
        self.seen.append(self.requestline.split(" ")[1])
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorded() -> Iterator[tuple[SimulatorThread, list[str]]]:
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{upstream.server_port}"
    try:
        with SimulatorThread(
            [RegionSpec(name="staging", deployments=())], app_factory=lambda state: ProxyApp(state, url)
        ) as running:
            yield running, seen
    finally:
        upstream.shutdown()
        upstream.server_close()


def raw_get(proxy: SimulatorThread, target: str) -> tuple[int, bytes]:
    """`GET target` with the target sent as given (http.client neither encodes nor normalises it)."""
    host, port = proxy.urls["staging"].removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "target",
    [
        "/openai/v1/models%3Finjected=1%23frag",  # an encoded ? and # stay in the path
        "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21&q=a%26b%3Dc",
        "/openai/v1/models%0d%0aX-Injected:%201",  # encoded CR LF: forwarded, not decoded into the request
        "/openai/v1/a/../models",  # no dot-segment normalisation
        "//evil.example/openai/v1/models",
        "/openai/v1/models%2Fx%zz%20y",
        "/openai/v1/models|{x}",
    ],
)
def test_the_request_target_is_forwarded_byte_for_byte(
    recorded: tuple[SimulatorThread, list[str]], target: str
) -> None:
    proxy, seen = recorded
    status, body = raw_get(proxy, target)
    assert (status, json.loads(body)) == (200, {"ok": True})
    assert seen == [target]


def test_a_target_that_is_not_a_path_is_a_clean_400(
    recorded: tuple[SimulatorThread, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    proxy, seen = recorded
    status, body = raw_get(proxy, "*")
    assert status == 400 and "request target" in json.loads(body)["error"]["message"]
    assert seen == [] and "Traceback" not in caplog.text and "Exception in ASGI" not in caplog.text
    assert raw_get(proxy, "/openai/v1/models")[0] == 200  # and it goes on serving


def test_cli_refuses_remote_listen_and_clear_text_upstream(tmp_path: Path, sim: SimulatorThread) -> None:
    remote = subprocess.run(
        [AOAI, "chaos", "proxy", "--upstream", "https://x.openai.azure.com", "--listen", "0.0.0.0:8199"],
        capture_output=True,
        text=True,
        timeout=30,
        env=cli_env(),
    )
    assert remote.returncode == 2 and "refusing to listen on 0.0.0.0" in remote.stderr
    clear = subprocess.run(
        [AOAI, "chaos", "proxy", "--upstream", "http://x.openai.azure.com"],
        capture_output=True,
        text=True,
        timeout=30,
        env=cli_env(),
    )
    assert clear.returncode == 2 and "must be https://" in clear.stderr
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [
            AOAI,
            "chaos",
            "proxy",
            "--upstream",
            sim.urls["eastus2"],
            "--listen",
            "127.0.0.1:0",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        wait_for_file(ready)
        url = json.loads(ready.read_text())["regions"]["proxy"]
        models = openai.OpenAI(base_url=url + "/openai/v1/", api_key=KEY, max_retries=0).models.list()
        assert next(m.id for m in models) == "gpt-4o-2024-08-06"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
