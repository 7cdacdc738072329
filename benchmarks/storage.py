"""Bytes on disk per stored version vs the raw bytes fetched: snapshots/ (zstd) + history DB.

Run by hand::

    .venv/bin/python benchmarks/storage.py                 # 200 versions of each corpus page
    .venv/bin/python benchmarks/storage.py --versions 50 --plain

How: each of the five corpus pages goes through 200 successive fetches. Every fetch has
template churn (nonce, counters, sidebar prices, related-post order — the farm's furniture
plus the corpus's own date/counter placeholders); the page's labelled history (≈ 14 versions,
cosmetic and material text edits) is spread evenly over the 200 fetches, so about one fetch in
fourteen also changes the main text. Bodies are fed to the real ``monitor.pipeline.record``
as ``FetchResult`` objects — the storage path (snapshot store, versions, claims, changes,
fetch rows) is exactly the one ``monitor check`` uses, without timing HTTP, which does not
affect what is stored.

``--plain`` feeds the corpus pages as they are (8–14 KB, little furniture); the default wraps
them like farm pages (20–200 KB of furniture), closer to real pages. Reported: snapshot bytes
(apparent size and allocated blocks — each snapshot is its own file, so small files round up
to the filesystem block), DB bytes after a WAL checkpoint and after VACUUM, and each as a
percentage of the raw bytes fetched. A what-if line sizes a delta-aware snapshot store
(each body compressed with the source's previous body as a zstd raw-content dictionary).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zstandard  # noqa: E402
from farm import Farm  # noqa: E402

from monitor import store  # noqa: E402
from monitor.config import Config, Settings, Source  # noqa: E402
from monitor.models import FetchResult  # noqa: E402
from monitor.pipeline import record  # noqa: E402
from monitor.snapshots import SnapshotStore  # noqa: E402


def fetch_result(url: str, body: bytes, etag: str) -> FetchResult:
    return FetchResult(url=url, final_url=url, status_code=200, body=body, text=body.decode("utf-8"),
                       content_type="text/html", charset="utf-8", headers={"etag": etag})


def delta_size(previous: bytes | None, body: bytes) -> int:
    """What-if: zstd size of ``body`` using the source's previous body as a raw-content dictionary.

    Not what the snapshot store does (it compresses each body alone); shown to size the gain
    a delta-aware store would bring.
    """
    if previous is None:
        return len(zstandard.ZstdCompressor(level=10).compress(body))
    prefix = zstandard.ZstdCompressionDict(previous, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return len(zstandard.ZstdCompressor(level=10, dict_data=prefix).compress(body))


def feed(root: Path, fetches: int, padded: bool) -> dict[str, int]:
    """Run ``fetches`` fetches of every corpus page through ``record``; returns counters."""
    farm = Farm(5)
    sources = tuple(Source(id=f"s{p.index}", url=f"http://127.0.0.1/p/{p.index}", name=p.source.id,
                           allow_private=True, respect_robots=False) for p in farm.pages)
    config = Config(path=root / "sources.yaml", sources=sources, settings=Settings())
    db = store.open_db(root / "history.db")
    snaps = SnapshotStore(root)
    raw = delta = 0
    previous: dict[str, bytes] = {}
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    for src, page in zip(sources, farm.pages):
        store.upsert_source(db, src.id, src.url or "", src.name, src.settings_json())
    for k in range(fetches):
        for src, page in zip(sources, farm.pages):
            n_versions = len(page.source.versions)
            page.version = min(n_versions - 1, k * n_versions // fetches)
            page.churn = k
            page.generation = k
            html = farm.render(page.index).decode() if padded else page.source.versions[page.version].html
            if not padded:  # corpus furniture placeholders are fixed per version: churn a nonce too
                html = html.replace("</body>", f'<script nonce="{k:08x}{page.index}">init({k})</script></body>', 1)
            body = html.encode("utf-8")
            raw += len(body)
            delta += delta_size(previous.get(src.id), body)
            previous[src.id] = body
            started = (t0 + dt.timedelta(hours=6 * k)).isoformat()
            record(db, snaps, config, src, fetch_result(src.url or "", body, farm.etag(page.index)),
                   None, started, 50.0)
    counts = {r["outcome"]: r["n"] for r in db.query("SELECT outcome, count(*) AS n FROM fetches GROUP BY 1")}
    counts["versions"] = db["versions"].count
    counts["claims"] = db["claims"].count
    counts["changes"] = db["changes"].count
    counts["raw"] = raw
    counts["delta"] = delta
    db.close()
    return counts


def sizes(root: Path) -> dict[str, int]:
    files = list(root.glob("??/*.zst"))
    out = {"snap_files": len(files), "snap_apparent": sum(p.stat().st_size for p in files),
           "snap_allocated": sum(p.stat().st_blocks * 512 for p in files)}
    db_path = root / "history.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out["db"] = db_path.stat().st_size
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    out["db_vacuumed"] = db_path.stat().st_size
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--versions", type=int, default=200, help="fetches per page (each with template churn)")
    ap.add_argument("--plain", action="store_true", help="corpus pages as they are, without farm furniture")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cw-storage-") as tmp:
        counts = feed(Path(tmp), args.versions, padded=not args.plain)
        s = sizes(Path(tmp))
    raw = counts["raw"]
    fetches = args.versions * 5

    def line(label: str, b: int) -> str:
        return f"  {label:<38} {b / 1e6:9.2f} MB  {100 * b / raw:6.1f} % of raw  {b / fetches / 1024:7.2f} KB/fetch"

    print(f"{'plain' if args.plain else 'farm-padded'} corpus pages: 5 pages × {args.versions} fetches; "
          f"outcomes {dict((k, v) for k, v in counts.items() if k not in ('raw', 'delta'))}")
    print(line("raw bytes fetched", raw))
    print(line(f"snapshots ({s['snap_files']} .zst files, apparent)", s["snap_apparent"]))
    print(line("snapshots (allocated blocks)", s["snap_allocated"]))
    print(line("history DB (after WAL checkpoint)", s["db"]))
    print(line("history DB (after VACUUM)", s["db_vacuumed"]))
    total = s["snap_apparent"] + s["db_vacuumed"]
    total_alloc = s["snap_allocated"] + s["db"]
    print(line("TOTAL snapshots + DB (apparent, vacuumed)", total))
    print(line("TOTAL (allocated, not vacuumed)", total_alloc))
    print(line("what-if: zstd delta vs previous body", counts["delta"]))
    print(f"  target ≤ 15 % of raw: {'met' if total <= 0.15 * raw else 'MISSED'} "
          f"(apparent+vacuumed), {'met' if total_alloc <= 0.15 * raw else 'MISSED'} (allocated)")


if __name__ == "__main__":
    main()
