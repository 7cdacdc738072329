"""A version's claims as a set of atomic facts: what the diff compares.

Why: a claim is one sentence's worth of statements, but presentation moves statements between
sentences. Split "300 mcg intranasally twice daily" into two sentences and the frequency moves
to another claim; compare claims and a dose "changes" while a frequency is "added". Compare
*facts* instead — each keyed by (category, subject, route / authority / effect, aspect) and
holding a canonical value — and splitting, joining, reordering, re-wrapping and rewording that
keep the fact set give no change by construction.

Normalisation (pure, per version):

* **Subject.** The most frequent substance named in a version is its main subject; facts about
  it (or about no named substance) carry no subject in their key. Only facts about another named
  substance are keyed by it, so a sentence that stops repeating the product's name is silent.
* **Route.** When every dosage fact of a subject with a stated route has the same route, its
  dosage facts with no route are read as that route ("Take 300 mcg intranasally. Do this
  twice daily." states an intranasal frequency).
* **Aspects.** Each claim value is split along the category schema (``monitor.claims.schema``):
  an amount, a count, a frequency … each becomes its own fact.

A key may hold several values on one page ("300 mcg for memory, 600 mcg after a stroke"); the
diff compares the sets.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from monitor.claims import schema
from monitor.claims.schema import Aspect
from monitor.models import Claim

_GENERIC = Aspect("value", "", (), lambda v: ", ".join(f"{k}: {x}" for k, x in sorted(v.items())), severity="medium")
_EFFECT = Aspect("effect", "", ("stated",), lambda v: f"{str(v.get('effect', '?')).replace('_', ' ')}: "
                 f"{v.get('stated', 'present')}", severity="medium")
_SAFETY_DATA = Aspect("data", "data", ("data",), lambda v: f"safety data {v.get('data')}"
                      + (f" ({str(v['term']).replace('_', '-')})" if v.get("term") else ""), severity="medium")


@dataclass(frozen=True)
class Fact:
    """One atomic statement of one version, with the claim that stated it."""

    category: str
    key: str  # stable identity, e.g. dosage:oral:count:capsule:day
    family: str  # the key with its route replaced by "*": a route change pairs within a family
    aspect: Aspect
    value: dict[str, Any]  # the aspect's own fields (what is compared)
    shown: dict[str, Any]  # value plus identifying context, for display and storage
    claim: Claim
    scope: str  # route / authority / effect name, for the summary head

    @property
    def ident(self) -> str:
        return canonical_value(self.value)


def canonical_value(value: dict[str, Any]) -> str:
    """A string identity for a value: numbers rounded to 6 significant digits, lists as sets."""

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


def changed_fields(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    """Fields whose values differ (numbers within a relative 1e-6, lists as sets)."""
    out = set()
    for key in set(a) | set(b):
        x, y = a.get(key), b.get(key)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
                and not isinstance(y, bool):
            if not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-9):
                out.add(key)
        elif isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            if canonical_value({"v": x}) != canonical_value({"v": y}):
                out.add(key)
        elif x != y:
            out.add(key)
    return out


def upgrade_value(category: str, value: dict[str, Any]) -> dict[str, Any]:
    """Older extractor field names read in today's vocabulary (drops_min → count_min …)."""
    if category != "dosage":
        return value
    v = schema.upgrade_dosage(value)
    for lo, hi, unit in schema.LEGACY_COUNTS:
        if lo in v or hi in v:
            v["count_min"], v["count_max"] = v.pop(lo, v.get(hi)), v.pop(hi, None)
            if v["count_max"] is None:
                v["count_max"] = v["count_min"]
            v.setdefault("count_unit", unit)
    return v


def _subject_of(claim: Claim, main: str | None) -> str:
    subject = (claim.subject or "").strip().lower()
    return "" if not subject or subject == main else subject


def main_subject(claims: Iterable[Claim]) -> str | None:
    counts = Counter((c.subject or "").strip().lower() for c in claims if c.subject)
    return counts.most_common(1)[0][0] if counts else None


def _route(claim: Claim) -> str:
    route = claim.value.get("route")
    if route:
        return str(route)
    parts = claim.key.split(":")
    return parts[1] if len(parts) > 2 and claim.category == "dosage" else "unspecified"


