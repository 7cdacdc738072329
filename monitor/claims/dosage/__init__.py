"""DOSAGE claims: how much, in what units, how often, when, by which route, for how long, the
maximum, the package and the product strength.

Why this shape: a dosing change ("300 mcg" -> "900 mcg", "1 softgel" -> "2 softgels", "twice" ->
"six times a day") is the most dangerous thing a page can change, so each dosing statement
becomes one claim whose ``value`` holds only what the text states, in canonical units, in the
vocabulary of ``benchmarks/blind/CLAIM_MODEL.md`` (also listed in the README's claim model).

The work is split along its seams:

* ``vocabulary.yaml`` / ``vocabulary`` — words for dose forms, routes, timing, IU factors (data);
* ``anchors`` — amounts, IU, volumes, strengths and counts found in a piece of text;
* ``schedule`` — frequencies, intervals, alternate days, timing, course length, cycles;
* ``roles`` — whether an amount is an intake, a maximum, a package content or a strength;
* ``regimen`` — anchors grouped into statements, modifiers assigned, keys built;
* ``values`` — a regimen's fields: counts times per-unit strength, mL -> mg, IU <-> mg (listed factors).

This module walks the text units: it skips headings, bibliography and questions ("Can I take
2 mg?" states no dose), reads a table row line by line (a label line without a number prefixes
the next line), and folds label/value rows that carry only a frequency, course or route
("Frequency | twice daily", "Route | subcutaneous") into the dose row of the same table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from monitor.claims import register
from monitor.claims.dosage.anchors import unglue
from monitor.claims.dosage.regimen import composition_header, read, route_row
from monitor.claims.dosage.vocabulary import COUNT_WORDS, fix_typos
from monitor.claims.units import MASS_TO_MG, VOLUME_TO_ML
from monitor.claims.lexicon import is_reference, make_claim
from monitor.models import Claim, TextUnit

__all__ = ["extract", "dosage_values", "unknown_subject"]

# Cheap pre-filter: a digit or percent sign, or one of these words (number words are checked by
# the words they count: "one tablet", "twice daily"). A set lookup per word is much faster than
# one big alternation tried at every character.
_DIGIT_RE = re.compile(r"[\d%]")
_WORD_RE = re.compile(r"[a-zµμ]+")
_TRIGGERS = frozenset(
    "once twice thrice times every daily weekly alternate route nasal nostril nostrils mcg iu day days week weeks "
    "month months".split()
    + [w.split()[-1] for w in COUNT_WORDS]
    + [w for w in (*MASS_TO_MG, *VOLUME_TO_ML) if w.isalpha()]
)


def _candidate(text: str) -> bool:
    return bool(_DIGIT_RE.search(text)) or not _TRIGGERS.isdisjoint(_WORD_RE.findall(text.lower()))


_NAMED_RE = re.compile(
    r"\b([A-Z][A-Za-z]{2,}(?:-[A-Z0-9][A-Za-z0-9]*)?)\s+(?:is|contains|dosage|dosing|doses?|should|nasal|spray|drops|injections?)\b"
)
_NOT_NAMES = frozenset(
    "the this that these those each every it its our your their one recommended typical usual standard "
    "maximum minimum daily total suggested adult adults children which what when where how there a an "
    "any some most no this initial starting average".split()
)
_DOSE_LABEL_RE = re.compile(r"\b(?:serving\s+size|dos(?:e|age|ing)|directions|suggested\s+use|take|frequency|cycle\s+length)\b", re.IGNORECASE)
_SCHEDULE_KINDS = ("frequency", "duration", "cycle")
_ROWS = ("table_row", "list_item")


@register("dosage")
def extract(units: list[TextUnit]) -> list[Claim]:
    """One claim per dosing statement in ``units`` (see module docstring)."""
    claims: list[Claim] = []
    row_dose: int | None = None  # index in ``claims`` of the dose stated by the current table block
    last_dose: tuple[int, int] | None = None  # the dose claim the previous unit stated, and where that unit ended
    block = None
    header = ""  # a composition header row of the current table block
    titles: tuple[int, str, list[int]] | None = None  # a title's bare amount, the title, the claims under it
    strength: tuple[Any, ...] | None = None  # the last strength claim, where its unit ended, whether it may carry on
    dose_at: tuple[int, int, int] | None = None  # the last dose claim, and where its unit starts and ends
    for unit in _rejoined(units):
        if is_reference(unit):
            continue
        if unit.kind == "heading":
            # A product title states a strength or a pack size, not an intake; a short line that
            # names a dose ("Serving Size 2 Capsules", "Recommended Dose 200 mcg") is a table row.
            row_dose, block = None, None
            labelled = bool(_DOSE_LABEL_RE.search(unglue(unit.text)))
            title = None
            for key, value in dosage_values(unit.text, False, ""):
                if labelled or key.split(":")[-1] in ("strength", "package"):
                    claims.append(make_claim("dosage", key, unit, value))
                    if key.endswith(":strength"):
                        strength = (len(claims) - 1, unit.end, True)
                    if set(value) == {"min_mg", "max_mg", "strength"}:
                        title = len(claims) - 1
            titles = (title, unit.text, []) if title is not None else None
            continue
        if titles is not None and unit.context != titles[1]:
            _title_content(claims, titles)
            titles = None
        if unit.kind not in _ROWS or block != unit.context:
            row_dose, header = None, ""
        block = unit.context if unit.kind in _ROWS else None
        if unit.kind == "table_row" and composition_header(unit.text):
            header = unit.text  # "Nutrient | Amount per serving": the rows below are a composition
            continue
        context = f"{unit.context} {header}".strip() if header and unit.kind in _ROWS else unit.context
        found = [] if unit.text.rstrip().endswith("?") else dosage_values(unit.text, unit.kind == "table_row", context)
        if unit.kind in _ROWS:
            route = route_row(unit.text) if not found else None
            if route and row_dose is not None:
                _fold(claims, row_dose, {"route": route})
                continue
            if row_dose is not None and found and all(k.split(":")[-1] in _SCHEDULE_KINDS for k, _ in found) \
                    and _LABEL_ROW_RE.match(unit.text):  # "Frequency | twice daily", "Duration: 2-3 weeks"
                for _, value in found:
                    _fold(claims, row_dose, value)
                continue
        if last_dose is not None and 0 <= unit.start - last_dose[1] <= 2 and _FOLLOW_UP_RE.match(unit.text) \
                and all(k.split(":")[-1] in _SCHEDULE_KINDS for k, _ in found):
            extra = _follow_up(unit.text)  # "… 300 mg twice a day. Take it with meals."
            if extra:
                _fold(claims, last_dose[0], extra)
                last_dose = (last_dose[0], unit.end)
                continue
        for key, value in found:
            if strength is not None and strength[1] >= unit.start - 2 and key.split(":")[-1] in ("dose", "day", "week") \
                    and (strength[2] or "count_unit" in claims[strength[0]].value):
                value = _unit_strength(claims, strength[0], value)
            if titles is not None and key.split(":")[-1] in ("dose", "day", "week", "limit", "strength", "package"):
                titles[2].append(len(claims))
            claim = make_claim("dosage", key, unit, value)
            if claim.subject is None:
                claim = replace(claim, subject=unknown_subject(unit.text) or unknown_subject(unit.context))
            claims.append(claim)
            if key.split(":")[-1] == "strength":
                strength = (len(claims) - 1, unit.end, unit.kind != "table_row")  # a panel row's amount is per serving
                if dose_at is not None and "count_unit" in value and (dose_at[1] == unit.start or 0 <= unit.start - dose_at[2] <= 2):
                    dose = claims[dose_at[0]]  # "Take 2 capsules. Each capsule contains 500 mg."
                    claims[dose_at[0]] = replace(dose, value=_unit_strength(claims, strength[0], dose.value))
            elif key.split(":")[-1] in ("dose", "day", "week"):
                dose_at = (len(claims) - 1, unit.start, unit.end)
            if unit.kind in _ROWS and key.split(":")[-1] in ("dose", "day", "week"):
                row_dose = len(claims) - 1
        doses = [i for i in range(len(claims) - len(found), len(claims)) if claims[i].key.split(":")[-1] in ("dose", "day", "week")]
        if strength is not None and not found and unit.kind == "sentence" and strength[1] >= unit.start - 2 and strength[3:] == ():
            strength = (strength[0], unit.end, strength[2], True)  # one aside between ("Lab-grade purity.") keeps it
        if strength is not None and strength[1] < unit.start - 2:
            strength = None
        if found or unit.kind != "heading":
            last_dose = (doses[-1], unit.end) if found and doses else None
    if titles is not None:
        _title_content(claims, titles)
    return claims


_SOLID_UNITS = frozenset("tablet capsule softgel caplet gummy lozenge chewable pastille".split())


def _unit_strength(claims: list[Claim], index: int, value: dict[str, Any]) -> dict[str, Any]:
    """"Melatonin 3mg. Take one tablet at bedtime": a single product strength just stated, followed by
    a count of tablets (capsules, gummies …) with no amount of its own, is what each counted unit
    holds: the dose is count × strength, and the strength is the strength of that unit."""
    base = claims[index].value
    unit = value.get("count_unit")
    if unit not in _SOLID_UNITS or "count_min" not in value or any(k.endswith(("_mg", "_iu", "_ml")) for k in value):
        return value
    if set(base) - {"min_mg", "max_mg", "unit_mg", "count_unit", "strength"} or base.get("count_unit", unit) != unit:
        return value
    mg = base.get("unit_mg", base.get("min_mg"))
    if mg is None or base.get("min_mg", mg) != base.get("max_mg", mg):
        return value
    claims[index] = replace(claims[index], value=dict(sorted({**base, "count_unit": unit, "unit_mg": mg}.items())))
    out = {**value, "unit_mg": mg, "min_mg": round(value["count_min"] * mg, 6), "max_mg": round(value.get("count_max", value["count_min"]) * mg, 6)}
    return {k: out[k] for k in sorted(out)}


def _title_content(claims: list[Claim], titles: tuple[int, str, list[int]]) -> None:
    """"Ipamorelin 5 mg" above "Dose: 100–300 mcg": a title amount larger than every dose stated
    under it, with no tablets or capsules counted there, is what the vial holds (a package), not
    the strength of one unit taken."""
    index, _, under = titles
    base = claims[index]
    amount = base.value.get("max_mg")
    doses = [claims[i].value for i in under]
    if not doses or amount is None or any("count_unit" in v for v in doses):
        return
    masses = [v.get("max_mg") for v in doses if v.get("max_mg") is not None]
    if not masses or len(masses) != len([v for v in doses if not v.get("limit")]) or max(masses) >= amount:
        return
    value = {"container_mg": amount, "package": True}
    claims[index] = replace(base, key=base.key.rsplit(":", 1)[0] + ":package", value=value)


_OPEN_END_RE = re.compile(r"[^.!?:;|)\]]\s*$")
_CONTINUES_RE = re.compile(r"^\s*(?:[a-z(]|\d+[\s-]*(?:hours?|h|days?|weeks?|times|x)\b)")
_LABEL_ROW_RE = re.compile(r"^\s*[^:|\n]{1,30}\s*[:|]|^\s*\S+(?:\s+\S+){0,3}\s*$")


def _rejoined(units: list[TextUnit]) -> list[TextUnit]:
    """Put back a sentence that a line break inside it split into two units ("Do not take\nmore
    than 3 tablets", "take one 10 mg\ntablet once a day"): a unit with no closing punctuation
    directly followed (one or two line breaks apart) by one that starts in lower case."""
    out: list[TextUnit] = []
    for unit in units:
        prev = out[-1] if out else None
        gap = unit.start - prev.end if prev is not None else 0
        if (prev is not None and gap in (1, 2) and prev.kind in ("sentence", "heading", "faq", "list_item", "table_row")
                and unit.kind in ("sentence", "faq", "list_item") and _OPEN_END_RE.search(prev.text) and _CONTINUES_RE.match(unit.text)):
            kind = unit.kind if prev.kind == "heading" else prev.kind
            out[-1] = TextUnit(prev.text + "\n" * gap + unit.text, prev.start, unit.end, kind, prev.context)
        else:
            out.append(unit)
    return out


# A sentence that goes on about the dose just stated ("Take it with meals.", "Capsules should be
# taken with food.", "Stay on it for 8 weeks."): its timing and course belong to that dose.
_FOLLOW_UP_RE = re.compile(
    r"^\W*(?:(?:take|use|have|swallow|apply)\s+(?:it|them|this|these|each\s+dose|the\s+(?:dose|capsules?|tablets?|softgels?))\b"
    r"|(?:best\s+|ideally\s+|preferably\s+)?(?:take|taken|use|used)\s+(?:with|before|after|on|in|at|between)\s+(?:a|an|the|food|meals?|breakfast|"
    r"lunch|dinner|bedtime|night|an?\s+empty|the\s+morning|the\s+evening|water)\b"
    r"|(?:it|they|this|these|(?:the\s+)?(?:capsules?|tablets?|softgels?|doses?|gummies|sprays?|drops?))\s+(?:should|must|can|may|are\s+best|is\s+best)\s+"
    r"(?:be\s+)?(?:taken|used|swallowed)\b|(?:stay|remain)\s+on\s+(?:it|them|this)\b|continue\s+(?:it|them|this)\b"
    r"|(?:dissolve|mix|stir|disperse)\s+(?:it\s+|them\s+|the\s+(?:powder|contents|sachet|granules)\s+)?(?:in|into)\b)",
    re.IGNORECASE,
)


def _follow_up(text: str) -> dict[str, Any]:
    from monitor.claims.dosage import schedule

    extra: dict[str, Any] = {}
    for m in [f for f in schedule.frequencies(text) if f.extra.get("period")][:1]:
        extra.update(m.fields)  # "Dissolve in a glass of water once daily."
    for m in schedule.timings(text):
        extra["timing"] = schedule.merge_timing(extra.get("timing", []), m.fields["timing"])
    for m in schedule.durations(text, True)[:1]:
        extra.update(m.fields)
    return extra


def _fold(claims: list[Claim], index: int, extra: dict[str, Any]) -> None:
    """Add a neighbouring row's (or follow-up sentence's) schedule or route to a dose claim."""
    base = claims[index]
    value = dict(base.value)
    for k, v in extra.items():
        if k == "timing" and "timing" in value:
            from monitor.claims.dosage.schedule import merge_timing

            value[k] = merge_timing(value[k], v)
        value.setdefault(k, v)
    key = base.key
    if "route" in extra and key.split(":")[1] == "unspecified":
        key = f"dosage:{value['route']}:{key.split(':')[-1]}"
    claims[index] = replace(base, key=key, value={k: value[k] for k in sorted(value)})


def unknown_subject(text: str) -> str | None:
    """A substance not in the lexicon, named as "<Name> is/contains/dosage …" ("Dihexa-2 is …")."""
    for m in _NAMED_RE.finditer(text or ""):
        if m.group(1).lower() not in _NOT_NAMES:
            return m.group(1)
    return None


def _lines(text: str) -> list[str]:
    """Lines of a table row, with a sentence wrapped over several lines put back together."""
    lines: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        prev = lines[-1] if lines else ""
        if prev and not re.search(r"[.!?:|]\s*$", prev) and (re.match(r"\s*[a-z(]", line) or len(prev.split()) > 6):
            lines[-1] = prev + " " + line
        else:
            lines.append(line)
    return lines


def dosage_values(text: str, is_table_row: bool = False, context: str = "") -> list[tuple[str, dict[str, Any]]]:
    """``(key, value)`` for every dosing statement in one unit's text (misspelt unit and frequency
    words read as meant: "one sofgel twise a day")."""
    text = fix_typos(text)
    if not _candidate(text):
        return []  # cheap pre-filter: no number with a unit and no frequency word
    out: list[tuple[str, dict[str, Any]]] = []
    label = ""
    for line in _lines(text) if is_table_row and "\n" in text.strip() else [text]:
        if not line.strip():
            continue
        if is_table_row and composition_header(line):
            context = f"{context} {line}".strip()  # "Amount Per Serving" above the ingredient lines
            continue
        if not re.search(r"\d", line) and not _candidate(line):
            label = (label + " " + line).strip()  # "Serving Size" above "2 Softgels"
            continue
        out.extend(read(f"{label} {line}".strip() if label else line, context, is_table_row))
        label = ""
    return out
