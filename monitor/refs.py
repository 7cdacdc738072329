"""Resolve what a user names on the command line into text and claims.

A reference is ``SOURCE@VERSION`` (a stored version), ``SOURCE`` (its latest version), a path
to an HTML or plain-text file, or an http(s) URL (fetched once, not stored). Files and URLs
need no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from monitor import store
from monitor.claims import extract_claims
from monitor.errors import RefError, StoreError
from monitor.extract import extract_main_text
from monitor.fetch.content import binary_kind, decode_text
from monitor.models import Claim

_SOURCE_REF = re.compile(r"^([a-z0-9][a-z0-9_-]{0,63})(?:@(\d+))?$")


@dataclass(frozen=True)
class Resolved:
    ref: str  # canonical label, e.g. "shield@3", "page.html", "https://…"
    text: str
    claims: list[Claim]
    source_id: str | None = None
    version: int | None = None


def is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def resolve(ref: str, db_path: Path, *, selector: str | None = None, allow_private: bool = False) -> Resolved:
    """Turn a reference into main text + claims; RefError explains what was expected."""
    if is_url(ref):
        from monitor.fetch.client import fetch_sync
        from monitor.fetch.options import FetchOptions

        result = fetch_sync(ref, FetchOptions(allow_private=allow_private))
        main = extract_main_text(result.text, selector)
        return Resolved(ref, main.text, extract_claims(main.text))
    path = Path(ref)
    if path.is_file():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise RefError(f"{ref}: cannot read the file ({exc.strerror})") from None
        kind = binary_kind(raw)
        if kind:  # as a URL serving it would be refused: claims read from bytes are invented
            raise RefError(f"{ref}: not an HTML or text file ({kind}); save the page as HTML or "
                           "text and pass that")
        html, _ = decode_text(raw, None)  # the fetcher's decoding: BOM, UTF-8, <meta>, detection
        main = extract_main_text(html, selector)
        return Resolved(ref, main.text, extract_claims(main.text))
    m = _SOURCE_REF.match(ref)
    if not m:
        raise RefError(f"{ref!r} is not a file, an http(s) URL or SOURCE[@VERSION]")
    try:
        db = store.open_db(db_path, readonly=True)
    except StoreError as exc:
        raise RefError(f"{ref!r} is not a file or URL, and {exc}") from None
    try:
        row = store.get_version(db, m.group(1), int(m.group(2)) if m.group(2) else None)
        return Resolved(f"{m.group(1)}@{row['number']}", row["text"], store.version_claims(db, row["id"]),
                        source_id=m.group(1), version=row["number"])
    finally:
        db.close()


def latest_two(source_id: str, db_path: Path) -> tuple[Resolved, Resolved]:
    """The two newest versions of a source, oldest first."""
    db = store.open_db(db_path, readonly=True)
    try:
        rows = store.recent_versions(db, source_id, 2)
        if not rows:
            store.get_version(db, source_id)  # raises a clear RefError
        if len(rows) < 2:
            raise RefError(f"source {source_id!r} has only one version so far; nothing to compare")
        new, old = rows
        return tuple(  # type: ignore[return-value]
            Resolved(f"{source_id}@{r['number']}", r["text"], store.version_claims(db, r["id"]),
                     source_id=source_id, version=r["number"]) for r in (old, new))
    finally:
        db.close()
