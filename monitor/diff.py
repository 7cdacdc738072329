"""Claim-level diff: align two claim lists, classify each difference, decide materiality.

``diff_claims(old, new)`` is a pure function. Alignment works on *distinct statements*, not on
sentences: a page that repeats "not approved by the FDA" five times states one thing, so
claims are first grouped by ``(key, canonical value)``. Statements present on both sides are
``unchanged`` (or ``reworded`` when no sentence is textually identical) whatever moved,
split or joined. The rest are paired:

1. same key, one orphan each side, or the closest values / texts among several → ``changed``;
2. same category, different key, texts similar enough (rapidfuzz token-set ratio ≥ 80)
   → ``changed`` (e.g. a dose sentence that gained a route);
3. what is left → ``removed`` / ``added``.

A statement that survives on both sides but lost a sentence may still pair with a new
statement (steps 1–2, after orphans): a summary-table cell that went from *Low* to *Moderate*
while a badge elsewhere still says *Low* is a ``changed`` level, not just an ``added`` one.

A pair is material when any normalised field differs: numbers compare with a relative
tolerance of 1e-6 (0.3 mg and 300 mcg are the same dose), lists as sets.

Severity (documented in the README):

- ``high``: a dose amount, drops or frequency changed, appeared or disappeared; a legality
  status flipped or a legality claim appeared/disappeared; the evidence level moved.
- ``medium``: other dosage fields (route, duration, concentration, package), a legality
  scope or authority detail, an evidence kind or qualifier, a safety profile statement.
- ``low``: a named side effect added or removed.

>>> from monitor.models import Claim
>>> a = Claim("dosage", "dosage:unspecified:dose", "300 mcg", {"min_mg": 0.3, "max_mg": 0.3})
>>> b = Claim("dosage", "dosage:unspecified:dose", "0.3 mg", {"min_mg": 0.3, "max_mg": 0.3})
>>> [c.kind for c in diff_claims([a], [b], include_unchanged=True)]
['reworded']
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any, Iterable

from rapidfuzz import fuzz

from monitor.models import Change, Claim

_REL_TOL = 1e-6
_SIMILAR = 80.0
_DOSE_AMOUNT_FIELDS = {"min_mg", "max_mg", "drops_min", "drops_max", "times_per_day_min",
                       "times_per_day_max", "per", "interval_minutes"}


def canonical_value(value: dict[str, Any]) -> str:
    """A string identity for a value: floats rounded to 6 significant digits, lists as sets."""

    def canon(v: Any) -> Any:
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)):
            return float(f"{float(v):.6g}")
        if isinstance(v, (list, tuple, set)):
            return sorted({json.dumps(canon(x), sort_keys=True) for x in v})
        if isinstance(v, dict):
            return {k: canon(x) for k, x in v.items()}
        return v

    return json.dumps(canon(value), sort_keys=True)


def values_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return changed_fields(a, b) == set()


def changed_fields(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    out = set()
    for key in set(a) | set(b):
        x, y = a.get(key), b.get(key)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
                and not isinstance(y, bool):
            if not math.isclose(float(x), float(y), rel_tol=_REL_TOL, abs_tol=1e-9):
                out.add(key)
        elif isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            if canonical_value({"v": x}) != canonical_value({"v": y}):
                out.add(key)
        elif x != y:
            out.add(key)
    return out


def _statements(claims: Iterable[Claim]) -> dict[tuple[str, str], list[Claim]]:
    groups: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for c in claims:
        groups[(c.key, canonical_value(c.value))].append(c)
    return groups


def _distance(a: Claim, b: Claim) -> float:
    """Lower is closer: differing fields first, then text dissimilarity."""
    return len(changed_fields(a.value, b.value)) * 100 + (100 - fuzz.token_set_ratio(a.text, b.text))


def severity(change_kind: str, category: str, old: Claim | None, new: Claim | None) -> str:
    if category == "dosage":
        if old is None or new is None:
            return "high"
        return "high" if changed_fields(old.value, new.value) & _DOSE_AMOUNT_FIELDS else "medium"
    if category == "legality":
        if old is None or new is None:
            return "high"
        return "high" if changed_fields(old.value, new.value) & {"status", "authority"} else "medium"
    if category == "evidence":
        if (old and "level" in old.value) or (new and "level" in new.value):
            return "high"
        return "medium"
    if category == "safety":
        key = (old or new).key if (old or new) else ""
        return "low" if key.startswith("safety:effect") else "medium"
    return "medium"


def diff_claims(old: Iterable[Claim], new: Iterable[Claim], *, include_unchanged: bool = False) -> list[Change]:
    """Changes between two claim lists (material ones, plus unchanged/reworded when asked)."""
    old_groups, new_groups = _statements(old), _statements(new)
    changes: list[Change] = []
    for ident in old_groups.keys() & new_groups.keys():
        if include_unchanged:
            o, n = old_groups[ident], new_groups[ident]
            same_text = {c.text for c in o} & {c.text for c in n}
            kind = "unchanged" if same_text else "reworded"
            a = next((c for c in o if c.text in same_text), o[0])
            b = next((c for c in n if c.text in same_text), n[0])
            changes.append(_make(kind, a, b))
    old_left = [g[0] for ident, g in old_groups.items() if ident not in new_groups]
    new_left = [g[0] for ident, g in new_groups.items() if ident not in old_groups]
    # Copies of a statement that lost (or gained) sentences while the statement survives.
    # Alone they are repetition and never reported; but a new statement that took the place
    # of a lost copy is a change ("Evidence Level | Low" → "Moderate" while a badge still says
    # Low elsewhere), so lost/gained copies may pair with orphans of the other side.
    old_copies = _copies(old_groups, new_groups)
    new_copies = _copies(new_groups, old_groups)

    pairs, old_left, new_left = _pair(old_left, new_left, old_copies, new_copies)
    changes.extend(_make("changed", a, b) for a, b in pairs)
    changes.extend(_make("removed", a, None) for a in old_left)
    changes.extend(_make("added", None, b) for b in new_left)
    order = {"changed": 0, "removed": 1, "added": 2, "reworded": 3, "unchanged": 4}
    changes.sort(key=lambda c: (order[c.kind], c.category, c.key, (c.new or c.old).start if (c.new or c.old) else 0))
    return changes


def _copies(side: dict[tuple[str, str], list[Claim]], other: dict[tuple[str, str], list[Claim]]) -> list[Claim]:
    """Claims of statements on both sides whose sentences are on this side only, up to the
    number of copies this side has in excess."""
    out: list[Claim] = []
    for ident, claims in side.items():
        if ident not in other or len(claims) <= len(other[ident]):
            continue
        other_texts = {c.text for c in other[ident]}
        extra = [c for c in claims if c.text not in other_texts]
        out.extend(extra[: len(claims) - len(other[ident])])
    return out


def _pair(old_left: list[Claim], new_left: list[Claim], old_copies: list[Claim],
          new_copies: list[Claim]) -> tuple[list[tuple[Claim, Claim]], list[Claim], list[Claim]]:
    """Greedy closest-first pairing in tiers: same key before similar text, orphans before copies.

    A pair needs at least one orphan (a copy paired with a copy is only repetition).
    Returns (pairs, unpaired old orphans, unpaired new orphans).
    """
    olds = [(c, False) for c in old_left] + [(c, True) for c in old_copies]
    news = [(c, False) for c in new_left] + [(c, True) for c in new_copies]
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[Claim, Claim]] = []
    for same_key in (True, False):
        for with_copies in (False, True):
            candidates = sorted(
                (_distance(a, b), i, j)
                for i, (a, a_copy) in enumerate(olds) if i not in used_old
                for j, (b, b_copy) in enumerate(news) if j not in used_new
                if not (a_copy and b_copy) and (a_copy or b_copy) == with_copies
                and a.category == b.category and (a.key == b.key) == same_key
                and (same_key or fuzz.token_set_ratio(a.text, b.text) >= _SIMILAR))
            for _, i, j in candidates:
                if i in used_old or j in used_new:
                    continue
                used_old.add(i)
                used_new.add(j)
                pairs.append((olds[i][0], news[j][0]))
    rest_old = [c for i, (c, copy) in enumerate(olds) if i not in used_old and not copy]
    rest_new = [c for j, (c, copy) in enumerate(news) if j not in used_new and not copy]
    return pairs, rest_old, rest_new


def _make(kind: str, old: Claim | None, new: Claim | None) -> Change:
    claim = new or old
    assert claim is not None
    category = claim.category
    return Change(category=category, kind=kind, key=(new.key if new else old.key),  # type: ignore[union-attr]
                  severity=severity(kind, category, old, new) if kind in ("added", "removed", "changed") else "low",
                  summary=summarize(kind, old, new), old=old, new=new)


# ------------------------------------------------------------------ human summaries


def _num(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _range(lo: Any, hi: Any, unit: str) -> str | None:
    if lo is None and hi is None:
        return None
    if lo is None:
        return f"up to {_num(hi)} {unit}"
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi))
    if hi is None or (numeric and math.isclose(float(lo), float(hi))) or lo == hi:
        return f"{_num(lo)} {unit}"
    return f"{_num(lo)}–{_num(hi)} {unit}"


def describe_value(category: str, value: dict[str, Any]) -> str:
    """Readable one-liner for a claim value: ``0.3–0.6 mg per dose · 2–3 drops · 2–3×/day``."""
    if category == "dosage":
        parts = []
        amount = _range(value.get("min_mg"), value.get("max_mg"), "mg")
        if amount:
            parts.append(amount + (f" per {value['per']}" if value.get("per") else ""))
        drops = _range(value.get("drops_min"), value.get("drops_max"), "drops")
        if drops:
            parts.append(drops + (" per nostril" if value.get("per_nostril") else ""))
        times = _range(value.get("times_per_day_min"), value.get("times_per_day_max"), "")
        if times:
            parts.append(times.strip() + "×/day")
        weekly = _range(value.get("times_per_week_min"), value.get("times_per_week_max"), "")
        if weekly:
            parts.append(weekly.strip() + "×/week")
        sprays = _range(value.get("sprays_min"), value.get("sprays_max"), "sprays")
        if sprays:
            parts.append(sprays + (" per nostril" if value.get("per_nostril") else ""))
        if value.get("interval_minutes"):
            parts.append(f"every {_num(value['interval_minutes'])} min")
        days = _range(value.get("duration_days_min", value.get("duration_days")),
                      value.get("duration_days_max", value.get("duration_days")), "days")
        if days:
            parts.append("for " + days)
        for key in ("concentration_percent", "concentration_mg_per_ml", "container_ml",
                    "doses_per_container", "drops_per_container"):
            if key in value:
                label = {"concentration_percent": "{} %",
                         "concentration_mg_per_ml": "{} mg/ml", "container_ml": "{} ml container",
                         "doses_per_container": "{} doses/container",
                         "drops_per_container": "{} drops/container"}[key]
                parts.append(label.format(_num(value[key])))
        return " · ".join(parts) or "dose stated"
    if category == "legality":
        status = str(value.get("status", "?")).replace("_", " ")
        scope = f" ({value['scope']})" if value.get("scope") else ""
        return f"{value.get('authority', '?')}: {status}{scope}"
    if category == "evidence":
        if "level" in value:
            return f"level {value['level']}"
        quals = ", ".join(value.get("qualifiers") or [])
        return f"{value.get('kind', 'evidence')}" + (f" ({quals})" if quals else "")
    if category == "safety":
        return ", ".join(f"{k}: {v if not isinstance(v, list) else ', '.join(map(str, v))}"
                         for k, v in sorted(value.items()))
    return json.dumps(value, sort_keys=True)


def _scope_label(claim: Claim) -> str:
    if claim.category == "dosage":
        return claim.value.get("route") or "unspecified route"
    if claim.category == "legality":
        return str(claim.value.get("authority") or "?")
    if claim.category == "evidence":
        return "level" if "level" in claim.value else str(claim.value.get("kind") or "evidence")
    return claim.key.split(":")[-1].replace("_", " ")


def summarize(kind: str, old: Claim | None, new: Claim | None) -> str:
    """``dosage (intranasal): 0.3–0.6 mg per dose → 0.2–0.9 mg per dose``."""
    claim = new or old
    assert claim is not None
    head = f"{claim.category} ({_scope_label(claim)})"
    if kind == "added":
        return f"{head}: now says {describe_value(claim.category, new.value)}"  # type: ignore[union-attr]
    if kind == "removed":
        return f"{head}: no longer says {describe_value(claim.category, old.value)}"  # type: ignore[union-attr]
    before = describe_value(claim.category, old.value)  # type: ignore[union-attr]
    after = describe_value(claim.category, new.value)  # type: ignore[union-attr]
    if kind in ("unchanged", "reworded"):
        return f"{head}: {after} ({kind})"
    return f"{head}: {before} → {after}"
