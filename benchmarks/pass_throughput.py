"""Time full ``monitor check`` passes over the synthetic farm, and urlwatch over the same pages.

Run by hand (never part of the test suite)::

    .venv/bin/python benchmarks/pass_throughput.py --sources 1000 --latency-ms 50 --changed 0.1 --urlwatch
    .venv/bin/python benchmarks/pass_throughput.py --sweep --latency-ms 50 --changed 0

What is measured, per run, in a fresh temp dir:

1. pass 1 on an empty DB (every page new: fetch + extract + claims + store);
2. ``Farm.change(F, mode)`` edits a fraction F of the pages;
3. pass 2 on the same DB (unchanged pages answer 304 to the conditional GET; changed ones go
   through extract → claims → diff → store).

Each pass is ``python -m monitor check --json`` in a subprocess, reaped with ``os.wait4`` so
CPU seconds and peak RSS are that child's alone (the farm runs in a thread of this process
and is not counted, though it competes for the same cores). All pages live on one host, so the
generated sources.yaml raises ``per_host`` to the global ``concurrency`` — a real deployment
keeps ``per_host`` low to be polite; here it would only measure the politeness limit.

With ``--urlwatch`` the same pages are watched by urlwatch (separate virtualenv, default
``/tmp/urlwatch-venv``; jobs with the ``html2text`` filter, its default minidb cache), run the
same two passes, and the report prints both tools and the ratios from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm, serve_farm  # noqa: E402

URLWATCH_VENV = Path(os.environ.get("URLWATCH_VENV", "/tmp/urlwatch-venv"))
URLWATCH_WORKERS = 10  # urlwatch.worker.MAX_WORKERS (fixed in urlwatch 2.29)


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    returncode: int
    stdout: str

    def per_s(self, n: int) -> float:
        return n / self.wall if self.wall else 0.0


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 3600) -> Run:
    """Run ``cmd``; wall time, CPU (user+sys) and peak RSS of that child only (os.wait4)."""
    out_path = cwd / f".out-{time.monotonic_ns()}"
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(errors="replace")
    out_path.unlink()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, text)


def write_sources(path: Path, farm: Farm, base: str, concurrency: int) -> None:
    lines = ["settings:", f"  concurrency: {concurrency}",
             f"  per_host: {concurrency}   # every farm page is on 127.0.0.1: benchmark only", "sources:"]
    for i in range(farm.n):
        lines += [f"  - id: p{i}", f"    name: farm page {i}", f"    url: {base}{farm.path(i)}",
                  "    interval: 1s", "    allow_private: true", "    respect_robots: false"]
    path.write_text("\n".join(lines) + "\n")


def monitor_pass(work: Path) -> tuple[Run, dict[str, int]]:
    run = timed([sys.executable, "-m", "monitor", "check", "--config", "sources.yaml", "--db",
                 "snapshots/history.db", "--json"], work)
    outcomes: dict[str, int] = {}
    try:
        start = run.stdout.index("{")
        for r in json.loads(run.stdout[start:])["results"]:
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    except ValueError:
        outcomes["unparsable_output"] = 1
        print(run.stdout[-2000:], file=sys.stderr)
    return run, outcomes


def material_sources(db_path: Path) -> int:
    """Sources with at least one active claim change recorded (pass 2 is the only diffing pass)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(DISTINCT source_id) FROM changes WHERE status = 'active'").fetchone()[0]


def disk_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------ urlwatch


def urlwatch_setup(work: Path, farm: Farm, base: str) -> None:
    jobs = [f"name: p{i}\nurl: {base}{farm.path(i)}\nfilter:\n  - html2text\n" for i in range(farm.n)]
    (work / "urls.yaml").write_text("---\n".join(jobs))
    (work / "urlwatch.yaml").write_text(
        "display:\n  new: true\n  error: true\n  unchanged: false\n  empty-diff: false\n"
        "report:\n  text:\n    details: false\n    footer: false\n    minimal: true\n"
        "  stdout:\n    enabled: true\n    color: false\n")


def urlwatch_pass(work: Path) -> tuple[Run, dict[str, int]]:
    env = {**os.environ, "HOME": str(work)}
    run = timed([str(URLWATCH_VENV / "bin" / "urlwatch"), "--urls", "urls.yaml", "--config", "urlwatch.yaml",
                 "--hooks", "hooks.py", "--cache", "cache.db"], work, env=env)
    counts = {k: len(re.findall(rf"^\s*(?:\d+\. )?{k.upper()}: ", run.stdout, re.M)) for k in ("new", "changed", "error")}
    return run, counts


# ------------------------------------------------------------------ one scenario


