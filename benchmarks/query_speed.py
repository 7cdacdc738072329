"""Speed of the Datasette canned queries and of ``monitor diff/history SOURCE`` on a big history DB.

Run by hand::

    .venv/bin/python benchmarks/query_speed.py                         # 10,000 sources × 5 versions ≈ 1M claims
    .venv/bin/python benchmarks/query_speed.py --sources 1000 --versions 50   # deeper histories, ≈ 1M claims
    .venv/bin/python benchmarks/query_speed.py --sources 500 --versions 10 --runs 5   # quick look

The DB is made by ``monitor.store.open_db`` (real schema, migrations, indexes, FTS triggers)
and filled with bulk ``executemany`` inserts in big transactions: each version is a real
corpus version's main text and its real extracted claims, with dosage amounts scaled per
source so values vary; every version has a couple of fetch rows, consecutive versions get the
changes the real ``diff_claims`` finds, a few percent of sources are failing and some alerts
are pending. A real version has ≈ 20 claims, so "≈ 1M claims" and "10,000 sources × 100
versions" cannot both hold; the default keeps 10,000 sources (the number of columns and
per-source work the queries face) at ≈ 1M claims, ``--versions`` deepens the histories.

Each canned query (SQL from ``monitor.datasette.queries``) is run ``--runs`` times with
sqlite3 the way Datasette runs it (read-only connection, first 1,001 rows fetched); a few
are also run through Datasette's ASGI test client. ``monitor diff SOURCE`` and
``monitor history SOURCE`` run in-process through click. p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from monitor import store
from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.corpus import load_corpus
from monitor.datasette.queries import canned_queries
from monitor.diff import diff_claims
from monitor.extract import extract_main_text
from monitor.models import Claim

MAX_ROWS = 1001  # Datasette's max_returned_rows (1000) + 1 to detect truncation
TARGET_MS = 200.0


def corpus_pool() -> list[list[tuple[str, str, list[Claim]]]]:
    """Per corpus source: (title, main text, claims) of each version."""
    out = []
    for src in load_corpus():
        versions = []
        for v in src.versions:
            main = extract_main_text(v.html)
            versions.append((main.title, main.text, extract_claims(main.text)))
        out.append(versions)
    return out


def scaled(claim: Claim, factor: float) -> Claim:
    """The claim with its dosage amounts multiplied by ``factor`` (values vary across sources)."""
    value = dict(claim.value)
    for k in ("min_mg", "max_mg", "dose_mg"):
        if isinstance(value.get(k), (int, float)):
            value[k] = round(value[k] * factor, 4)
    return Claim(claim.category, claim.key, claim.text, value, claim.start, claim.end, claim.subject)


def build(db_path: Path, n_sources: int, n_versions: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    pool = corpus_pool()
    db = store.open_db(db_path)
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    now = "2025-06-01T00:00:00+00:00"
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO sources (id, url, name, settings, enabled, created_at, updated_at) "
                     "VALUES (?, ?, ?, '{}', 1, ?, ?)",
                     [(f"s{i:05d}", f"https://site{i}.example/semax", f"Source {i}", now, now)
                      for i in range(n_sources)])
    conn.execute("COMMIT")
    version_id = 0
    for start in range(0, n_sources, 200):
        conn.execute("BEGIN")
        versions, claims, fetches, changes = [], [], [], []
        for i in range(start, min(start + 200, n_sources)):
            sid = f"s{i:05d}"
            history = pool[i % len(pool)]
            factor = rng.choice((0.5, 1.0, 1.0, 2.0, 3.0))
            offset = rng.randrange(len(history))
            previous: list[Claim] | None = None
            for n in range(1, n_versions + 1):
                version_id += 1
                title, text, cls = history[(offset + n - 1) % len(history)]
                cls = [scaled(c, factor) for c in cls]
                day = f"2024-{1 + n * 11 // max(n_versions, 1) % 12:02d}-{1 + n % 28:02d}T06:00:00+00:00"
                versions.append((version_id, sid, n, f"b{version_id:x}", f"t{version_id:x}", title, text,
                                 f"https://site{i}.example/semax", day, day, len(cls), EXTRACTOR_VERSION, 0))
                claims += [(version_id, sid, c.category, c.key, c.text, json.dumps(c.value, sort_keys=True),
                            c.start, c.end, c.subject, EXTRACTOR_VERSION) for c in cls]
                fetches += [(sid, day, 420.0, 200, "new_version", version_id),
                            (sid, day.replace("T06", "T12"), 380.0, 304, "not_modified", version_id)]
                if previous is not None:
                    for ch in diff_claims(previous, cls):
                        changes.append((sid, n - 1, n, ch.category, ch.kind, ch.key, ch.severity,
                                        ch.old.text if ch.old else None, ch.new.text if ch.new else None,
                                        json.dumps(ch.old.value) if ch.old else None,
                                        json.dumps(ch.new.value) if ch.new else None, ch.summary, "active",
                                        store.change_fingerprint(ch), day))
                previous = cls
        conn.executemany("INSERT INTO versions (id, source_id, number, body_hash, text_hash, title, text, url, "
                         "first_seen, last_seen, claim_count, extractor_version, held) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", versions)
        conn.executemany("INSERT INTO claims (version_id, source_id, category, key, text, value, start, \"end\", "
                         "subject, extractor_version) VALUES (?,?,?,?,?,?,?,?,?,?)", claims)
        conn.executemany("INSERT INTO fetches (source_id, started_at, duration_ms, status_code, outcome, version_id) "
                         "VALUES (?,?,?,?,?,?)", fetches)
        conn.executemany("INSERT OR IGNORE INTO changes (source_id, from_version, to_version, category, kind, key, "
                         "severity, old_text, new_text, old_value, new_value, summary, status, fingerprint, "
                         "detected_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", changes)
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO source_state (source_id, consecutive_failures, last_outcome, last_error, "
                     "last_checked_at, broken_alerted) VALUES (?,?,?,?,?,?)",
                     [(f"s{i:05d}", rng.choice((1, 2, 3, 5)) if rng.random() < 0.03 else 0,
                       "error" if rng.random() < 0.03 else "ok", None, now, 0) for i in range(n_sources)])
    ids = [r[0] for r in conn.execute("SELECT id, source_id FROM changes ORDER BY random() LIMIT 2000")]
    conn.executemany("INSERT INTO alerts (change_id, source_id, channel, event, status, attempts, next_attempt_at, "
                     "created_at) SELECT id, source_id, 'mail', 'change', ?, 0, ?, ? FROM changes WHERE id = ?",
                     [(rng.choice(("pending", "sent", "sent", "failed", "dead")), now, now, cid) for cid in ids])
    conn.execute("COMMIT")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("sources", "versions", "claims", "fetches", "changes", "alerts")}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return counts


def timings(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else samples[0]
    return statistics.median(samples), p95, result


def sql_runner(db_path: Path, sql: str, params: dict[str, str]) -> Callable[[], int]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)

    def run() -> int:
        return len(conn.execute(sql, params).fetchmany(MAX_ROWS))

    return run


def query_cases(db_path: Path, sample: str) -> list[tuple[str, str, dict[str, str]]]:
    with sqlite3.connect(db_path) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM sources ORDER BY id")]
    cases = []
    for name, q in canned_queries(ids).items():
        if q.get("params"):
            cases.append((f"{name} (all sources)", q["sql"], {"source": ""}))
            cases.append((f"{name} (source={sample})", q["sql"], {"source": sample}))
        else:
            cases.append((name, q["sql"], {}))
    return cases


def run_queries(db_path: Path, runs: int, sample: str) -> list[tuple[str, float, float, str]]:
    rows = []
    for label, sql, params in query_cases(db_path, sample):
        try:
            p50, p95, n = timings(sql_runner(db_path, sql, params), runs)
            rows.append((label, p50, p95, f"{n} rows"))
        except sqlite3.Error as exc:
            rows.append((label, float("nan"), float("nan"), f"ERROR: {exc}"))
    return rows


def run_datasette(db_path: Path, runs: int, sample: str) -> list[tuple[str, float, float, str]]:
    from monitor.datasette.server import build_datasette

    ds = build_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    name = db_path.stem
    paths = [f"/{name}/recent_changes.json", f"/{name}/version_timeline.json?source={sample}",
             f"/{name}/dosage_history.json?source={sample}", f"/{name}/failing_sources.json",
             f"/{name}/alerts_queue.json"]
    rows = []
    for path in paths:
        status: list[int] = []

        def get() -> None:
            status.append(asyncio.run(ds.client.get(path)).status_code)

        p50, p95, _ = timings(get, runs)
        rows.append((f"datasette GET {path.split('/', 2)[2]}", p50, p95, f"HTTP {sorted(set(status))}"))
    return rows


def run_cli(db_path: Path, runs: int, sample: str) -> list[tuple[str, float, float, str]]:
    from click.testing import CliRunner

    from monitor.cli import cli

    runner = CliRunner()
    rows = []
    for args in (["diff", sample, "--db", str(db_path), "--format", "json"],
                 ["history", sample, "--db", str(db_path), "--json"],
                 ["diff", sample, "--since", "2024-01-01", "--db", str(db_path), "--format", "json"]):
        codes: list[int] = []

        def call() -> None:
            codes.append(runner.invoke(cli, args).exit_code)

        p50, p95, _ = timings(call, runs)
        rows.append(("monitor " + " ".join(a for a in args if a != str(db_path) and a != "--db"), p50, p95,
                     f"exit {sorted(set(codes))}"))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", type=int, default=10_000)
    ap.add_argument("--versions", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--db", type=Path, help="reuse/keep the DB at this path (built when missing)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cw-query-") as tmp:
        db_path = args.db or Path(tmp) / "history.db"
        if not db_path.exists():
            t0 = time.perf_counter()
            counts = build(db_path, args.sources, args.versions)
            print(f"built {db_path} in {time.perf_counter() - t0:.0f} s: {counts}")
        store.open_db(db_path).close()  # apply any pending migration (e.g. new indexes)
        print(f"DB size {db_path.stat().st_size / 1e6:.0f} MB; {args.runs} runs each; target p95 ≤ {TARGET_MS:.0f} ms")
        with sqlite3.connect(db_path) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM sources ORDER BY id")]
        sample = ids[len(ids) // 2]
        rows = run_queries(db_path, args.runs, sample)
        rows += run_datasette(db_path, max(3, args.runs // 4), sample)
        rows += run_cli(db_path, max(3, args.runs // 4), sample)
        print(f"\n| query | p50 ms | p95 ms | result | p95 ≤ {TARGET_MS:.0f} ms |\n|---|---:|---:|---|---|")
        for label, p50, p95, note in rows:
            ok = "yes" if p95 <= TARGET_MS else ("**no**" if p95 == p95 else "**error**")
            print(f"| {label} | {p50:.1f} | {p95:.1f} | {note} | {ok} |")


if __name__ == "__main__":
    main()