def _dosage_aspects(claim: Claim, value: dict[str, Any]) -> tuple[Aspect, ...]:
    if value.get("limit"):
        return (schema.DOSAGE_LIMIT,)
    if value.get("strength"):
        return (schema.DOSAGE_STRENGTH,)
    if value.get("package") or claim.key.endswith(":package"):
        return (schema.DOSAGE_PACKAGE, *[a for a in schema.DOSAGE_INTAKE if a.name == "concentration"])
    return schema.DOSAGE_INTAKE


def _dosage_facts(claim: Claim, subject: str, route: str) -> list[Fact]:
    value = upgrade_value("dosage", claim.value)
    facts = []
    phase = value.get("phase")
    suffix = (f":{phase}" if phase else "") + (f"@{subject}" if subject else "")
    for aspect in _dosage_aspects(claim, value):
        own = {f: value[f] for f in aspect.fields if f in value}
        if not own or (aspect.name == "package" and set(own) == {"count_unit"}):
            continue
        ids = [str(value.get(k) or ("dose" if k == "per" else "any")) for k in aspect.key_fields]
        tail = ":".join([aspect.name, *ids]) + suffix
        shown = {**{k: value[k] for k in aspect.key_fields if k in value}, **own}
        facts.append(Fact("dosage", f"dosage:{route}:{tail}", f"dosage:*:{tail}", aspect, own,
                          {**shown, "route": route} if route != "unspecified" else shown, claim, route))
    if not facts and route != "unspecified":  # "administered as a nasal spray": a route alone
        aspect = schema.DOSAGE_ROUTE
        facts.append(Fact("dosage", f"dosage:{route}:route{suffix}", f"dosage:*:route{suffix}", aspect,
                          {"route": route}, {"route": route}, claim, route))
    return facts


def _legality_facts(claim: Claim, subject: str) -> list[Fact]:
    v = claim.value
    authority = str(v.get("authority") or "unspecified")
    suffix = f"@{subject}" if subject else ""
    facts = []
    for aspect in schema.LEGALITY:
        own = {f: v[f] for f in aspect.fields if f in v}
        if not own:
            continue
        key = claim.key + ("" if aspect.name == "status" else f":{aspect.name}") + suffix
        facts.append(Fact("legality", key, key, aspect, own, {"authority": authority, **own}, claim, authority))
    return facts


def _evidence_facts(claim: Claim, subject: str) -> list[Fact]:
    v = claim.value
    suffix = f"@{subject}" if subject else ""
    if "level" in v:
        key = "evidence:level" + suffix
        return [Fact("evidence", key, key, schema.EVIDENCE_LEVEL, {"level": v["level"]}, {"level": v["level"]},
                     claim, "level")]
    kind = str(v.get("kind") or claim.key.split(":")[-1])
    qualifiers = sorted(set(v.get("qualifiers") or []))
    stance = "lacking" if "lacking" in qualifiers else "stated"
    key = f"evidence:{kind}" + suffix
    facts = [Fact("evidence", key, key, schema.EVIDENCE_KIND, {"stance": stance}, {"kind": kind, "stance": stance},
                  claim, kind)]
    rest = [q for q in qualifiers if q != "lacking"]
    if rest:
        qkey = f"evidence:{kind}:qualifiers" + suffix
        facts.append(Fact("evidence", qkey, qkey, schema.EVIDENCE_QUALIFIERS, {"qualifiers": rest},
                          {"kind": kind, "qualifiers": rest}, claim, kind))
    return facts


