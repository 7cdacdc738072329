"""Noise rules that decide whether a new version's changes are alerted, held or muted.

Pure functions over the history handed to them (``store.version_history`` reads it; the
pipeline executes the plan), so each rule can be tested without a database.

- **Held removals.** When a new version drops at least ``settings.hold_removals`` of the
  previous version's distinct facts (and at least 3 of them), its changes are stored with
  status ``held`` and not alerted. The next fetch that sees the same text confirms them
  (→ ``active``, alerted). If the next fetch shows yet another text, the held changes are
  ``discarded`` and the new version is compared with the last confirmed version instead.
- **A/B flips.** When a new version's text (or its fact set) equals one of the last
  ``settings.repeat_window`` versions, it is a flip back. The *first* flip back after a new
  state is alerted, with a note naming the version it reverts to. Once the page keeps flipping
  between states already seen, further flips are stored with status ``repeat`` and not alerted.
- **Extractor upgrades.** A baseline whose claims were stored by an older extractor version is
  re-read from its stored main text with today's extractors before the diff, so an upgrade of
  the claim engine never shows up as a page change.

Fact sets (``monitor.facts``), not claim lists, are compared: a re-wrapped or split sentence
removes no fact, so it never counts toward a "large removal".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Iterable

from monitor.claims import EXTRACTOR_VERSION, extract_claims
from monitor.config import Settings
from monitor.facts import fact_ids
from monitor.models import Change, Claim, History


@dataclass(frozen=True)
class VersionPlan:
    baseline: dict[str, Any] | None  # version row to diff against (None: first version)
    status: str  # active | held | repeat
    note: str = ""
    baseline_claims: tuple[Claim, ...] = ()  # the baseline's claims in today's extractor's terms
    discard_held_of: int | None = None  # version number whose held changes are now discarded


def claimset_hash(claims: Iterable[Claim]) -> str:
    return hashlib.sha256(repr(sorted(fact_ids(claims))).encode()).hexdigest()


def current_claims(version: dict[str, Any], stored: Iterable[Claim]) -> tuple[Claim, ...]:
    """A version's claims as today's extractors read its stored main text."""
    if version.get("extractor_version") != EXTRACTOR_VERSION and version.get("text") is not None:
        return tuple(extract_claims(version["text"]))
    return tuple(stored)


def plan_version(history: History, settings: Settings, number: int, text_hash: str,
                 claims: list[Claim]) -> VersionPlan:
    """Decide what to compare the new version with and how its changes are treated."""
    past = [v for v in history.versions if v["number"] < number]
    if not past:
        return VersionPlan(None, "active")
    previous = past[0]
    baseline = previous
    note = ""
    discard = None
    if previous["held"]:
        discard = previous["number"]
        confirmed = [v for v in past[1:] if not v["held"]]
        if not confirmed:
            return VersionPlan(None, "active", discard_held_of=discard)
        baseline = confirmed[0]
        note = f"compared with version {baseline['number']}: version {previous['number']} was never confirmed"

    def claims_of(version: dict[str, Any]) -> tuple[Claim, ...]:
        return current_claims(version, history.claims.get(version["id"], ()))

    baseline_claims = claims_of(baseline)
    new_set = claimset_hash(claims)
    for older in past[1:settings.repeat_window + 1]:
        if older["text_hash"] == text_hash or claimset_hash(claims_of(older)) == new_set:
            prev_seen_before = any(v["text_hash"] == previous["text_hash"] for v in past[1:])
            if previous["number"] in history.repeat_versions or prev_seen_before:
                return VersionPlan(baseline, "repeat",
                                   f"page flips between states already seen (same as version {older['number']}); "
                                   "not alerted again", baseline_claims, discard)
            note = f"reverts to the state of version {older['number']}"
            break

    old_ids = fact_ids(baseline_claims)
    removed = len(old_ids - fact_ids(claims))
    if len(old_ids) >= 3 and removed >= 3 and removed / len(old_ids) >= settings.hold_removals:
        return VersionPlan(baseline, "held",
                           f"{removed} of {len(old_ids)} facts disappeared at once: held until the next fetch "
                           "confirms them", baseline_claims, discard)
    return VersionPlan(baseline, "active", note, baseline_claims, discard)


def annotate(change: Change, note: str) -> Change:
    return replace(change, note=note) if note else change
