"""A faithful Azure OpenAI simulator: real HTTP on 127.0.0.1, one port per region, Azure's wire
format, quotas (standard TPM/RPM, provisioned utilization) and latency, and faults injected
through a control API. Regions may also share one port on distinct loopback addresses.

    from aoai_watch.chaos.simulator import SimulatorThread, default_region
"""

from .auth import mint_token
from .loopback import free_port_on_all, on_loopback_addresses
from .model import DeploymentSpec, LatencyModel, RegionSpec, default_region
from .simulator import Simulator, SimulatorThread

__all__ = [
    "DeploymentSpec",
    "LatencyModel",
    "RegionSpec",
    "Simulator",
    "SimulatorThread",
    "default_region",
    "free_port_on_all",
    "mint_token",
    "on_loopback_addresses",
]