def _safety_facts(claim: Claim, subject: str) -> list[Fact]:
    v = claim.value
    suffix = f"@{subject}" if subject else ""
    if claim.key.startswith("safety:effect:"):
        name = str(v.get("effect") or claim.key.split(":")[-1])
        key = f"safety:effect:{name}" + suffix
        stated = str(v.get("stated") or "present")
        return [Fact("safety", key, key, _EFFECT, {"stated": stated}, {"effect": name, "stated": stated}, claim,
                     name.replace("_", " "))]
    if claim.key.startswith("safety:data"):
        key = claim.key + (f":{v['term']}" if v.get("term") else "") + suffix
        own = {"data": v.get("data")}
        return [Fact("safety", key, key, _SAFETY_DATA, own, dict(v), claim, "data")]
    if claim.key == "safety:profile":
        facts = []
        for name, x in sorted(v.items()):
            key = f"safety:profile:{name}" + suffix
            aspect = Aspect(name, name.replace("_", " "), (name,), lambda val, n=name: schema.safety_text(n, val),
                            severity="medium")
            facts.append(Fact("safety", key, key, aspect, {name: x}, {name: x}, claim, "profile"))
        return facts
    key = claim.key + suffix
    return [Fact("safety", key, key, _GENERIC, dict(v), dict(v), claim, claim.key.split(":")[-1].replace("_", " "))]


def _own_key(claim: Claim) -> Claim:
    """Keys are namespaced by category, so facts of two categories never share a key."""
    if claim.key.startswith(claim.category + ":"):
        return claim
    return Claim(claim.category, f"{claim.category}:{claim.key}", claim.text, claim.value, claim.start, claim.end,
                 claim.subject)


def facts_of(claims: Iterable[Claim]) -> list[Fact]:
    """Every fact stated by a version's claims (duplicates kept: one per stating claim)."""
    claims = [_own_key(c) for c in claims]
    main = main_subject(claims)
    # Routes stated per subject: a subject with exactly one route lends it to unrouted facts.
    routes: dict[str, set[str]] = {}
    for c in claims:
        if c.category == "dosage":
            routes.setdefault(_subject_of(c, main), set()).add(_route(c))
    facts: list[Fact] = []
    for c in claims:
        subject = _subject_of(c, main)
        if c.category == "dosage":
            route = _route(c)
            known = routes.get(subject, set()) - {"unspecified"}
            if route == "unspecified" and len(known) == 1:
                route = next(iter(known))
            facts.extend(_dosage_facts(c, subject, route))
        elif c.category == "legality":
            facts.extend(_legality_facts(c, subject))
        elif c.category == "evidence":
            facts.extend(_evidence_facts(c, subject))
        elif c.category == "safety":
            facts.extend(_safety_facts(c, subject))
        else:
            key = c.key + (f"@{subject}" if subject else "")
            facts.append(Fact(c.category, key, key, _GENERIC, dict(c.value), dict(c.value), c, c.key))
    return facts


def fact_ids(claims: Iterable[Claim]) -> set[tuple[str, str]]:
    """The identity of a version's fact set: (key, canonical value) pairs."""
    return {(f.key, f.ident) for f in facts_of(claims)}


def dosage_parts(value: dict[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(aspect name, description, fields used) per fact a dosage value states, in schema order."""
    claim = Claim("dosage", "dosage:unspecified:x", "", value)
    return [(f.aspect.name, f.aspect.describe({k: x for k, x in f.shown.items() if k != "route"}),
             {*f.aspect.fields, *f.aspect.key_fields})
            for f in _dosage_facts(claim, "", "unspecified")]


def describe_value(category: str, value: dict[str, Any]) -> str:
    """One line for a whole claim value: ``0.3–0.6 mg · 2–3 drops per nostril · 2–3×/day``."""
    if category == "dosage":
        parts = [text for _, text, _ in dosage_parts(value)]
        return " · ".join(p for p in parts if p) or "dose stated"
    if category == "legality":
        status = schema.legality_status(value)
        return status + (f" ({value['scope']})" if value.get("scope") else "")
    if category == "evidence":
        if "level" in value:
            return schema.EVIDENCE_LEVEL.describe(value)
        quals = ", ".join(value.get("qualifiers") or [])
        return f"{value.get('kind', 'evidence')}" + (f" ({quals})" if quals else "")
    return ", ".join(f"{k.replace('_', ' ')}: {_words(v)}" for k, v in sorted(value.items()))


def _words(v: Any) -> str:
    """A value as words: snake_case names read with spaces, lists joined."""
    if isinstance(v, (list, tuple)):
        return ", ".join(_words(x) for x in v)
    return str(v).replace("_", " ") if isinstance(v, str) else str(v)
