"""Noise rules that decide whether a new version's changes are alerted, held or muted.

- **Held removals.** When a new version drops at least ``settings.hold_removals`` of the
  previous version's distinct statements (and at least 3 of them), its changes are stored with
  status ``held`` and not alerted. The next fetch that sees the same text confirms them
  (→ ``active``, alerted). If the next fetch shows yet another text, the held changes are
  ``discarded`` and the new version is compared with the last confirmed version instead.
- **A/B flips.** When a new version's text (or its claim set) equals one of the last
  ``settings.repeat_window`` versions, it is a flip back. The *first* flip back after a new
  state is alerted, with a note naming the version it reverts to. Once the page keeps flipping
  between states already seen, further flips are stored with status ``repeat`` and not alerted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Iterable

import sqlite_utils

from monitor import store
from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.config import Config
from monitor.diff import canonical_value
from monitor.models import Change, Claim


@dataclass(frozen=True)
class VersionPlan:
    baseline: dict[str, Any] | None  # version row to diff against (None: first version)
    status: str  # active | held | repeat
    note: str = ""
    baseline_claims: tuple[Claim, ...] = ()  # the baseline's stored claims, read once here


def claimset_hash(claims: Iterable[Claim]) -> str:
    ids = sorted(_statements(claims))
    return hashlib.sha256(repr(ids).encode()).hexdigest()


def _statements(claims: Iterable[Claim]) -> set[tuple[str, str]]:
    return {(c.key, canonical_value(c.value)) for c in claims}


def claims_now(db: sqlite_utils.Database, version: dict[str, Any]) -> tuple[Claim, ...]:
    """A stored version's claims as today's extractor reads its text.

    Stored claims are used when they were extracted by the current extractor version; otherwise
    the version's stored main text is read again, so that an extractor upgrade (new value
    vocabulary, a field moved to another claim) never shows up as a change of the page.
    """
    if version.get("extractor_version") == EXTRACTOR_VERSION or not version.get("text"):
        return tuple(store.version_claims(db, version["id"]))
    return tuple(extract_claims(version["text"]))


def plan_version(db: sqlite_utils.Database, config: Config, source_id: str, number: int,
                 text_hash: str, claims: list[Claim]) -> VersionPlan:
    """Decide what to compare the new version with and how its changes are treated."""
    history = [v for v in store.recent_versions(db, source_id, config.settings.repeat_window + 2)
               if v["number"] < number]
    if not history:
        return VersionPlan(None, "active")
    previous = history[0]
    baseline = previous
    note = ""
    if previous["held"]:
        db.conn.execute(
            "UPDATE changes SET status = 'discarded', note = 'not confirmed: the next fetch showed other text' "
            "WHERE source_id = ? AND to_version = ? AND status = 'held'", [source_id, previous["number"]])
        db["versions"].update(previous["id"], {"held": 0})
        confirmed = [v for v in history[1:] if not v["held"]]
        if not confirmed:
            return VersionPlan(None, "active")
        baseline = confirmed[0]
        note = f"compared with version {baseline['number']}: version {previous['number']} was never confirmed"

    baseline_claims = claims_now(db, baseline)
    new_set = claimset_hash(claims)
    window = history[1:config.settings.repeat_window + 1]
    for older in window:
        if older["text_hash"] == text_hash or claimset_hash(store.version_claims(db, older["id"])) == new_set:
            prev_was_repeat = db.execute(
                "SELECT COUNT(*) FROM changes WHERE source_id = ? AND to_version = ? AND status = 'repeat'",
                [source_id, previous["number"]]).fetchone()[0] > 0
            prev_seen_before = any(
                v["text_hash"] == previous["text_hash"] for v in history[1:] if v["number"] != previous["number"])
            if prev_was_repeat or prev_seen_before:
                return VersionPlan(baseline, "repeat",
                                   f"page flips between states already seen (same as version {older['number']}); "
                                   "not alerted again", baseline_claims)
            note = f"reverts to the state of version {older['number']}"
            break

    old_ids = _statements(baseline_claims)
    old_count = len(old_ids)
    removed = len(old_ids - _statements(claims))
    if old_count >= 3 and removed >= 3 and removed / old_count >= config.settings.hold_removals:
        return VersionPlan(baseline, "held",
                           f"{removed} of {old_count} statements disappeared at once: held until the next fetch "
                           "confirms them", baseline_claims)
    return VersionPlan(baseline, "active", note, baseline_claims)


def annotate(change: Change, note: str) -> Change:
    return replace(change, note=note) if note else change
