"""`[otel]` in the config file: defaults, and every bad value named by file, field and fix, all at
once, never echoing what could be a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from aoai_watch.failover.config import ConfigError, ConfigErrors
from aoai_watch.probes.config import load_config

REGION = """
[[regions]]
name = "eastus2"
endpoint = "https://contoso-eastus2.openai.azure.com"
api_key_env = "AOAI_KEY_EASTUS2"
[regions.deployments]
gpt-4o = "gpt-4o"
"""


def load(tmp_path: Path, otel: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "aoai-watch.toml"
    path.write_text(REGION + "\n[otel]\n" + otel)
    return load_config(path)


def test_defaults_and_the_metrics_url(tmp_path: Path) -> None:
    settings = load(tmp_path, 'endpoint = "http://127.0.0.1:4318/"\n').otel
    assert settings is not None
    assert settings.endpoint == "http://127.0.0.1:4318" and settings.metrics_url == "http://127.0.0.1:4318/v1/metrics"
    assert settings.headers_env == () and settings.timeout_s == 5.0 and settings.temporality == "cumulative"
    assert settings.service_name == "aoai-watch"


def test_every_key(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        'endpoint = "https://otel.example.com/otlp"\nheaders_env = { "api-key" = "OTEL_KEY", "x-tenant" = "TENANT" }\n'
        'timeout_s = 1.5\ntemporality = "delta"\nservice_name = "probes-frankfurt"\n',
    ).otel
    assert settings is not None and settings.metrics_url == "https://otel.example.com/otlp/v1/metrics"
    assert settings.headers_env == (("api-key", "OTEL_KEY"), ("x-tenant", "TENANT"))
    assert (settings.timeout_s, settings.temporality, settings.service_name) == (1.5, "delta", "probes-frankfurt")


def test_no_otel_table_is_none(tmp_path: Path) -> None:
    path = tmp_path / "aoai-watch.toml"
    path.write_text(REGION)
    assert load_config(path).otel is None


@pytest.mark.parametrize(
    "otel, field, fix",
    [
        ("timeout_s = 2\n", "otel.endpoint", "required: the OTLP/HTTP collector's base URL, e.g. endpoint = \"http://"),
        ('endpoint = "127.0.0.1:4318"\n', "otel.endpoint", "must be an http:// or https:// URL"),
        ('endpoint = "grpc://127.0.0.1:4317"\n', "otel.endpoint", "must be an http:// or https:// URL"),
        ('endpoint = "http://127.0.0.1:4318/v1/metrics"\n', "otel.endpoint", "give the collector's base URL"),
        ('endpoint = "https://user:pw@otel.example.com"\n', "otel.endpoint", "put credentials in otel.headers_env"),
        ('endpoint = "http://127.0.0.1:99999"\n', "otel.endpoint", "invalid port"),
        (
            'endpoint = "http://otel.internal:4318"\nheaders_env = { "api-key" = "OTEL_KEY" }\n',
            "otel.endpoint",
            "would send otel.headers_env in clear text: use https://",
        ),
        ('endpoint = "http://127.0.0.1:4318"\nheaders_env = "OTEL_KEY"\n', "otel.headers_env", "must be a table"),
        ('endpoint = "http://127.0.0.1:4318"\ntemporality = "Delta"\n', "otel.temporality", '"cumulative" or "delta"'),
        ('endpoint = "http://127.0.0.1:4318"\ntimeout_s = 0\n', "otel.timeout_s", "seconds"),
        ('endpoint = "http://127.0.0.1:4318"\nservice_name = ""\n', "otel.service_name", "non-empty string"),
        ('endpoint = "http://127.0.0.1:4318"\nendpont = "x"\n', "otel.endpont", "unknown key"),
    ],
)
def test_a_bad_value_names_file_field_and_fix(tmp_path: Path, otel: str, field: str, fix: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, otel)
    assert caught.value.field == field and fix in caught.value.problem
    assert str(caught.value).startswith(f"{tmp_path / 'aoai-watch.toml'}: {field}: ")


def test_a_value_that_looks_like_a_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    key = "0123456789abcdef0123456789abcdef"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'endpoint = "http://127.0.0.1:4318"\nheaders_env = {{ "api-key" = "{key}-x" }}\n')
    assert caught.value.field == "otel.headers_env.api-key"
    assert "name of the environment variable" in caught.value.problem and key not in str(caught.value)


def test_every_problem_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load(tmp_path, 'endpoint = "ftp://x"\ntemporality = "both"\nheaders_env = { "bad header" = "K" }\n')
    fields = [e.field for e in caught.value.errors]
    assert fields == ["otel.endpoint", "otel.temporality", "otel.headers_env.bad header"]
