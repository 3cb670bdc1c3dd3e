"""Responses conversations through the failover client: a chain continues on another region with the
whole conversation replayed, lost state is replayed on the same region."""

from __future__ import annotations

import openai
import pytest
from aoai_watch.chaos.simulator import SimulatorThread

from tests.failover.helpers import Recorder, make


def test_responses_chain_continues_on_another_region_with_the_whole_conversation(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    first = client.responses.create(model="gpt-4o", input="My number is 42.")
    second = client.responses.create(model="gpt-4o", input="And yours?", previous_response_id=first.id)
    sim.add_fault("http_error", "eastus2", {"status": 503})
    third = client.responses.create(model="gpt-4o", input="Sum them.", previous_response_id=second.id)
    assert [a.region for a in rec.attempts] == ["eastus2", "eastus2", "eastus2", "swedencentral"]
    assert third.previous_response_id is None  # the foreign id was not sent to swedencentral
    # swedencentral billed the whole conversation as input: 3 user turns and 2 assistant answers
    assert third.usage.input_tokens > second.usage.input_tokens
    # and the chain goes on from swedencentral, where the new response is stored
    fourth = client.responses.create(model="gpt-4o", input="Thanks.", previous_response_id=third.id)
    assert fourth.previous_response_id == third.id


def test_responses_state_lost_on_the_same_region_is_replayed_there(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    first = client.responses.create(model="gpt-4o", input="Remember this.")
    sim.reset()  # the region forgets its stored responses but stays healthy
    again = client.responses.create(model="gpt-4o", input="What was it?", previous_response_id=first.id)
    assert rec.path()[1:] == [("eastus2", "state_lost", "replay"), ("eastus2", "ok", "return")]
    assert again.usage.input_tokens > first.usage.input_tokens
    assert client.breaker_states()["eastus2"].state == "closed"  # losing state is not an outage


def test_unknown_previous_response_id_is_the_callers_error(sim: SimulatorThread) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        make(sim).responses.create(model="gpt-4o", input="x", previous_response_id="resp_not_from_this_client")
    assert err.value.code == "previous_response_not_found"


def test_streamed_responses_fail_over_and_the_chain_continues(sim: SimulatorThread) -> None:
    rec = Recorder()
    client = make(sim, rec)
    sim.add_fault("http_error", "eastus2", {"status": 503})
    stream = client.responses.create(model="gpt-4o", input="Remember 7.", stream=True)
    events = list(stream)
    assert stream.region == "swedencentral" and events[-1].type == "response.completed"
    first_id = events[-1].response.id
    sim.reset()
    sim.add_fault("http_error", "swedencentral", {"status": 503})
    # the parent lives in swedencentral, which is down now: replayed in full on eastus2
    follow = client.responses.create(model="gpt-4o", input="Which number?", previous_response_id=first_id)
    assert follow.previous_response_id is None and follow.output_text
    assert [a.region for a in rec.attempts][-2:] == ["swedencentral", "eastus2"]
