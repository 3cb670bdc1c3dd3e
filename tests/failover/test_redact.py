"""failover.redact and the client: a server that echoes the key gets it nowhere (events, breaker
reasons, AllRegionsFailed, exceptions), whether the key was configured with a trailing newline or not."""

from __future__ import annotations

import logging

import pytest
from aoai_watch.failover import AllRegionsFailed, BreakerEvent, FailoverClient, RegionConfig
from aoai_watch.failover.redact import Redactor, redact

from tests.failover import hostile
from tests.failover.helpers import MESSAGES, Recorder

CANARY = "canary-key-4f1d9a7c2b"


def test_every_configured_key_stripped_and_unstripped_and_token_shapes_are_masked() -> None:
    mask = Redactor([CANARY + "\n"])
    text = f"a {CANARY} b {CANARY}\n c Bearer abc.def-1 d eyJhbGciOi.eyJzdWIiOi.sig e api-key=zzz"
    assert mask(text) == "a *** b *** c Bearer *** d *** e api-key=***"
    assert redact("tiny abc", ["abc"]) == "tiny abc"  # too short to be a key: words are left alone


@pytest.mark.parametrize("configured", [CANARY, CANARY + "\n"], ids=["plain", "with a trailing newline"])
def test_a_server_echoing_the_key_gets_it_into_nothing_the_client_reports(
    configured: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder()
    with hostile.hostile_server(hostile.echo_key_error(CANARY)) as bad:
        client = FailoverClient(
            [RegionConfig("eastus2", bad, 1, "api-key", "K", {"gpt-4o": "gpt-4o"})],
            environ={"K": configured},
            on_event=rec,
            deadline_s=2,
            backoff_base_s=0.05,
            backoff_max_s=0.1,
        )
        with pytest.raises(AllRegionsFailed) as err:
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    reported = [str(err.value), *(a.detail for a in rec.attempts)]
    reported += [e.reason or "" for e in rec.events if isinstance(e, BreakerEvent)]
    # ours at every level, everyone's at INFO and above (httpcore's DEBUG trace prints raw headers)
    reported += [r.getMessage() for r in caplog.records if r.name.startswith("aoai_watch") or r.levelno >= 20]
    assert rec.attempts and all(CANARY not in text for text in reported), reported
    assert "HTTP 500 Bad***" in rec.attempts[0].detail  # what the code said, masked
