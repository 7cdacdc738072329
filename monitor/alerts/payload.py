"""The native webhook's JSON document: what a program needs to act on an alert.

Apprise's ``json://`` sends a title and a prose message; a receiver that wants to open a
ticket for a dose change, or route legality flips to a lawyer, would have to parse English.
This document carries the same alert as data — the source, the two versions, and per change
its category, kind, severity, key, old and new value and text, and its Datasette link — and is
described by ``monitor/alerts/webhook.schema.json`` (tests validate real deliveries against it).

One document is sent per alert; a digest (``digest: pass|hourly``) is one document with
``event: "digest"`` whose ``alerts`` holds the single-alert documents. ``idempotency_key`` is
the same key the outbox uses everywhere (``claimwatch-alert-<id>``, or ``claimwatch-digest-…``),
so at-least-once duplicates can be dropped. The body is serialised once (:func:`encode`) and
those exact bytes are what the HMAC signature covers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.links import change_url, history_url
from monitor.models import SEVERITY_RANK

if TYPE_CHECKING:  # messages imports this module; only the type is needed here
    from monitor.alerts.messages import AlertItem

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("webhook.schema.json")


def _value(raw: Any) -> Any:
    """The changes table stores values as JSON text; receivers get the object."""
    if raw is None or isinstance(raw, (dict, list)):
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _side(text: str | None, value: Any) -> dict[str, Any] | None:
    if text is None and value is None:
        return None
    return {"value": _value(value), "text": text}


def change_document(change: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """One changes row as the webhook's ``changes[]`` item."""
    return {
        "id": int(change["id"]),
        "category": change.get("category"),
        "kind": change.get("kind"),
        "severity": change.get("severity"),
        "key": change.get("key"),
        "summary": change.get("summary") or "",
        "old": _side(change.get("old_text"), change.get("old_value")),
        "new": _side(change.get("new_text"), change.get("new_value")),
        "note": change.get("note") or None,
        "link": change_url(base_url, int(change["id"])),
    }


def max_severity(severities: list[str | None]) -> str | None:
    known = [s for s in severities if s in SEVERITY_RANK]
    return max(known, key=SEVERITY_RANK.__getitem__) if known else None


def alert_document(item: "AlertItem", base_url: str | None) -> dict[str, Any]:
    """The document for one outbox row (change, broken, recovered or test)."""
    change = item.change if item.event == "change" else None
    source = None
    if item.source_id:
        source = {"id": item.source_id, "name": item.source_name or item.source_id, "url": item.source_url,
                  "history": history_url(base_url, item.source_id)}
    versions = None
    if change and change.get("to_version") is not None:
        versions = {"from": change.get("from_version"), "to": change.get("to_version"),
                    "fetched_at": item.fetched_at}
    changes = [change_document(c, base_url) for c in item.changes] if change else []
    return {
        "schema_version": SCHEMA_VERSION,
        "event": item.event,
        "idempotency_key": item.key,
        "detected_at": (change or {}).get("detected_at") or item.created_at,
        "severity": max_severity([c["severity"] for c in changes]),
        "source": source,
        "versions": versions,
        "changes": changes,
        "detail": None if change else item.detail,
    }


def build_payload(items: list["AlertItem"], base_url: str | None, title: str, text: str) -> dict[str, Any]:
    """The whole POST body: one alert's document, or a digest wrapping several."""
    docs = [alert_document(i, base_url) for i in items]
    if len(docs) == 1:
        return {**docs[0], "alert_keys": [docs[0]["idempotency_key"]], "title": title, "text": text}
    from monitor.alerts.messages import Message

    keys = tuple(d["idempotency_key"] for d in docs)
    return {
        "schema_version": SCHEMA_VERSION,
        "event": "digest",
        "idempotency_key": Message.digest_key(keys),
        "alert_keys": list(keys),
        "detected_at": max(d["detected_at"] for d in docs),
        "severity": max_severity([d["severity"] for d in docs]),
        "title": title,
        "text": text,
        "alerts": docs,
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are POSTed and signed (compact UTF-8 JSON)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
