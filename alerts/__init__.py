"""Alerts that reach people: rules evaluated over the store (`rules.py`, over the `Facts` that
`facts.py` reads), their state and every notification in the store's `alerts` and
`alert_deliveries` tables (`state.py`), one module per channel kind (`channels/`), delivery with
retries (`deliver.py`), and one evaluation as `aoai-watch alert` runs it (`run.py`).

Imports point one way: `app -> alerts -> probes -> failover` (and `alerts -> chaos.simulator.lifecycle`
for the published retirement dates).
"""

from .model import Condition, Notification
from .run import RunReport, evaluate

__all__ = ["Condition", "Notification", "RunReport", "evaluate"]
