"""What a check changed, in the words ``monitor check`` and the daemon log show.

A :class:`~monitor.pipeline.CheckResult` only counts changes ("changes 1"); a user reading the
check table or the daemon log needs to see *which* claim moved without a second command. The
changes are read back from the history DB (the pipeline has just committed them), so check
output, daemon log, alerts and ``monitor diff`` all show the same stored rows and summaries.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from monitor import store
from monitor.render import clean

MARK = {"changed": "~", "removed": "-", "added": "+"}
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def version_changes(db: sqlite_utils.Database, source_id: str, version: int | None) -> list[dict[str, Any]]:
    """Material changes stored for the transition to ``version`` (active, held or repeat), most severe first."""
    if not version:
        return []
    rows = store.material_changes_to(db, source_id, version)
    rows.sort(key=lambda r: (_SEVERITY_ORDER.get(r["severity"], 3), r["id"]))
    return rows


def change_line(row: dict[str, Any]) -> str:
    """``~ [high] dosage (oral): 1–3 mg → 5–10 mg`` (plus ``(held)``/``(repeat)`` when not alerted)."""
    status = row.get("status") or "active"
    tail = "" if status == "active" else f" ({status})"
    return clean(f"{MARK.get(row.get('kind') or '', '?')} [{row.get('severity')}] {row.get('summary') or row.get('key')}"
                 f"{tail}").replace("\n", " ")


def change_json(row: dict[str, Any]) -> dict[str, Any]:
    """The fields ``monitor check --json`` and JSON log lines carry per change."""
    return {k: row.get(k) for k in ("id", "category", "kind", "severity", "key", "summary", "status",
                                    "from_version", "to_version")}
