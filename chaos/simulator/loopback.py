"""Regions on distinct loopback addresses sharing one port, as Azure's resources share 443.

Linux routes all of 127.0.0.0/8 to the loopback interface, so 127.0.0.2, 127.0.0.3, ... bind with
no setup. A client that tells regions apart by host alone (openai-priority-loadbalancer rewrites
only the host of each request) can then reach several simulated regions. `on_loopback_addresses`
places regions so; a config file does it by giving endpoints such as http://127.0.0.2:8100 and
http://127.0.0.3:8100 (cli.py), with a port `free_port_on_all` finds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import socket
from collections.abc import Sequence

from .model import RegionSpec

DEFAULT_HOST = "127.0.0.1"


def bind_host(hostname: str) -> str | None:
    """The address to listen on for an endpoint's host: an IPv4 loopback address as written, None
    (the simulator's 127.0.0.1) for `localhost` and anything else."""
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return None
    return hostname if address.version == 4 and address.is_loopback else None


def address(spec: RegionSpec, default_host: str = DEFAULT_HOST) -> tuple[str, int]:
    return (spec.host or default_host, spec.port)


def shared_address(specs: Sequence[RegionSpec]) -> tuple[str, str, str] | None:
    """(first region, second region, "host:port") for two regions set to listen on one address;
    None when every fixed address is distinct (port 0 picks a free one, so it never clashes)."""
    seen: dict[tuple[str, int], str] = {}
    for spec in specs:
        where = address(spec)
        if spec.port and where in seen:
            return seen[where], spec.name, f"{where[0]}:{where[1]}"
        seen.setdefault(where, spec.name)
    return None


def on_loopback_addresses(
    regions: Sequence[RegionSpec], port: int = 0, first_host: int = 2, attempts: int = 20
) -> list[RegionSpec]:
    """`regions` at 127.0.0.<first_host>, 127.0.0.<first_host + 1>, ..., all on `port`; port 0
    picks one that is free on every one of those addresses."""
    if not (first_host >= 1 and first_host + len(regions) - 1 <= 254):
        raise ValueError(f"no room for {len(regions)} regions from 127.0.0.{first_host}")
    hosts = [f"127.0.0.{first_host + i}" for i in range(len(regions))]
    chosen = port or free_port_on_all(hosts, attempts)
    return [dataclasses.replace(r, host=h, port=chosen) for r, h in zip(regions, hosts, strict=True)]


def free_port_on_all(hosts: Sequence[str], attempts: int = 20) -> int:
    """A port free on every host now (the kernel picks it on the first; the others must agree):
    for a config file whose regions share one port on distinct loopback addresses."""
    for _ in range(attempts):
        with contextlib.ExitStack() as stack:
            probe = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            probe.bind((hosts[0], 0))
            candidate = int(probe.getsockname()[1])
            try:
                for host in hosts[1:]:
                    stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)).bind((host, candidate))
            except OSError:
                continue
            return candidate
    raise OSError(f"no port free on all of {', '.join(hosts)} after {attempts} tries")
