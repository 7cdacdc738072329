"""Helpers for the daemon tests: a real ``python -m monitor run`` subprocess and DB probes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import polling
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config

FAST = ["--heartbeat", "0.3", "--deliver-every", "0.3", "--log-format", "json", "--log-level", "debug"]


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    return polling.wait_for(predicate, timeout, what, interval=0.05)


class DaemonProc:
    """One ``monitor run`` subprocess; its JSON log lines are read back from a file."""

    def __init__(self, tmp_path: Path, db: Path, config: Path, *extra: str, name: str = "daemon") -> None:
        self.log_path = tmp_path / f"{name}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")
        cmd = [sys.executable, "-m", "monitor", "run", "--db", str(db), "--config", str(config), *FAST, *extra]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=tmp_path)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        out = []
        for line in self.text().splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if event is None or item.get("event") == event:
                out.append(item)
        return out

    def checks(self, source: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events("check") if source is None or e.get("source") == source]

    def wait_event(self, event: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            self._check_alive()
            for e in self.events(event):
                if all(e.get(k) == v for k, v in match.items()):
                    return e
            return None

        return wait_for(found, timeout, f"log event {event} {match or ''}")

    def _check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.text()[-3000:]}")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def poll(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """``query`` for polling: [] while the daemon has not created the DB or its tables yet."""
    if not db.exists():
        return []
    try:
        return query(db, sql, params)
    except sqlite3.OperationalError:
        return []


def fetch_count(db: Path, source: str) -> int:
    rows = poll(db, "SELECT COUNT(*) AS n FROM fetches WHERE source_id = ?", (source,))
    return rows[0]["n"] if rows else 0


def monitor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A short-lived command (status, reload, check) run in-process through click's runner."""
    from click.testing import CliRunner

    from monitor.cli import cli

    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run_subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


def sources(site: FixtureSite, ids: list[str], interval: str, **extra: object) -> list[dict[str, object]]:
    out = []
    for sid in ids:
        if f"/{sid}" not in site.state.pages:
            site.set(f"/{sid}", page(BASE_ARTICLE))
        out.append({"id": sid, "url": site.url(f"/{sid}"), "interval": interval, "allow_private": True,
                    "respect_robots": False, **extra})
    return out


def configure(path: Path, site: FixtureSite, ids: list[str], interval: str, extra: str = "") -> Path:
    return write_config(path, sources(site, ids, interval), extra)


__all__ = ["DaemonProc", "configure", "fetch_count", "monitor", "poll", "query", "run_subprocess", "signal", "sources", "wait_for"]
