"""Claim-level diff over atomic facts: what a page states, not how it is written.

``diff_claims(old, new)`` is a pure function. Both versions' claims are normalised into fact
sets (``monitor.facts``: one fact per category, subject, route / authority / effect and
aspect, with a canonical value). Then, per fact key:

* a value present on both sides is ``unchanged`` (``reworded`` when no stating sentence is
  textually identical) — whatever moved, split, joined or was reworded;
* values lost and gained under one key pair up as ``changed`` (closest stating texts first);
* what is left is ``removed`` / ``added``, except that a lost and a gained dosage fact that
  differ only in their route pair up as a ``changed`` route.

Materiality and severity come from the category schema (``monitor.claims.schema``): a change
the schema marks as wording-level (evidence qualifiers, legal scope text, a safety profile
value that stays in its class, e.g. side effects "mild" → "minimal") is reported as ``minor``:
shown with ``include_unchanged``, never material, never alerted.

Each change carries ``statement``: the sentence that states it (new side, else old side), so
that the facts of one added sentence are grouped into one alert.

>>> from monitor.models import Claim
>>> a = Claim("dosage", "dosage:unspecified:dose", "300 mcg", {"min_mg": 0.3, "max_mg": 0.3})
>>> b = Claim("dosage", "dosage:unspecified:dose", "0.3 mg", {"min_mg": 0.3, "max_mg": 0.3})
>>> [c.kind for c in diff_claims([a], [b], include_unchanged=True)]
['reworded']
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import Callable, Iterable

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from monitor.claims import schema
from monitor.facts import Fact, canonical_value, changed_fields, describe_value, facts_of
from monitor.models import SEVERITY_RANK, Change, Claim

__all__ = ["diff_claims", "canonical_value", "changed_fields", "describe_value", "severity_of"]

_ORDER = {"changed": 0, "removed": 1, "added": 2, "minor": 3, "reworded": 4, "unchanged": 5}


def _by_key(facts: list[Fact]) -> dict[str, dict[str, list[Fact]]]:
    out: dict[str, dict[str, list[Fact]]] = defaultdict(dict)
    for f in facts:
        out[f.key].setdefault(f.ident, []).append(f)
    return out


def _closeness(a: Fact, b: Fact) -> float:
    """Higher is closer: fewer differing fields, then more similar stating sentences."""
    return -100 * len(changed_fields(a.value, b.value)) + fuzz.token_set_ratio(a.claim.text, b.claim.text)


def _pair(olds: list[Fact], news: list[Fact]) -> tuple[list[tuple[Fact, Fact]], list[Fact], list[Fact]]:
    """Greedy closest-first pairing; returns (pairs, unpaired old, unpaired new)."""
    ranked = sorted(((-_closeness(a, b), i, j) for i, a in enumerate(olds) for j, b in enumerate(news)))
    used_o: set[int] = set()
    used_n: set[int] = set()
    pairs = []
    for _, i, j in ranked:
        if i not in used_o and j not in used_n:
            used_o.add(i)
            used_n.add(j)
            pairs.append((olds[i], news[j]))
    return (pairs, [f for i, f in enumerate(olds) if i not in used_o],
            [f for j, f in enumerate(news) if j not in used_n])


def _restated(fact: Fact, other_side: list[Fact]) -> bool:
    """The other side states the same dosage value under a more or less precise route (the
    unrouted "once daily" merged into "inject once daily intravenously"): not a removal."""
    return fact.category == "dosage" and any(
        f.family == fact.family and f.ident == fact.ident and f.scope != fact.scope and _refines(f.scope, fact.scope)
        for f in other_side)


def _lost_copies(keep: dict[str, list[Fact]], lose: dict[str, list[Fact]]) -> list[Fact]:
    """Stating sentences of values on both sides that ``keep`` lost (up to its excess of copies)."""
    out = []
    for ident, facts in lose.items():
        if ident in keep and len(facts) > len(keep[ident]):
            texts = {f.claim.text for f in keep[ident]}
            out.extend([f for f in facts if f.claim.text not in texts][: len(facts) - len(keep[ident])])
    return out


def diff_claims(old: Iterable[Claim], new: Iterable[Claim], *, include_unchanged: bool = False) -> list[Change]:
    """Changes between two claim lists (material ones, plus minor/unchanged/reworded when asked)."""
    old_keys, new_keys = _by_key(facts_of(old)), _by_key(facts_of(new))
    changes: list[Change] = []
    lost: list[Fact] = []
    gained: list[Fact] = []
    for key in sorted(old_keys.keys() | new_keys.keys()):
        o, n = old_keys.get(key, {}), new_keys.get(key, {})
        if o.keys() != n.keys() and _same_when_merged(o, n):  # "in the evening" + "with a meal" = "in the evening, with a meal"
            if include_unchanged:
                a, b = next(iter(o.values()))[0], next(iter(n.values()))[0]
                changes.append(_change("reworded", a, b))
            continue
        if include_unchanged:
            for ident in o.keys() & n.keys():
                same = {f.claim.text for f in o[ident]} & {f.claim.text for f in n[ident]}
                a = next((f for f in o[ident] if f.claim.text in same), o[ident][0])
                b = next((f for f in n[ident] if f.claim.text in same), n[ident][0])
                changes.append(_change("unchanged" if same else "reworded", a, b))
        pairs, rest_o, rest_n = _pair([o[i][0] for i in o.keys() - n.keys()],
                                      [n[i][0] for i in n.keys() - o.keys()])
        # A value that survives but lost a sentence may have been replaced there: an
        # "Evidence Level | Low" cell becoming "Moderate" while a badge still says Low.
        if rest_n and not rest_o:
            more, rest_n, _ = _pair(rest_n, _lost_copies(n, o))
            pairs += [(b, a) for a, b in more]
        elif rest_o and not rest_n:
            pairs_more, rest_o, _ = _pair(rest_o, _lost_copies(o, n))
            pairs += pairs_more
        changes.extend(_change("changed", a, b) for a, b in pairs)
        lost.extend(rest_o)
        gained.extend(rest_n)
    lost, gained, restated = _pair_as_minor(lost, gained, _phase_restated)
    changes.extend(restated)
    lost, gained, reread = _pair_as_minor(lost, gained, _role_reread)
    changes.extend(reread)
    # A dosage fact whose route changed: same family (key without route), other key.
    families: dict[str, tuple[list[Fact], list[Fact]]] = defaultdict(lambda: ([], []))
    for f in lost:
        families[f.family][0].append(f)
    for f in gained:
        families[f.family][1].append(f)
    new_facts = [f for values in new_keys.values() for fs in values.values() for f in fs]
    old_facts = [f for values in old_keys.values() for fs in values.values() for f in fs]
    for family, (lo, ga) in families.items():
        if family.startswith("dosage:*:") and lo and ga:
            pairs, lo, ga = _pair(lo, ga)
            changes.extend(_change("changed", a, b) for a, b in pairs)
        changes.extend(_change("removed", a, None, minor=_restated(a, new_facts)) for a in lo)
        changes.extend(_change("added", None, b, minor=_restated(b, old_facts)) for b in ga)
    old_s, new_s = _sentences(old_keys), _sentences(new_keys)
    changes.extend(_substitutions(old_s, new_s, changes))
    changes = _spelling_fixes(old_s, new_s, changes)
    if not include_unchanged:
        changes = [c for c in changes if c.material]
    changes.sort(key=lambda c: (_ORDER[c.kind], c.category, c.key, (c.new or c.old).start if (c.new or c.old) else 0))
    return changes


def _same_when_merged(o: dict[str, list[Fact]], n: dict[str, list[Fact]]) -> bool:
    """Whether one fact key states the same thing on both sides once its values are merged.

    Why: "Best taken in the evening" and "Take with a meal" as two list items, and "take it in the
    evening, with a meal" as one sentence, state one set of timing words; "up to three times a
    day" and "leave at least 4 hours between doses" as two sentences state the frequency that one
    joined sentence states. Per sentence the values differ; merged (list fields unioned, other
    fields equal wherever both state them) they do not. Values that disagree never merge.
    """
    def merged(side: dict[str, list[Fact]]) -> str | None:
        out: dict[str, object] = {}
        for facts in side.values():
            for field, v in facts[0].value.items():
                if isinstance(v, list):
                    out[field] = sorted(set(out.get(field, [])) | set(v))  # type: ignore[arg-type]
                elif field in out and canonical_value({field: out[field]}) != canonical_value({field: v}):
                    return None
                else:
                    out[field] = v
        return canonical_value(out) if out else None

    a, b = merged(o), merged(n)
    return a is not None and a == b


# Dosage facts whose number can be read in more than one role: a dose, a unit count, a volume, a
# product strength, a package size. A limit, a frequency, a course or a timing is never a re-reading.
_ROLE_ASPECTS = frozenset({"amount", "count", "volume", "strength", "package", "unit_strength", "concentration", "iu"})


def _numbers(f: Fact) -> tuple[float, ...]:
    return tuple(sorted({float(f"{float(v):.6g}") for v in f.value.values()
                         if isinstance(v, (int, float)) and not isinstance(v, bool)}))


def _pair_as_minor(lost: list[Fact], gained: list[Fact], same: Callable[[Fact, Fact], bool]
                   ) -> tuple[list[Fact], list[Fact], list[Change]]:
    """Pair each lost fact with the first gained one ``same`` accepts, as a minor change."""
    out: list[Change] = []
    rest_g = list(gained)
    rest_l: list[Fact] = []
    for a in lost:
        match = next((b for b in rest_g if same(a, b)), None)
        if match is None:
            rest_l.append(a)
            continue
        rest_g.remove(match)
        out.append(_change("changed", a, match, minor=True))
    return rest_l, rest_g, out


def _role_reread(a: Fact, b: Fact) -> bool:
    """The same dosage number read in another role (dose ↔ strength ↔ package) is minor.

    Why: "Week one on 500 mcg: ..." and "Week one on 500 mcg. No nausea ..." state one number;
    whether the extractor files it as a dose or a product strength depends on the wording around
    it, not on what the page says. A lost and a gained fact pair when they are dosage facts of two
    of these roles, in the same route (or one unstated), with exactly the same numbers.
    """
    return (a.category == b.category == "dosage" and a.aspect.name in _ROLE_ASPECTS and b.aspect.name in _ROLE_ASPECTS
            and a.aspect.name != b.aspect.name and bool(_numbers(a)) and _numbers(a) == _numbers(b)
            and (a.scope == b.scope or "unspecified" in (a.scope, b.scope)))


_PHASE_RE = re.compile(r":(?:start|increase)$")


def _phase_restated(a: Fact, b: Fact) -> bool:
    """A dose restated with or without its titration step named is the same dose (minor).

    Why: whether a page's wording lets the step be read ("Weeks 1–4 | 0.25 mg" as a card, "for the
    first four weeks you inject 0.25 mg" as a sentence) is presentation; the step is part of the
    fact's key, so the same value would otherwise come out removed under one key and added
    under the other. Only the same value, under keys equal but for the step, pairs.
    """
    return (b.category == a.category and b.ident == a.ident and b.key != a.key
            and _PHASE_RE.sub("", b.key) == _PHASE_RE.sub("", a.key)
            and (_PHASE_RE.search(a.key) is None) != (_PHASE_RE.search(b.key) is None))


def _sentences(keys: dict[str, dict[str, list[Fact]]]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = defaultdict(list)
    for values in keys.values():
        for facts in values.values():
            for f in facts:
                out[" ".join(f.claim.text.split())].append(f)
    return out


def _substitutions(old_s: dict[str, list[Fact]], new_s: dict[str, list[Fact]], found: list[Change]) -> list[Change]:
    """Facts swapped inside one minimally edited sentence ("Animal studies report X" → "Human
    trials report X") while both facts are still stated elsewhere on the page.

    The fact sets alone cannot see this; a sentence whose text barely changed (character
    ratio ≥ 85) but which now states a different fact of the same category can. Re-wrapping
    (whitespace only) and splits (a fragment is far from the whole) never qualify, and a
    sentence that only lost or only gained facts is presentation, not substitution.
    """
    reported = {c.key for c in found}
    only_old = {t: fs for t, fs in old_s.items() if t not in new_s}
    only_new = {t: fs for t, fs in new_s.items() if t not in old_s}
    out: list[Change] = []
    for ot, ofs in only_old.items():
        best = max(only_new, key=lambda nt: fuzz.ratio(ot, nt), default=None)
        if best is None or fuzz.ratio(ot, best) < 85:
            continue
        nfs = only_new.pop(best)
        o_ids = {(f.key, f.ident) for f in ofs}
        n_ids = {(f.key, f.ident) for f in nfs}
        for category in {f.category for f in ofs} & {f.category for f in nfs}:
            lost = [f for f in ofs if f.category == category and (f.key, f.ident) not in n_ids
                    and f.key not in reported and f.aspect.alerted]
            gained = [f for f in nfs if f.category == category and (f.key, f.ident) not in o_ids
                      and f.key not in reported and f.aspect.alerted]
            # Only a fact of the same kind can take another's place (a study kind for a study
            # kind, a frequency for a frequency): a volume is never "changed" into a frequency.
            pairs = [p for aspect in {f.aspect.name for f in lost}
                     for p in _pair([f for f in lost if f.aspect.name == aspect],
                                    [f for f in gained if f.aspect.name == aspect])[0]]
            for a, b in pairs:
                reported |= {a.key, b.key}
                change = _change("changed", a, b)
                out.append(replace(change, severity=max(change.severity, "medium", key=SEVERITY_RANK.get)))
    return out


# --- spelling fixes -----------------------------------------------------------------------------
# A sentence edited only by fixing typos ("sofgel" → "softgel", "twise" → "twice", "tb500" →
# "TB-500") says what it said: the reader understood "twise a week" the first time. Facts that
# appear or vanish only because the extractor could not read the misspelling are recorded as
# minor. Numbers, number words and negating prefixes ("approved" → "unapproved") are never a typo.
_TOKEN_RE = re.compile(r"[^\W_]+(?:[-.'’][^\W_]+)*")
# Words that state a quantity: two of them never stand for each other ("none" → "nine", "once" → "twice").
_QUANTITY_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
                            "hundred thousand once twice thrice half quarter double triple single none".split())
_NEGATING_PREFIXES = ("un", "non", "in", "im", "il", "ir", "dis", "anti", "de")


def _norm(token: str) -> str:
    return re.sub(r"[-.'’]", "", token.lower())


def _typo(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with a spelling fixed (or made): one or two edits, no number, no negation."""
    if a == b:
        return True
    if any(ch.isdigit() for ch in a + b):
        return re.sub(r"\D", "", a) == re.sub(r"\D", "", b) and a.strip("0123456789") != "" \
            and Levenshtein.distance(a, b) <= 1  # "tb500" ~ "tb-500" (hyphens are dropped before)
    if (a in _QUANTITY_WORDS and b in _QUANTITY_WORDS) or min(len(a), len(b)) < 4:
        return False  # two quantity words differ in meaning ("twise" → "twice" is a fix, "none" → "nine" is not)
    short, long_ = sorted((a, b), key=len)
    if any(long_ == p + short or long_ == p + "-" + short for p in _NEGATING_PREFIXES):
        return False
    return Levenshtein.distance(a, b) <= (1 if len(short) < 6 else 2)


def _words(text: str) -> list[str]:
    return [_norm(t) for t in _TOKEN_RE.findall(text)]


def _same_words(a: list[str], b: list[str]) -> bool:
    return a == b or len(a) == len(b) and all(_typo(x, y) for x, y in zip(a, b))


def spelling_only(old_text: str, new_text: str) -> bool:
    """Whether two sentences differ only by case, hyphens, punctuation and fixed typos."""
    return _same_words(_words(old_text), _words(new_text))


def _spelling_fixes(old_s: dict[str, list[Fact]], new_s: dict[str, list[Fact]], changes: list[Change]) -> list[Change]:
    """Material changes whose stating sentences differ only by a spelling fix become minor."""
    only_old = {t: _words(t) for t in old_s if t not in new_s}
    only_new = {t: _words(t) for t in new_s if t not in old_s}
    fixed = {(o, n) for o, ow in only_old.items() for n, nw in only_new.items() if _same_words(ow, nw)}
    if not fixed:
        return changes
    fixed_old, fixed_new = {o for o, _ in fixed}, {n for _, n in fixed}
    out = []
    for c in changes:
        o = " ".join(c.old.text.split()) if c.old else None
        n = " ".join(c.new.text.split()) if c.new else None
        if c.material and (o is None or o in fixed_old) and (n is None or n in fixed_new) \
                and (o is None or n is None or (o, n) in fixed):
            c = replace(c, kind="minor", severity="low")
        out.append(c)
    return out


# Route words that name a family of routes: "injected" covers the three injection routes.
_ROUTE_FAMILIES = {"unspecified": None, "injection": {"subcutaneous", "intramuscular", "intravenous"}}


def _refines(a: str, b: str) -> bool:
    """One route is the other stated more precisely ("injection" → "intramuscular")."""
    for generic, specific in ((a, b), (b, a)):
        if generic in _ROUTE_FAMILIES:
            family = _ROUTE_FAMILIES[generic]
            if family is None or specific in family:
                return True
    return False


def severity_of(kind: str, old: Fact | None, new: Fact | None) -> tuple[str, bool]:
    """(severity, material) of a fact change, from the category schema."""
    fact = new or old
    assert fact is not None
    aspect = fact.aspect
    if kind in ("unchanged", "reworded"):
        return "low", False
    if old is not None and new is not None:
        if old.key != new.key:  # a route change, unless one side only names it more or less precisely
            if _refines(old.scope, new.scope) and not changed_fields(
                    {k: v for k, v in old.value.items() if k != "route"},
                    {k: v for k, v in new.value.items() if k != "route"}):
                return "low", False
            return "high", True
        if fact.category == "safety":
            name = aspect.fields[0] if aspect.fields else ""
            before, after = old.value.get(name), new.value.get(name)
            if name == "stated":
                # Polarity (stated / absent) is the fact; rare ↔ common is a frequency that changed; a
                # frequency merely stated or dropped ("present" ↔ "rare") is wording.
                if (before == "absent") != (after == "absent"):
                    return "medium", True
                return ("low", True) if {before, after} == {"rare", "common"} else ("low", False)
            if schema.profile_class(name, before) == schema.profile_class(name, after):
                return "low", False
    if fact.category == "legality" and aspect.name == "status":
        if old is not None and new is not None and \
                schema.status_class(old.value.get("status")) == schema.status_class(new.value.get("status")):
            return "low", False
        return "high", True
    return aspect.severity, aspect.alerted


def _side(f: Fact | None) -> Claim | None:
    if f is None:
        return None
    c = f.claim
    return Claim(c.category, f.key, c.text, dict(f.shown), c.start, c.end, c.subject)


def _change(kind: str, old: Fact | None, new: Fact | None, *, minor: bool = False) -> Change:
    """One change; ``minor`` forces a wording-level change (recorded, never alerted)."""
    fact = new or old
    assert fact is not None
    sev, material = ("low", False) if minor else severity_of(kind, old, new)
    summary = summarize(kind, old, new)
    if kind in ("changed", "added", "removed") and not material:
        kind = "minor"
    return Change(category=fact.category, kind=kind, key=fact.key, severity=sev,
                  summary=summary, old=_side(old), new=_side(new),
                  statement=fact.claim.text)


def _head(f: Fact) -> str:
    scope = "unspecified route" if f.category == "dosage" and f.scope == "unspecified" else f.scope
    label = f" {f.aspect.label}" if f.aspect.label and f.category == "dosage" else ""
    return f"{f.category} ({scope}){label}"


def summarize(kind: str, old: Fact | None, new: Fact | None) -> str:
    """``dosage (oral) count: 2 capsules per day → 3 capsules per day``."""
    fact = new or old
    assert fact is not None
    head = _head(fact)
    if kind == "added":
        return f"{head}: now says {fact.aspect.describe(new.shown)}"  # type: ignore[union-attr]
    if kind == "removed":
        return f"{head}: no longer says {fact.aspect.describe(old.shown)}"  # type: ignore[union-attr]
    before = old.aspect.describe(old.shown)  # type: ignore[union-attr]
    after = new.aspect.describe(new.shown)  # type: ignore[union-attr]
    if old is not None and new is not None and old.key != new.key and old.scope != new.scope:
        before, after = f"{old.scope}: {before}", f"{new.scope}: {after}"
    if kind in ("unchanged", "reworded"):
        return f"{head}: {after} ({kind})"
    if before == after:  # never show an unchanged-looking pair
        fields = sorted(changed_fields(old.value, new.value)) if old and new else []  # type: ignore[union-attr]
        before = ", ".join(f"{k} {old.value.get(k)}" for k in fields) or before  # type: ignore[union-attr]
        after = ", ".join(f"{k} {new.value.get(k)}" for k in fields) or after  # type: ignore[union-attr]
    return f"{head}: {before} → {after}"
