"""The probe kinds, one module each, registered by name. A kind only speaks its protocol and fills
in what it measured; the runner owns timing, timeouts, classification and recording.

Each kind module declares `NAME`, `MODEL_SETTING` (the `[probes]` field that names the model it
probes), `ON_BY_DEFAULT` and `run`; the composite (failover) module also sets `IS_COMPOSITE`. This
package is the one list of them: `[probes] kinds`, the command line and the runner read it here.
To add a kind, write its module and add it to `_MODULES`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..result import COMPOSITE, is_composite
from . import chat, embeddings, failover, realtime, responses_chain, stream, structured, tools

if TYPE_CHECKING:
    from ..context import ProbeContext

__all__ = ["COMPOSITE", "DEFAULT_KINDS", "KINDS", "REGISTRY", "ProbeFn", "ProbeKind", "is_composite"]

ProbeFn = Callable[["ProbeContext"], Awaitable[None]]


@dataclass(frozen=True)
class ProbeKind:
    """One probe kind: its name, its protocol, and which configured model it probes. A composite
    kind is one target through the failover client (region `COMPOSITE`), not one per region."""

    name: str
    run: ProbeFn
    model_setting: str
    on_by_default: bool
    composite: bool = False


_MODULES = (chat, stream, responses_chain, tools, structured, realtime, embeddings, failover)
REGISTRY: dict[str, ProbeKind] = {
    m.NAME: ProbeKind(m.NAME, m.run, m.MODEL_SETTING, m.ON_BY_DEFAULT, getattr(m, "IS_COMPOSITE", False))
    for m in _MODULES
}
KINDS: tuple[str, ...] = tuple(REGISTRY)
DEFAULT_KINDS: tuple[str, ...] = tuple(k.name for k in REGISTRY.values() if k.on_by_default)
assert [k.name for k in REGISTRY.values() if k.composite] == [COMPOSITE], "one composite kind, named COMPOSITE"
