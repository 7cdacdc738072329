"""Racing writers on one history DB: two ``monitor check`` processes beside a running daemon.

The two checks of a round are released together by the server (it answers only once both
requests have arrived), so their writes collide on purpose every round; the daemon checks
the same source every second meanwhile. Whatever the interleaving, the history must be
numbered 1..n with no duplicate consecutive text and no error rows.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from fetch_server import Handler, Reply, TestServer
from fixture_site import BASE_ARTICLE, page, write_config
from test_daemon_support import DaemonProc, query, wait_for

ROUNDS = 6


class RaceSite:
    """/race (the checks) answers when two requests of the round have arrived; /race-d (the daemon) at once."""

    def __init__(self) -> None:
        self.body = b""
        self.arrived = 0
        self.cond = threading.Condition()
        self.server = TestServer({"/race": self._barrier, "/race-d": self._now})

    def set_round(self, number: int) -> None:
        text = BASE_ARTICLE.replace("300mcg to 600mcg", f"{300 + 10 * number}mcg to 600mcg")
        with self.cond:
            self.body = page(text).encode()
            self.arrived = 0

    def _reply(self, req: Handler) -> None:
        with self.cond:
            body = self.body
        req.reply(Reply(200, body))

    def _barrier(self, req: Handler) -> None:
        with self.cond:
            self.arrived += 1
            self.cond.notify_all()
            # a safety limit only: the assertions hold however the requests interleave
            self.cond.wait_for(lambda: self.arrived >= 2, timeout=10)
        self._reply(req)

    def _now(self, req: Handler) -> None:
        self._reply(req)


def test_two_checks_and_a_daemon_never_collide(tmp_path: Path) -> None:
    site = RaceSite()
    db = tmp_path / "snap" / "history.db"
    source = {"id": "s0", "interval": "1s", "allow_private": True, "respect_robots": False}
    checks_cfg = write_config(tmp_path / "checks.yaml", [{**source, "url": site.server.url("/race")}])
    daemon_cfg = write_config(tmp_path / "daemon.yaml", [{**source, "url": site.server.url("/race-d")}])
    with site.server:
        site.set_round(1)
        daemon = DaemonProc(tmp_path, db, daemon_cfg)  # starts on the same fresh DB as round 1
        try:
            for number in range(1, ROUNDS + 1):
                site.set_round(number)
                procs = [subprocess.Popen([sys.executable, "-m", "monitor", "check", "--source", "s0",
                                           "--db", str(db), "--config", str(checks_cfg), "--json"],
                                          cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True) for _ in range(2)]
                for proc in procs:
                    out, err = proc.communicate(timeout=120)
                    assert proc.returncode == 0, f"round {number}: exit {proc.returncode}\n{out}\n{err}"
                    assert "Traceback" not in err, err
            wait_for(lambda: daemon.checks("s0"), 30, "a daemon check")
            daemon.signal(signal.SIGTERM)
            assert daemon.wait_exit(60) == 0
        finally:
            daemon.kill()
    assert "Traceback" not in daemon.text() and "UNIQUE" not in daemon.text()
    errors = query(db, "SELECT outcome, error_kind, error FROM fetches WHERE outcome NOT IN "
                       "('new_version', 'unchanged', 'not_modified')")
    assert errors == []
    versions = query(db, "SELECT number, text_hash FROM versions WHERE source_id = 's0' ORDER BY number")
    assert [v["number"] for v in versions] == list(range(1, len(versions) + 1))
    assert len(versions) >= ROUNDS
    assert all(a["text_hash"] != b["text_hash"] for a, b in zip(versions, versions[1:]))
    state = query(db, "SELECT consecutive_failures FROM source_state WHERE source_id = 's0'")
    assert state == [{"consecutive_failures": 0}]
