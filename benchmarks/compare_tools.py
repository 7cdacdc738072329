"""claimwatch vs urlwatch vs changedetection.io on the same pages, in one run, with ratios.

Run by hand (never part of the test suite)::

    .venv/bin/python benchmarks/compare_tools.py --sources 1000 --latency-ms 50 --connections 10

Setup (each tool in its own virtualenv under /tmp, from PyPI)::

    python3 -m venv /tmp/urlwatch-venv && /tmp/urlwatch-venv/bin/pip install urlwatch==2.29 html2text
    python3 -m venv /tmp/cdio-venv && /tmp/cdio-venv/bin/pip install changedetection.io

The farm (``farm.py``) serves N distinct pages from 127.0.0.1 with an added latency per
response; every tool gets the same number of connections (claimwatch ``concurrency`` =
``per_host`` = C; urlwatch's fixed 10 worker threads; changedetection.io ``FETCH_WORKERS`` = C).
Passes, in this order, each tool running the same pass against the same farm state:

1. ``first``: every page new (empty DB / cache / datastore);
2. ``unchanged``: same bytes, the farm sends no ETag (every page is re-sent whole);
3. ``etag-prime``: same bytes, the farm now sends ETags (tools learn them; not reported);
4. ``unchanged-etag``: same bytes, conditional GETs answered 304;
5. ``dose-edit``: 10 % of the pages move to their next material version (ETag on).

claimwatch and urlwatch run one process per pass (``monitor check`` / ``urlwatch``), reaped
with ``os.wait4``: wall, CPU and peak RSS are theirs (with their children: the analysis pool).
changedetection.io is a server: it is started once, driven through its REST API as a user
would (``POST /api/v1/import`` for the first pass, ``GET /api/v1/watch?recheck_all=1`` for the
others; a pass ends when every watch's ``last_checked`` has moved), and its CPU is read from
``/proc`` (all threads) over the pass, RSS as VmHWM.

Then, claimwatch only: ``monitor run`` (the daemon, ``--stagger-window 0``) on an empty DB
against a fresh farm, timed from start to the last source's first fetch row, next to a
``monitor check`` first pass on the same fresh farm; and an all-pages-changed pass at 0 ms.

Targets (issue 15) are printed with the figures; they are never asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm, serve_farm  # noqa: E402
from pass_throughput import URLWATCH_VENV, monitor_pass, timed, urlwatch_pass, urlwatch_setup  # noqa: E402

CDIO_VENV = Path(os.environ.get("CDIO_VENV", "/tmp/cdio-venv"))
PASSES = ("first", "unchanged", "etag-prime", "unchanged-etag", "dose-edit")
REPORTED = ("first", "unchanged", "unchanged-etag", "dose-edit")


@dataclass
class Pass:
    wall: float
    cpu: float
    rss_mb: float
    detail: dict[str, Any] = field(default_factory=dict)


def write_sources(path: Path, farm: Farm, base: str, connections: int, interval: str = "1s") -> None:
    lines = ["settings:", f"  concurrency: {connections}", f"  per_host: {connections}   # one host: benchmark only",
             "sources:"]
    for i in range(farm.n):
        lines += [f"  - id: p{i}", f"    name: farm page {i}", f"    url: {base}{farm.path(i)}",
                  f"    interval: {interval}", "    allow_private: true", "    respect_robots: false"]
    path.write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------------ claimwatch


class Claimwatch:
    name = "claimwatch"

    def __init__(self, work: Path, farm: Farm, base: str, connections: int) -> None:
        self.work = work
        work.mkdir(parents=True)
        write_sources(work / "sources.yaml", farm, base, connections)

    def run(self, label: str) -> Pass:
        run, outcomes = monitor_pass(self.work)
        detail: dict[str, Any] = {"outcomes": outcomes, "rc": run.returncode}
        if label == "dose-edit":
            with sqlite3.connect(self.work / "snapshots" / "history.db") as con:
                detail["sources_alerted"] = con.execute(
                    "SELECT count(DISTINCT source_id) FROM changes WHERE status = 'active'").fetchone()[0]
        return Pass(run.wall, run.cpu, run.rss_mb, detail)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------ urlwatch


class Urlwatch:
    name = "urlwatch"

    def __init__(self, work: Path, farm: Farm, base: str, connections: int) -> None:
        self.work = work
        work.mkdir(parents=True)
        urlwatch_setup(work, farm, base)

    def run(self, label: str) -> Pass:
        run, counts = urlwatch_pass(self.work)
        return Pass(run.wall, run.cpu, run.rss_mb, {"counts": counts, "rc": run.returncode})

    def close(self) -> None:
        pass


# ------------------------------------------------------------------ changedetection.io


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int, key: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Changedetection:
    """A changedetection.io server in its own virtualenv, driven through its REST API."""

    name = "changedetection.io"

    def __init__(self, work: Path, farm: Farm, base: str, connections: int) -> None:
        self.work, self.farm, self.base = work, farm, base
        (work / "datastore").mkdir(parents=True)
        self.port = _free_port()
        env = {**os.environ, "FETCH_WORKERS": str(connections), "ALLOW_IANA_RESTRICTED_ADDRESSES": "true",
               "HOME": str(work), "LOGGER_LEVEL": "WARNING"}
        self.log = open(work / "server.log", "wb")
        self.proc = subprocess.Popen([str(CDIO_VENV / "bin" / "changedetection.py"), "-d", str(work / "datastore"),
                                      "-h", "127.0.0.1", "-p", str(self.port), "-l", "WARNING"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=work)
        self.api = f"http://127.0.0.1:{self.port}/api/v1"
        self.token = self._wait_token()
        self._wait_up()
        self._drop_examples()
        self.last: dict[str, tuple[Any, Any]] = {}

    def _wait_token(self) -> str:
        path = self.work / "datastore" / "changedetection.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"changedetection.io exited: {(self.work / 'server.log').read_text()[-2000:]}")
            try:
                token = json.loads(path.read_text())["settings"]["application"]["api_access_token"]
                if token:
                    return token
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise RuntimeError("changedetection.io wrote no API token")

    def _request(self, method: str, path: str, data: bytes | None = None,
                 ctype: str = "application/json") -> Any:
        req = urllib.request.Request(self.api + path, data=data, method=method,
                                     headers={"x-api-key": self.token, "Content-Type": ctype})
        with urllib.request.urlopen(req, timeout=120) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self._request("GET", "/systeminfo")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("changedetection.io API did not come up")

    def _watches(self) -> dict[str, Any]:
        """The farm's watches (a fresh install also adds two example watches of public sites)."""
        return {u: w for u, w in self._request("GET", "/watch").items() if w["url"].startswith(self.base)}

    def _drop_examples(self) -> None:
        for uuid, w in self._request("GET", "/watch").items():
            if not w["url"].startswith(self.base):
                self._request("DELETE", f"/watch/{uuid}")

    def run(self, label: str) -> Pass:
        cpu0 = _proc_cpu(self.proc.pid)
        t0 = time.perf_counter()
        if label == "first":
            urls = "\n".join(f"{self.base}{self.farm.path(i)}" for i in range(self.farm.n))
            self._request("POST", "/import?fetch_backend=html_requests", urls.encode(), "text/plain")
            before: dict[str, Any] = {}
        else:
            before = {u: w["last_checked"] for u, w in self._watches().items()}
            self._request("GET", "/watch?recheck_all=1")
        api_errors = 0
        while True:
            time.sleep(0.5)
            try:
                now = self._watches()
            except (OSError, ValueError):  # HTTP 500 while it imports / checks: a user would retry
                api_errors += 1
                continue
            done = len(now) >= self.farm.n and all(
                w["last_checked"] and w["last_checked"] != before.get(u) for u, w in now.items())
            if done:
                break
            if time.perf_counter() - t0 > 3600:
                raise RuntimeError("changedetection.io pass did not finish within an hour")
        wall = time.perf_counter() - t0
        cpu = _proc_cpu(self.proc.pid) - cpu0
        changed = sum(1 for u, w in now.items() if self.last.get(u, (None, None))[1] not in (None, w["last_changed"]))
        errors = sum(1 for w in now.values() if w.get("last_error"))
        self.last = {u: (w["last_checked"], w["last_changed"]) for u, w in now.items()}
        return Pass(wall, cpu, _proc_rss_mb(self.proc.pid), {"changed": changed, "errors": errors,
                                                             "api_errors_while_polling": api_errors,
                                                             "note": "wall includes ≤ 0.5 s of API polling"})

    def close(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ------------------------------------------------------------------ claimwatch daemon vs check


def _fetched_sources(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return con.execute("SELECT COUNT(DISTINCT source_id) FROM fetches").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def daemon_first_pass(work: Path, farm: Farm, base: str, connections: int) -> Pass:
    """``monitor run`` on an empty DB: wall from start until every source has its first fetch row."""
    work.mkdir(parents=True)
    write_sources(work / "sources.yaml", farm, base, connections, interval="6h")
    db = work / "snapshots" / "history.db"
    log = open(work / "daemon.log", "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", "sources.yaml", "--db", str(db),
                             "--stagger-window", "0", "--log-level", "warning"], cwd=work, stdout=log,
                            stderr=subprocess.STDOUT)
    while _fetched_sources(db) < farm.n:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited: {(work / 'daemon.log').read_text()[-2000:]}")
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    cpu_now = _proc_cpu(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, status, usage = os.wait4(proc.pid, 0)
    log.close()
    return Pass(wall, cpu_now, usage.ru_maxrss / 1024, {"cpu_note": "daemon process only (pool workers not counted)",
                                                        "exit": os.waitstatus_to_exitcode(status)})


def all_changed(n: int, work: Path) -> Pass:
    """Every page changed (claims mode), 0 ms latency: the CPU-bound ceiling of claimwatch."""
    farm = Farm(n, seed=3)
    with serve_farm(farm, 0.0) as (base, _):
        work.mkdir(parents=True)
        write_sources(work / "sources.yaml", farm, base, 64)
        monitor_pass(work)
        changed = farm.change(1.0, "claims")  # pages without a later material version: template churn
        run, outcomes = monitor_pass(work)
    return Pass(run.wall, run.cpu, run.rss_mb, {"outcomes": outcomes, "claim_changed": len(changed)})


# ------------------------------------------------------------------ report


def _line(tool: str, p: Pass, n: int) -> str:
    return (f"  {tool:<19} {p.wall:7.2f} s  {n / p.wall:7.1f} pages/s  {p.cpu:7.2f} s CPU "
            f"({1000 * p.cpu / n:5.1f} ms/page)  {p.rss_mb:6.0f} MB  {json.dumps(p.detail)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--tools", default="claimwatch,urlwatch,changedetection.io")
    ap.add_argument("--no-daemon", action="store_true", help="skip the daemon-vs-check comparison")
    ap.add_argument("--all-changed", type=int, default=500, help="N for the all-changed pass (0 = skip)")
    ap.add_argument("--daemon-only", action="store_true", help="only the claimwatch daemon-vs-check comparison")
    ap.add_argument("--json", type=Path, help="write raw results here")
    args = ap.parse_args(argv)
    n, conns = args.sources, args.connections
    makers = {"claimwatch": Claimwatch, "urlwatch": Urlwatch, "changedetection.io": Changedetection}
    wanted = [t for t in args.tools.split(",") if t]
    if args.daemon_only:
        wanted, args.all_changed = ["claimwatch"], 0
    results: dict[str, dict[str, Pass]] = {t: {} for t in wanted}
    unavailable: dict[str, str] = {}
    load0 = os.getloadavg()
    print(f"N={n} latency={args.latency_ms:g} ms connections={conns} nproc={os.cpu_count()} load={load0}")
    with tempfile.TemporaryDirectory(prefix="cw-compare-") as tmp:
        farm = Farm(n, seed=1)
        farm.send_etag = False
        with serve_farm(farm, args.latency_ms) as (base, stats):
            tools = []
            for t in wanted if not args.daemon_only else ():
                try:
                    tools.append(makers[t](Path(tmp) / t, farm, base, conns))
                except Exception as exc:  # a tool that cannot start is reported, the others still run
                    unavailable[t] = f"{type(exc).__name__}: {exc}"
                    print(f"  {t}: unavailable: {unavailable[t]}")
            try:
                for label in PASSES if not args.daemon_only else ():
                    if label == "etag-prime":
                        farm.send_etag = True
                    if label == "dose-edit":
                        edited = farm.change(0.1, "claims", seed=0)
                        print(f"  ({len(edited)} pages with a material claim change)")
                    print(f"-- pass {label}")
                    for tool in tools:
                        p = tool.run(label)
                        results[tool.name][label] = p
                        print(_line(tool.name, p, n), flush=True)
            finally:
                for tool in tools:
                    tool.close()
        extra: dict[str, Pass] = {}
        if not args.no_daemon and "claimwatch" in wanted:
            print("-- claimwatch: daemon first pass vs check first pass (fresh farm each, ETag on)")
            for label, fn in (("check", None), ("daemon", daemon_first_pass)):
                fresh = Farm(n, seed=2)
                with serve_farm(fresh, args.latency_ms) as (base2, _):
                    if fn is None:
                        work = Path(tmp) / "cw-check-fresh"
                        cw = Claimwatch(work, fresh, base2, conns)
                        extra[label] = cw.run("first")
                    else:
                        extra[label] = fn(Path(tmp) / "cw-daemon-fresh", fresh, base2, conns)
                print(_line(f"claimwatch {label}", extra[label], n), flush=True)
        if args.all_changed and "claimwatch" in wanted:
            print(f"-- claimwatch: all {args.all_changed} pages changed, 0 ms latency, concurrency 64")
            extra["all-changed"] = all_changed(args.all_changed, Path(tmp) / "cw-all-changed")
            print(_line("claimwatch", extra["all-changed"], args.all_changed), flush=True)

    print(f"\n== ratios (pages/s of claimwatch ÷ pages/s of the other tool; > 1 = claimwatch faster); "
          f"load {load0} → {os.getloadavg()}")
    cw = results.get("claimwatch", {})
    for other in ("urlwatch", "changedetection.io"):
        if other not in results or not results[other]:
            continue
        for label in REPORTED:
            if label in cw and label in results[other]:
                print(f"  {label:<15} vs {other:<19} {results[other][label].wall / cw[label].wall:5.2f}×")
    bound = n * args.latency_ms / 1000 / conns
    print(f"  network bound N×L/C = {bound:.1f} s = {n / bound:.0f} pages/s" if bound else "")
    if "check" in extra and "daemon" in extra:
        print(f"  daemon first pass ÷ check first pass (wall) = {extra['daemon'].wall / extra['check'].wall:.2f}")
    print("\n== targets (issue 15)")
    targets = [("first ≥ 1.0× urlwatch", "first", "urlwatch", 1.0), ("first ≥ 3× changedetection.io", "first",
               "changedetection.io", 3.0), ("unchanged ≥ 1.5× urlwatch (no ETag)", "unchanged", "urlwatch", 1.5),
               ("unchanged ≥ 3× urlwatch (ETag)", "unchanged-etag", "urlwatch", 3.0)]
    for text, label, other, want in targets:
        if label in cw and label in results.get(other, {}):
            got = results[other][label].wall / cw[label].wall
            print(f"  {text:<40} {got:5.2f}×  {'met' if got >= want else 'NOT met'}")
    if "all-changed" in extra:
        rate = args.all_changed / extra["all-changed"].wall
        print(f"  {'all changed ≥ 100 pages/s':<40} {rate:5.1f}  {'met' if rate >= 100 else 'NOT met'}")
    if "check" in extra and "daemon" in extra:
        r = extra["daemon"].wall / extra["check"].wall
        print(f"  {'daemon pass within 10 % of check':<40} {r:5.2f}  {'met' if r <= 1.10 else 'NOT met'}")
    for t, why in unavailable.items():
        print(f"  {t}: not measured ({why})")
    if args.json:
        args.json.write_text(json.dumps({
            "n": n, "latency_ms": args.latency_ms, "connections": conns, "unavailable": unavailable,
            "results": {t: {k: v.__dict__ for k, v in r.items()} for t, r in results.items()},
            "extra": {k: v.__dict__ for k, v in extra.items()}}, indent=2))


if __name__ == "__main__":
    main()
