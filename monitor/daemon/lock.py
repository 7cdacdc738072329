"""One daemon per history DB, enforced by the kernel.

``fcntl.flock(LOCK_EX | LOCK_NB)`` on ``<db>.lock`` is held for the whole life of the process.
The kernel drops the lock when the process dies in any way (SIGKILL, OOM, power loss of the
process), so there is never a stale lock to clean up by hand, unlike a pid file. The pid and
host are written into the lock file and into the ``daemon`` table for ``monitor status`` and
``monitor reload``; the lock, not the pid, decides whether a daemon is alive.

Readers (``monitor check``, ``diff``, Datasette) do not take this lock: SQLite WAL lets them
read while the daemon writes.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import LockHeld, StoreError  # noqa: F401 (LockHeld re-exported)


def lock_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".lock")


def _read_owner(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return text


@dataclass
class DaemonLock:
    """``with DaemonLock(db_path):`` — raise LockHeld (naming the holder) if another daemon runs."""

    db_path: Path
    wait: float = 1.0  # a `monitor status` probe holds a shared lock for microseconds; retry briefly
    _fd: int | None = None

    @property
    def path(self) -> Path:
        return lock_path(self.db_path)

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only directory: one line, not a traceback
            raise StoreError(f"{self.path}: cannot create the daemon's lock file ({exc.strerror}): "
                             "make the directory of the history DB writable for this user, "
                             "or pass --db") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    owner = _read_owner(self.path) or "unknown pid"
                    raise LockHeld(f"another `monitor run` ({owner}) is already using {self.db_path}: "
                                   f"it holds {self.path}; stop it first (or `monitor reload` it), "
                                   "or pass a different --db") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> "DaemonLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def probe_lock(db_path: Path) -> tuple[bool, int | None]:
    """(is the lock held by a daemon?, pid written in the lock file). Never blocks."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True
        else:
            held = False
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return held, _pid_of(_read_owner(path))


def _pid_of(owner: str) -> int | None:
    parts = owner.split()
    if len(parts) >= 2 and parts[0] == "pid" and parts[1].isdigit():
        return int(parts[1])
    return None
