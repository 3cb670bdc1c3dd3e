"""`aoai-watch simulate`: build the regions from flags or a config file and serve until a signal."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from ...failover.config import ConfigError, RegionConfig, load_toml, parse_regions
from . import loopback
from .lifecycle import Lifecycle, parse_overrides
from .model import DEFAULT_LATENCY, MODEL_VERSIONS, DeploymentSpec, LatencyModel, RegionSpec, default_region
from .simulator import Simulator, new_event_loop
from .tiers import TIER_KEYS, Tier, parse_tiers

KEY_ENV = "AOAI_SIM_KEY"


def regions_from_names(names: list[str], api_key: str, latency_scale: float, quota: dict[str, int]) -> list[RegionSpec]:
    return [default_region(n, api_key, latency_scale, **quota) for n in names]


def regions_from_config(
    path: str | Path,
    latency_scale: float,
    quota: dict[str, int],
    environ: dict[str, str] | os._Environ[str] = os.environ,
) -> list[RegionSpec]:
    """The regions of a config file, served where their loopback endpoints point.

    Each region listens on its endpoint's port, serves its deployments (deployment name -> the model
    it maps from), and accepts the key in its `api_key_env` variable (or Entra tokens). The
    optional `[simulator.deployments.<region>.<deployment>]` tables set what the models API
    reports about a deployment's model (lifecycle.py): its lifecycle status and retirement; and
    its tier (tiers.py): `sku`, `capacity_tpm`, `utilization_window_s`, `spillover`. The
    `[regions.provisioned]` deployments are served as provisioned. Each region listens on its
    endpoint's own loopback address, so regions at 127.0.0.2 and 127.0.0.3 may share a port.
    """
    doc = load_toml(path)
    regions = parse_regions(doc, path)
    served = {
        r.name: {
            deployment: MODEL_VERSIONS.get(model, model)
            for model, deployment in [*r.deployments.items(), *r.provisioned.items()]
        }
        for r in regions
    }
    lifecycles = parse_overrides(doc.get("simulator"), path, served, other_keys=TIER_KEYS)
    tiers = parse_tiers(doc.get("simulator"), path, regions)
    specs = [_region_spec(r, path, latency_scale, quota, environ, lifecycles, tiers) for r in regions]
    clash = loopback.shared_address(specs)
    if clash is not None:
        first, second, address = clash
        raise ConfigError(
            path,
            f"regions ({second}).endpoint",
            f"{first} already listens on {address}; give each region its own port, or its own loopback "
            "address on the same port (http://127.0.0.2:PORT, http://127.0.0.3:PORT, ...)",
        )
    return specs


def _region_spec(
    region: RegionConfig,
    path: str | Path,
    latency_scale: float,
    quota: dict[str, int],
    environ: dict[str, str] | os._Environ[str],
    lifecycles: dict[tuple[str, str], Lifecycle],
    tiers: dict[tuple[str, str], Tier],
) -> RegionSpec:
    where = f"regions ({region.name}).endpoint"
    parts = urlsplit(region.endpoint)
    if parts.scheme != "http" or not region.is_loopback or not parts.port:
        raise ConfigError(
            path,
            where,
            "the simulator serves plain HTTP on loopback: write the endpoint as "
            f'"http://127.0.0.1:PORT" with a free port; got {region.endpoint!r}',
        )
    api_key = None
    if region.auth == "api-key":
        assert region.api_key_env is not None
        api_key = environ.get(region.api_key_env)
        if not api_key:
            raise ConfigError(
                path,
                f"regions ({region.name}).api_key_env",
                f"the environment variable {region.api_key_env} is not set; export the key "
                "the simulator should accept (any string) under that name",
            )
    base = DEFAULT_LATENCY.get(region.name, LatencyModel())
    latency = LatencyModel(base.ttft_ms, base.per_token_ms, base.jitter_sigma, latency_scale)
    deployments = tuple(
        _deployment_spec(
            deployment, model, lifecycles.get((region.name, deployment)), tiers[(region.name, deployment)], quota
        )
        for model, deployment in [*region.deployments.items(), *region.provisioned.items()]
    )
    return RegionSpec(
        name=region.name,
        deployments=deployments,
        api_key=api_key,
        auth=region.auth,
        latency=latency,
        port=parts.port,
        host=loopback.bind_host(parts.hostname or ""),
    )


def _deployment_spec(
    name: str, model: str, lifecycle: Lifecycle | None, tier: Tier, quota: dict[str, int]
) -> DeploymentSpec:
    """A standard deployment takes the --tpm/--rpm quota; a provisioned one its tier's capacity."""
    if not tier.provisioned:
        return DeploymentSpec.for_model(name, model, lifecycle, **quota)
    return DeploymentSpec.provisioned(
        name, model, tier.capacity_tpm, tier.spillover, tier.utilization_window_s, lifecycle
    )


