"""An Atom 1.0 feed of claim changes, for feed readers and anything that polls.

Built with ElementTree, so page text is escaped by the serializer (never concatenated into
markup); characters XML 1.0 forbids (control characters a page may contain) are dropped first.
Entry ids are ``tag:`` URIs derived from the change's source, versions and fingerprint, so they
stay the same when the feed is regenerated, even from a rebuilt database.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

import sqlite_utils

from monitor import store
from monitor.links import change_url, history_url

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_DATE = "2024"
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """Text with the characters XML 1.0 cannot carry removed."""
    return _XML_INVALID.sub("", "" if value is None else str(value))


def _authority(base_url: str | None) -> str:
    host = urlsplit(base_url).hostname if base_url else None
    return host or "claimwatch"


def _rfc3339(ts: str | None) -> str:
    if not ts:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    t = dt.datetime.fromisoformat(ts)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()


def entry_id(authority: str, row: dict) -> str:
    parts = [row["source_id"], f"{row.get('from_version') or 0}-{row['to_version']}",
             row.get("fingerprint") or str(row["id"])]
    return f"tag:{authority},{TAG_DATE}:change/" + "/".join(quote(str(p), safe="") for p in parts)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        el.text = xml_text(text)
    return el


def _content(row: dict) -> str:
    source = row.get("source_name") or row["source_id"]
    lines = [f"{source} ({row['source_url']})" if row.get("source_url") else source, row.get("summary") or ""]
    if row.get("old_text"):
        lines.append("Before: " + row["old_text"])
    if row.get("new_text"):
        lines.append("After: " + row["new_text"])
    lines.append(f"Category: {row.get('category')}; kind: {row.get('kind')}; severity: {row.get('severity')}")
    return "\n".join(lines)


def build_feed(db: sqlite_utils.Database, *, base_url: str | None = None, limit: int = 200) -> bytes:
    """Atom document (UTF-8 bytes) of active changes, newest first."""
    rows = store.feed_changes(db, limit)
    authority = _authority(base_url)
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"tag:{authority},{TAG_DATE}:changes")
    _sub(feed, "title", "claimwatch: claim changes")
    _sub(feed, "subtitle", "Changes to dosage, legal status, evidence and safety claims on watched pages")
    _sub(feed, "updated", _rfc3339(rows[0]["detected_at"] if rows else None))
    author = _sub(feed, "author")
    _sub(author, "name", "claimwatch")
    _sub(feed, "generator", "claimwatch")
    if base_url:
        _sub(feed, "link", rel="alternate", href=xml_text(base_url))
    for row in rows:
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(authority, row))
        summary = xml_text(row.get("summary")).strip()
        _sub(entry, "title", summary or f"{row.get('category')} {row.get('kind')}: {row['key']}")
        _sub(entry, "updated", _rfc3339(row["detected_at"]))
        _sub(entry, "published", _rfc3339(row["detected_at"]))
        _sub(entry, "category", term=xml_text(row.get("category") or "other"))
        _sub(entry, "content", _content(row), type="text")
        link = change_url(base_url, row["id"])
        if link:
            _sub(entry, "link", rel="alternate", href=xml_text(link))
            _sub(entry, "link", rel="related", href=xml_text(history_url(base_url, row["source_id"])))
        elif row.get("source_url"):
            _sub(entry, "link", rel="related", href=xml_text(row["source_url"]))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