def scenario(n: int, latency_ms: float, changed: float, mode: str, concurrency: int, with_urlwatch: bool,
             seed: int = 0) -> dict:
    farm = Farm(n, seed=seed + 1)
    res: dict = {"n": n, "latency_ms": latency_ms, "changed": changed, "mode": mode, "concurrency": concurrency}
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp, serve_farm(farm, latency_ms) as (base, stats):
        ours, theirs = Path(tmp) / "ours", Path(tmp) / "urlwatch"
        ours.mkdir()
        theirs.mkdir()
        write_sources(ours / "sources.yaml", farm, base, concurrency)
        p1, o1 = monitor_pass(ours)
        if with_urlwatch:
            urlwatch_setup(theirs, farm, base)
            u1, c1 = urlwatch_pass(theirs)
        truly = farm.change(changed, mode, seed=seed)
        p2, o2 = monitor_pass(ours)
        res["ours"] = {"pass1": p1.__dict__ | {"outcomes": o1}, "pass2": p2.__dict__ | {"outcomes": o2},
                       "claim_changed_pages": len(truly) if mode == "claims" else 0,
                       "sources_with_alerts": material_sources(ours / "snapshots" / "history.db"),
                       "disk_bytes": disk_bytes(ours / "snapshots")}
        if with_urlwatch:
            u2, c2 = urlwatch_pass(theirs)
            res["urlwatch"] = {"pass1": u1.__dict__ | {"counts": c1}, "pass2": u2.__dict__ | {"counts": c2},
                               "cache_bytes": (theirs / "cache.db").stat().st_size
                               if (theirs / "cache.db").exists() else 0}
        res["farm"] = dict(stats)
    for side in ("ours", "urlwatch"):
        for p in ("pass1", "pass2"):
            if side in res:
                res[side][p].pop("stdout", None)
    return res


def _fmt(run: dict, n: int) -> str:
    return (f"{run['wall']:7.2f} s wall  {n / run['wall']:7.1f} pages/s  {run['cpu']:6.2f} s CPU "
            f"({1000 * run['cpu'] / n:5.2f} ms/page)  {run['rss_mb']:6.1f} MB peak RSS")


def report(res: dict) -> None:
    n, c, lat = res["n"], res["concurrency"], res["latency_ms"]
    bound = n * lat / 1000 / c
    print(f"\n== N={n} latency={lat:g} ms changed={res['changed']:g} ({res['mode']}) concurrency={c}")
    o = res["ours"]
    print(f"  claimwatch pass 1 {_fmt(o['pass1'], n)}  {o['pass1']['outcomes']}")
    print(f"  claimwatch pass 2 {_fmt(o['pass2'], n)}  {o['pass2']['outcomes']}")
    print(f"    network bound N×L/concurrency = {bound:.2f} s; pass 2 is {o['pass2']['wall'] / bound:.1f}× that"
          if bound else "    (no added latency)")
    print(f"    pages with a claim change: {o['claim_changed_pages']}; sources alerted: {o['sources_with_alerts']}; "
          f"snapshots+DB {o['disk_bytes'] / 1e6:.1f} MB")
    if "urlwatch" in res:
        u = res["urlwatch"]
        print(f"  urlwatch   pass 1 {_fmt(u['pass1'], n)}  {u['pass1']['counts']}")
        print(f"  urlwatch   pass 2 {_fmt(u['pass2'], n)}  {u['pass2']['counts']}")
        print(f"    urlwatch network bound (10 workers) = {n * lat / 1000 / URLWATCH_WORKERS:.2f} s; "
              f"cache {u['cache_bytes'] / 1e6:.1f} MB")
        print(f"    ratios (urlwatch / claimwatch): pass 1 wall {u['pass1']['wall'] / o['pass1']['wall']:.2f}×, "
              f"pass 2 wall {u['pass2']['wall'] / o['pass2']['wall']:.2f}×, "
              f"pass 2 CPU {u['pass2']['cpu'] / max(o['pass2']['cpu'], 1e-9):.2f}×")
        print(f"    reported changed: urlwatch {u['pass2']['counts']['changed']}, claimwatch "
              f"{o['sources_with_alerts']} (pages with a material claim change: {o['claim_changed_pages']})")


def median_result(results: list[dict]) -> dict:
    """Field-wise median of the numeric pass figures over repeats (outcomes from the first run)."""
    out = json.loads(json.dumps(results[0]))
    for side in ("ours", "urlwatch"):
        if side not in out:
            continue
        for p in ("pass1", "pass2"):
            for k in ("wall", "cpu", "rss_mb"):
                out[side][p][k] = statistics.median(r[side][p][k] for r in results)
    out["repeats"] = len(results)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--changed", type=float, default=0.0, help="fraction of pages changed before pass 2")
    ap.add_argument("--mode", choices=("template", "claims"), default="claims")
    ap.add_argument("--concurrency", type=int, default=64, help="settings.concurrency (= per_host here)")
    ap.add_argument("--urlwatch", action="store_true", help="also run urlwatch on the same pages")
    ap.add_argument("--sweep", action="store_true", help="N = 100, 1000, 10000")
    ap.add_argument("--repeat", type=int, default=1, help="runs per N; figures are medians")
    ap.add_argument("--json", type=Path, help="append raw results (JSON lines) to this file")
    args = ap.parse_args(argv)
    sizes = [100, 1000, 10000] if args.sweep else [args.sources]
    summary = []
    for n in sizes:
        runs = [scenario(n, args.latency_ms, args.changed, args.mode, args.concurrency, args.urlwatch, seed=k)
                for k in range(args.repeat)]
        res = median_result(runs)
        report(res)
        summary.append(res)
        if args.json:
            with args.json.open("a") as fh:
                fh.write(json.dumps(res) + "\n")
    if len(summary) > 1:
        print("\nscaling (pass 2 wall, claimwatch):")
        for res in summary:
            w = res["ours"]["pass2"]["wall"]
            print(f"  N={res['n']:>6}: {w:7.2f} s  ({1000 * w / res['n']:.2f} ms/source)")


if __name__ == "__main__":
    main()
