"""Soak test for ``monitor run``: does the daemon keep its schedule, memory and alerts over time?

Runs the real daemon (a subprocess) against a local fixture site on 127.0.0.1 whose pages edit
themselves while it runs: cosmetic edits (view counter, "updated" date, script nonce, sidebar
price — must never alert) and material edits (the dosage sentence gets new numbers — must
alert exactly once each). Alerts go to a local json:// receiver. At the end it prints:

* RSS of the daemon after warm-up and at the end (and the peak sampled in between);
* checks done vs due (per source: planned runs that fell inside the run);
* schedule drift: actual start minus planned start (the ``late_ms`` of each check log line);
* alerts delivered vs expected (material edits old enough to have been seen and delivered),
  plus duplicates (same idempotency key twice) and alerts for cosmetic-only sources.

Usage: ``python benchmarks/soak.py --minutes 3 [--sources 12] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config  # noqa: E402

DOSAGE = "The recommended dosages for semax range from 300mcg to 600mcg per day."
INTERVALS = (3, 5, 10)  # seconds, cycled over the sources
WARMUP = 10.0


@dataclass
class Receiver:
    """json:// endpoint that records every delivered payload."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> int:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    owner.payloads.append(json.loads(raw or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address[1]


@dataclass
class PageState:
    sid: str
    interval: float
    material: bool  # only these sources get material edits; the others must stay silent
    views: int = 1000
    dose: int = 300
    material_edits: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, new dose)
    cosmetic_edits: int = 0

    def html(self) -> str:
        article = BASE_ARTICLE.replace(DOSAGE, f"The recommended dosages for semax range from {self.dose}mcg "
                                               f"to {self.dose * 2}mcg per day.")
        return page(article, views=self.views, nonce=f"n{random.randrange(1 << 30):x}",
                    updated=f"March {1 + self.views % 28}, 2026", price=f"${30 + self.views % 20}.99")


def editor(site: FixtureSite, pages: list[PageState], stop: threading.Event, rng: random.Random) -> None:
    """Edit a random page every second; a material edit only when the last one is 3 periods old."""
    while not stop.wait(1.0):
        st = rng.choice(pages)
        now = time.monotonic()
        if st.material and rng.random() < 0.4 and (not st.material_edits
                                                   or now - st.material_edits[-1][0] > 3 * st.interval):
            st.dose += 10 * rng.randint(1, 9)
            st.material_edits.append((now, st.dose))
        else:
            st.views += rng.randint(1, 50)
            st.cosmetic_edits += 1
        site.set(f"/{st.sid}", st.html())


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def events(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--sources", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="claimwatch-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    receiver = Receiver()
    port = receiver.start()
    with FixtureSite() as site:
        pages = [PageState(f"p{i:02d}", INTERVALS[i % len(INTERVALS)], material=i % 4 != 3)
                 for i in range(args.sources)]
        for st in pages:
            site.set(f"/{st.sid}", st.html())
        config = write_config(work / "sources.yaml", [
            {"id": st.sid, "url": site.url(f"/{st.sid}"), "interval": f"{st.interval:g}s", "allow_private": True,
             "respect_robots": False} for st in pages],
            f"alerts:\n  - name: hook\n    url: json://127.0.0.1:{port}/hook\n")
        log_path = work / "daemon.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--db", str(work / "snap" / "history.db"),
                                     "--config", str(config), "--log-format", "json", "--deliver-every", "2"],
                                    stdout=log, stderr=subprocess.STDOUT, cwd=work)
            t0 = time.monotonic()
            stop = threading.Event()
            time.sleep(WARMUP)  # first versions of every page; imports; not measured as edits
            rss_start = rss_kb(proc.pid)
            thread = threading.Thread(target=editor, args=(site, pages, stop, rng), daemon=True)
            thread.start()
            end = t0 + args.minutes * 60
            peak = rss_start
            while time.monotonic() < end and proc.poll() is None:
                time.sleep(min(5.0, max(0.0, end - time.monotonic())))
                peak = max(peak, rss_kb(proc.pid) if proc.poll() is None else 0)
            stop.set()
            thread.join()
            t_end = time.monotonic()
            rss_end = rss_kb(proc.pid) if proc.poll() is None else 0
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(60)
        report(work, log_path, pages, receiver, t0, t_end, rss_start, rss_end, peak, rc)
    return 0