def write_ready_file(path: str | Path, info: dict[str, object]) -> None:
    """Write atomically, so a reader polling for the file never sees half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


async def serve(simulator: Simulator, ready_file: str | None, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl-C, `kill PID` and a closed terminal all stop it cleanly: ports closed, ready file removed
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    await simulator.start()
    try:
        for state in simulator.regions.values():
            deployments = ", ".join(d.name for d in state.spec.deployments)
            print(
                f"{state.spec.name:<16} {simulator.urls[state.spec.name]}/openai/v1/   "
                f"auth={state.spec.auth} deployments: {deployments}",
                file=out,
            )
        print(f"{'control':<16} {simulator.control.url}   (POST /faults, GET /faults, POST /reset)", file=out)
        if simulator.monitor is not None:
            print(monitor_instructions(simulator.monitor.describe()), file=out)
        if ready_file:
            write_ready_file(ready_file, simulator.ready_info())
        print("simulator ready; Ctrl-C stops it", file=out, flush=True)
        await stop.wait()
    finally:
        await simulator.stop()
        if ready_file:
            Path(ready_file).unlink(missing_ok=True)
        print("simulator stopped", file=out, flush=True)


def toml_string(value: object) -> str:
    """`value` as a TOML basic string: JSON's escapes are TOML's, so a path with a backslash or a
    quote stays one string."""
    return json.dumps(str(value))


def monitor_tables(info: dict[str, Any]) -> list[str]:
    """The config's [monitor] tables (TOML lines) that point `import-metrics` at a simulated Azure
    Monitor described by `Monitor.describe()`; points are judged once they are a few lags old."""
    lines = [
        "[monitor]",
        f"ca_file = {toml_string(info['ca_file'])}",
        f"logs_endpoint = {toml_string(info['logs_endpoint'])}",
        f"ingestion_lag_s = {max(30.0, 3 * info['lag_s']):g}",
    ]
    for region, rid in info["resource_ids"].items():
        lines += [
            f"[monitor.regions.{region}]",
            f"resource_id = {toml_string(rid)}",
            f"metrics_endpoint = {toml_string(info['metrics_endpoints'][region])}",
            f"workspace_id = {toml_string(info['workspace_id'])}",
        ]
    return lines


def monitor_instructions(info: dict[str, Any]) -> str:
    """How to point `aoai-watch import-metrics` at the simulated Azure Monitor: the environment for
    DefaultAzureCredential's managed identity, and the [monitor] tables for the config file."""
    lines = [
        f"azure monitor    metrics + logs over HTTPS (CA {info['ca_file']}); data lags {info['lag_s']:g} s",
        "  for import-metrics, export:",
        f"    IDENTITY_ENDPOINT={info['identity_endpoint']}",
        f"    IDENTITY_HEADER={info['identity_header']}",
        "  and add to the config:",
    ]
    return "\n".join(lines + ["    " + line for line in monitor_tables(info)])


def run(
    regions: list[RegionSpec],
    seed: int | None,
    control_port: int,
    ready_file: str | None,
    monitor_lag_s: float | None = None,
) -> int:
    simulator = Simulator(regions, seed=seed, control_port=control_port, monitor_lag_s=monitor_lag_s)
    return serve_until_signal(simulator, ready_file, "simulate")


def serve_until_signal(simulator: Simulator, ready_file: str | None, command: str) -> int:
    """Serve on a fresh event loop until SIGINT, SIGTERM or SIGHUP; 1 with a message when a port is taken."""
    loop = new_event_loop()
    try:
        loop.run_until_complete(serve(simulator, ready_file, sys.stdout))
    except OSError as exc:
        print(f"aoai-watch {command}: cannot listen: {exc}", file=sys.stderr)
        return 1
    finally:
        loop.close()
    return 0
