"""Rebuild stored claims from raw bodies when the extractors improve; verify the snapshots.

Raw bodies are kept in ``snapshots/`` by hash, so every version can be re-read, its main text
re-extracted (with the source's selector) and its claims recomputed. Each version is rewritten
in its own transaction. Already recorded changes and alerts are history and stay as they were.

Bodies are decoded exactly as the fetch decoded them: with the codec recorded in
``versions.charset``, or, for versions stored before it was recorded, with the fetcher's own
detection (BOM, UTF-8, ``<meta>``, charset-normalizer). ``text_hash`` is recomputed with the
text, so the next fetch compares against what is stored.

A missing or corrupt snapshot is reported and skipped: one bad file must not stop the rebuild
of every other version. ``monitor verify`` checks all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from monitor import store
from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.errors import SnapshotError
from monitor.extract import extract_main_text
from monitor.fetch.content import decode_text
from monitor.pipeline import snapshot_dir
from monitor.snapshots import SnapshotStore


@dataclass
class ReextractReport:
    """What ``monitor reextract`` did; ``problems`` holds one line per version it could not rebuild."""

    versions: int = 0
    claims: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def decode_stored(body: bytes, charset: str | None) -> str:
    """The text of a stored body, decoded as the fetch did (see module docstring)."""
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a codec name Python no longer knows, or a wrong record: detect again
    text, _ = decode_text(body, None)
    return text


def reextract_versions(db_path: Path, source_ids: list[str] | None = None, *,
                       force: bool = False) -> ReextractReport:
    db = store.open_db(db_path, create=False)
    snapshots = SnapshotStore(snapshot_dir(db_path))
    report = ReextractReport()
    try:
        for row in store.versions_to_reextract(db, source_ids):
            if row["extractor_version"] == EXTRACTOR_VERSION and not force:
                report.skipped += 1
                continue
            try:
                body = snapshots.get(row["body_hash"])
            except SnapshotError as exc:
                report.problems.append(f"{row['source_id']}@{row['number']}: not rebuilt: {exc}")
                continue
            selector = json.loads(row["settings"] or "{}").get("selector")
            main = extract_main_text(decode_stored(body, row["charset"]), selector)
            claims = extract_claims(main.text)
            with store.transaction(db):
                store.replace_extraction(db, row, main.text, main.text_hash, claims, EXTRACTOR_VERSION)
            report.versions += 1
            report.claims += len(claims)
    finally:
        db.close()
    return report


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def verify_snapshots(db_path: Path) -> VerifyReport:
    """Check every stored snapshot (hash, and delta base) and every body the history refers to."""
    snapshots = SnapshotStore(snapshot_dir(db_path))
    db = store.open_db(db_path, readonly=True)
    try:
        referenced = store.body_references(db)
    finally:
        db.close()
    report = VerifyReport()
    for digest in sorted(set(snapshots.digests()) | set(referenced)):
        report.checked += 1
        problem = snapshots.problem(digest)
        if problem:
            used_by = f" (body of {referenced[digest]})" if digest in referenced else ""
            report.problems.append(problem + used_by)
    return report
