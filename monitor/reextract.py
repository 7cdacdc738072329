"""Rebuild stored claims from raw bodies when the extractors improve.

Raw bodies are kept in ``snapshots/`` by hash, so every version can be re-read, its main text
re-extracted (with the source's selector) and its claims recomputed. Each version is rewritten
in its own transaction. Already recorded changes and alerts are history and stay as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

from monitor import store
from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.extract import extract_main_text
from monitor.pipeline import snapshot_dir
from monitor.snapshots import SnapshotStore


def reextract_versions(db_path: Path, source_ids: list[str] | None = None, *, force: bool = False) -> dict[str, int]:
    db = store.open_db(db_path, create=False)
    snapshots = SnapshotStore(snapshot_dir(db_path))
    counts = {"versions": 0, "claims": 0, "skipped": 0}
    try:
        where, params = "", []
        if source_ids:
            where = "WHERE v.source_id IN (%s)" % ", ".join("?" for _ in source_ids)
            params = list(source_ids)
        rows = list(db.query(
            f"SELECT v.id, v.source_id, v.body_hash, v.extractor_version, s.settings FROM versions v "
            f"JOIN sources s ON s.id = v.source_id {where} ORDER BY v.source_id, v.number", params))
        for row in rows:
            if row["extractor_version"] == EXTRACTOR_VERSION and not force:
                counts["skipped"] += 1
                continue
            selector = json.loads(row["settings"] or "{}").get("selector")
            body = snapshots.get(row["body_hash"])
            main = extract_main_text(body.decode("utf-8", errors="replace"), selector)
            claims = extract_claims(main.text)
            with store.transaction(db):
                db.execute("DELETE FROM claims WHERE version_id = ?", [row["id"]])
                store.insert_claims(db, row["source_id"], row["id"], claims, EXTRACTOR_VERSION)
                db["versions"].update(row["id"], {"text": main.text, "claim_count": len(claims),
                                                  "extractor_version": EXTRACTOR_VERSION})
            counts["versions"] += 1
            counts["claims"] += len(claims)
    finally:
        db.close()
    return counts
