"""The scheduled daemon behind ``monitor run`` (see :mod:`.service` for the design notes).

- :mod:`.lock`    one daemon per history DB: ``fcntl.flock`` on ``<db>.lock`` + the ``daemon`` row
- :mod:`.plan`    pure scheduling: triggers, first runs and due sources derived from the last fetches, staggering
- :mod:`.logs`    text / JSON log lines and the per-source error-state tracker
- :mod:`.service` the asyncio service: APScheduler jobs on the shared check path (``monitor.pipeline.Checker``), signals
- :mod:`.status`  what ``monitor status`` reports

The names below are imported lazily (PEP 562): ``monitor check`` imports :mod:`.plan` for
``due_sources`` and must not pay for (or circularly import) the service and the pipeline.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DaemonLock": "lock", "LockHeld": "lock", "lock_path": "lock", "probe_lock": "lock",
    "first_runs": "plan", "period": "plan", "trigger_for": "plan", "due_sources": "plan", "next_due": "plan",
    "Daemon": "service", "DaemonOptions": "service",
    "gather_status": "status",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"monitor.daemon.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'monitor.daemon' has no attribute {name!r}")