def report(work: Path, log_path: Path, pages: list[PageState], receiver: Receiver, t0: float, t_end: float,
           rss_start: int, rss_end: int, peak: int, rc: int) -> None:
    ev = events(log_path)
    checks = [e for e in ev if e.get("event") == "check" and e.get("outcome") != "cancelled"]
    late = [e["late_ms"] for e in checks if e.get("late_ms") is not None]
    elapsed = t_end - t0
    end_wall = time.time() - (time.monotonic() - t_end)
    due = 0
    for st in pages:  # planned runs from the source's first (staggered) run until the end; no jitter
        first = min((e["planned"] for e in checks if e["source"] == st.sid and e.get("planned")), default=None)
        if first is not None:
            start = dt.datetime.fromisoformat(first).timestamp()
            due += int(max(0.0, end_wall - start) // st.interval) + 1
    with receiver.lock:
        payloads = [json.dumps(p, ensure_ascii=False) for p in receiver.payloads]
        keys = [p.get("idempotency_key") for p in receiver.payloads]
    settle = max(st.interval for st in pages) * 2 + 5  # a check, the delivery cycle, margin

    def alerted(st: PageState, dose: int) -> bool:
        return any(f"/{st.sid}" in p and f"{dose}mcg to {dose * 2}mcg" in p for p in payloads)

    edits = [(st, t, dose) for st in pages for t, dose in st.material_edits]
    old = [(st, dose) for st, t, dose in edits if t < t_end - settle]
    old_alerted = sum(alerted(st, dose) for st, dose in old)
    all_alerted = sum(alerted(st, dose) for st, _, dose in edits)
    matched = sum(any(f"/{st.sid}" in p and f"{dose}mcg to {dose * 2}mcg" in p for st, _, dose in edits)
                  for p in payloads)
    silent = {st.sid for st in pages if not st.material}
    noisy = [p for p in payloads if any(f"/{sid}" in p for sid in silent)]
    errors = [e for e in ev if e.get("level") in ("error", "critical")]
    mean_jitter = 0.05 / 2
    print(f"soak: {elapsed / 60:.1f} min, {len(pages)} sources (intervals {sorted({st.interval for st in pages})} s), "
          f"work dir {work}")
    print(f"  daemon exit code on SIGTERM: {rc}")
    print(f"  RSS: {rss_start / 1024:.1f} MiB after {WARMUP:.0f}s warm-up, {rss_end / 1024:.1f} MiB at end, "
          f"peak sampled {peak / 1024:.1f} MiB")
    print(f"  checks: {len(checks)} done / {due} due at the nominal interval ({100 * len(checks) / max(1, due):.1f}%; "
          f"jitter 0-5% per run lengthens the mean period by ~{100 * mean_jitter:.1f}%), "
          f"outcomes {dict(sorted(_count(e['outcome'] for e in checks).items()))}")
    print(f"  drift (actual - planned start): median {statistics.median(late) if late else float('nan'):.1f} ms, "
          f"p95 {pct(late, 0.95):.1f} ms, max {max(late) if late else float('nan'):.1f} ms")
    print(f"  edits: {sum(st.cosmetic_edits for st in pages)} cosmetic, {len(edits)} material")
    print(f"  alerts: {len(payloads)} delivered; material edits older than {settle:.0f}s at the end alerted "
          f"{old_alerted}/{len(old)}; all material edits alerted {all_alerted}/{len(edits)}; "
          f"alerts matching no edit {len(payloads) - matched}; duplicates {len(keys) - len(set(keys))}; "
          f"about cosmetic-only sources {len(noisy)}")
    print(f"  error log lines: {len(errors)}")


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


if __name__ == "__main__":
    sys.exit(main())
