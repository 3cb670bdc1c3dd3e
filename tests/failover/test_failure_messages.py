"""What `AllRegionsFailed` says, as a person reads it: one line per region, the status once, a wrong
key named by the variable it came from (never the key), and azure-identity's many-line
DefaultAzureCredential error summarised in one line."""

from __future__ import annotations

import pytest
from aoai_watch.chaos.simulator import SimulatorThread
from aoai_watch.failover import AllRegionsFailed, AsyncFailoverClient, FailoverClient, RegionConfig
from aoai_watch.failover.auth import ENTRA_SCOPE, credential_failure

from tests.conftest import KEY
from tests.failover.helpers import MESSAGES, regions

WRONG = "wrong-key-3c9d1e7a55"


def _wrong_key_client(sim: SimulatorThread, cls: type = FailoverClient):  # type: ignore[no-untyped-def]
    return cls(regions(sim), environ={"SIM_KEY": WRONG}, deadline_s=2, backoff_base_s=0.01, backoff_max_s=0.05)


def test_a_wrong_key_reads_http_401_once_per_region_and_names_its_variable(sim: SimulatorThread) -> None:
    with pytest.raises(AllRegionsFailed) as err:
        _wrong_key_client(sim).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    text = str(err.value)
    assert "\n" not in text
    assert text.count("HTTP 401") == 2 and "401 401" not in text  # Azure's code is "401": said once
    for name in ("eastus2", "swedencentral"):
        summary = err.value.failures[name].summary
        assert summary.startswith("HTTP 401: wrong key") and "$SIM_KEY" in summary, summary
        assert sim.urls[name] in summary  # which endpoint refused it
    assert WRONG not in text and KEY not in text


async def test_the_async_client_says_the_same(sim: SimulatorThread) -> None:
    client = _wrong_key_client(sim, AsyncFailoverClient)
    with pytest.raises(AllRegionsFailed) as err:
        await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert str(err.value).count("wrong key: Azure refused the key in $SIM_KEY") == 2


def test_a_401_without_azures_key_message_is_not_called_a_wrong_key(sim: SimulatorThread) -> None:
    """A 401 with another body (here the simulator's http_error fault) keeps its plain summary."""
    for name in ("eastus2", "swedencentral"):
        sim.add_fault("http_error", name, {"status": 401})
    client = FailoverClient(regions(sim), environ={"SIM_KEY": KEY}, deadline_s=2)
    with pytest.raises(AllRegionsFailed) as err:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert "HTTP 401" in str(err.value) and "wrong key" not in str(err.value)


def test_an_unset_key_variable_names_the_region_once(sim: SimulatorThread) -> None:
    client = FailoverClient(regions(sim), environ={}, deadline_s=1)
    with pytest.raises(AllRegionsFailed) as err:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    text = str(err.value)
    assert text.count("eastus2") == 1 and "the environment variable SIM_KEY" in text, text


def _failing_default_credential(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A real DefaultAzureCredential with every credential excluded but EnvironmentCredential,
    which fails (no AZURE_* variables): azure-identity's own exception, its own many-line text."""
    from azure.identity import DefaultAzureCredential

    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_USERNAME", "AZURE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AZURE_CLIENT_CERTIFICATE_PATH", raising=False)
    excluded = (
        "broker",
        "cli",
        "developer_cli",
        "interactive_browser",
        "managed_identity",
        "powershell",
        "shared_token_cache",
        "visual_studio_code",
        "workload_identity",
    )
    return DefaultAzureCredential(**{f"exclude_{name}_credential": True for name in excluded})


def test_default_azure_credentials_many_lines_become_one_per_region(
    sim: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.identity import get_bearer_token_provider

    credential = _failing_default_credential(monkeypatch)
    with pytest.raises(Exception) as raw:  # what azure-identity itself raises: many lines
        credential.get_token(ENTRA_SCOPE)
    assert len(str(raw.value).splitlines()) > 2 and "Attempted credentials" in str(raw.value)

    entra = [RegionConfig(r.name, r.endpoint, r.priority, "entra", None, r.deployments) for r in regions(sim)]
    client = FailoverClient(
        entra, token_provider=get_bearer_token_provider(credential, ENTRA_SCOPE), deadline_s=2, credential_timeout_s=5
    )
    with pytest.raises(AllRegionsFailed) as err:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    text = str(err.value)
    assert "\n" not in text and "Attempted credentials" not in text and "aka.ms" not in text
    expected = (
        "getting an Entra token failed: ClientAuthenticationError: DefaultAzureCredential failed to retrieve "
        "a token from the included credentials (1 credential tried)"
    )
    for name in ("eastus2", "swedencentral"):
        assert err.value.failures[name].summary == expected
    assert text.count("eastus2") == 1  # named by AllRegionsFailed, not again inside its summary


def test_another_providers_message_is_never_shown_it_may_hold_a_token() -> None:
    class ProviderError(Exception):
        pass

    assert credential_failure(ProviderError("token eyJhbGciOi.eyJzdWIi.c2ln leaked")) == "ProviderError"


def test_azure_identity_text_is_masked_and_bounded() -> None:
    from azure.core.exceptions import ClientAuthenticationError

    line = credential_failure(ClientAuthenticationError("sent Bearer abc.def.ghi " + "x" * 1000 + "\nmore"))
    assert "abc.def.ghi" not in line and "\n" not in line and len(line) <= 300
