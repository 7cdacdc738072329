"""The scheduled daemon behind ``monitor run`` (see :mod:`.service` for the design notes).

- :mod:`.lock`    one daemon per history DB: ``fcntl.flock`` on ``<db>.lock`` + the ``daemon`` row
- :mod:`.plan`    pure scheduling: triggers, first runs derived from the last fetches, staggering
- :mod:`.logs`    text / JSON log lines and the per-source error-state tracker
- :mod:`.service` the asyncio service: APScheduler jobs, shared Fetcher, DB thread, signals
- :mod:`.status`  what ``monitor status`` reports
"""

from monitor.daemon.lock import DaemonLock, LockHeld, lock_path, probe_lock
from monitor.daemon.plan import first_runs, period, trigger_for
from monitor.daemon.service import Daemon, DaemonOptions
from monitor.daemon.status import gather_status

__all__ = ["Daemon", "DaemonLock", "DaemonOptions", "LockHeld", "first_runs", "gather_status", "lock_path",
           "period", "probe_lock", "trigger_for"]
