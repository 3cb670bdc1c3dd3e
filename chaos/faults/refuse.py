"""`refuse`: the region's port stops listening (connection refused) and comes back when cleared.

Region-wide: it acts on the listener, not on requests, so it takes neither deployment nor
probability. Connections already open are closed too, as when a front end goes away.
"""

from __future__ import annotations

from .base import Fault, register


@register
class Refuse(Fault):
    name = "refuse"
    region_wide = True
