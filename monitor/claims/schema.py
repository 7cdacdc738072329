"""One schema per claim category: which value fields state one *fact*, what each is called,
its unit, how a change to it is rated, and how it reads.

Why: the diff, the summaries, the Datasette chips and the alert messages must agree on what a
field means. Before, each kept its own list, and fields missing from one (mL, per-kg, sprays,
weekly) were silent there. Everything that needs a field's meaning reads it from here.

A claim's value is split into **aspects** (``amount``, ``count``, ``frequency`` …). An aspect
is a group of fields that together state one fact ("0.3–0.6 mg per dose" is ``min_mg``,
``max_mg``, ``per``). Some fields of an aspect belong to its *identity* (``key_fields``: the
``per`` of an amount, the ``count_unit`` of a count): they go into the fact's key, the others
into its value.

Severity is the schema's, per aspect: ``high`` for what changes what a reader takes or may
legally do (amounts, counts, volumes, IU, frequency, route, limits, strength, legal status,
evidence level); ``medium`` for course length, cycles, timing, package, evidence kinds, safety
facts; ``low`` for wording-level detail (evidence qualifiers, legal scope text) which is
recorded but not alerted (``alerted=False``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable


Value = dict[str, Any]


def num(x: Any) -> str:
    """A number as people write it: 6 significant digits, thousands separated, no trailing .0."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    text = f"{float(x):.6g}"
    if "e" in text:
        text = f"{float(x):f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    if len(whole.lstrip("-")) > 4:
        whole = f"{int(whole):,}"
    return whole + ("." + frac if frac else "")


def span(lo: Any, hi: Any, unit: str = "") -> str | None:
    """``0.3–0.6 mg``, ``2 mg``, ``up to 4 mg``; None when neither bound is given."""
    unit = f" {unit}" if unit else ""
    if lo is None and hi is None:
        return None
    if lo is None:
        return f"up to {num(hi)}{unit}"
    if hi is None:
        return f"at least {num(lo)}{unit}"
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi))
    if (numeric and math.isclose(float(lo), float(hi), rel_tol=1e-9)) or lo == hi:
        return f"{num(lo)}{unit}"
    return f"{num(lo)}–{num(hi)}{unit}"


def _plural(word: str, lo: Any, hi: Any) -> str:
    single = all(isinstance(v, (int, float)) and not isinstance(v, bool) and float(v) == 1 for v in (lo, hi)
                 if v is not None)
    return word if single else (word + "es" if word.endswith(("ch", "sh", "s")) else word + "s")


# ------------------------------------------------------------------ dosage descriptions


def _per(v: Value) -> str:
    per = v.get("per")
    return f" per {per}" if per and per != "dose" else ""


def _amount(v: Value) -> str:
    unit = "mg/kg" if v.get("per_kg") else "mg/m²" if v.get("per_m2") else "mg"
    return (span(v.get("min_mg"), v.get("max_mg"), unit) or "amount") + _per(v)


def _iu(v: Value) -> str:
    return (span(v.get("min_iu"), v.get("max_iu"), "IU") or "IU") + _per(v)


def _volume(v: Value) -> str:
    return (span(v.get("min_ml"), v.get("max_ml"), "ml") or "volume") + _per(v)


def _count(v: Value) -> str:
    lo, hi = v.get("count_min"), v.get("count_max")
    unit = _plural(str(v.get("count_unit") or "unit"), lo, hi)
    text = span(lo, hi, unit) or unit
    if v.get("per_nostril"):
        text += " per nostril"
    return text + _per(v)


def _unit_strength(v: Value) -> str:
    return f"{num(v.get('unit_mg'))} mg per {v.get('count_unit') or 'unit'}"


def _concentration(v: Value) -> str:
    parts = []
    if "concentration_percent" in v:
        parts.append(f"{num(v['concentration_percent'])} %")
    if "concentration_mg_per_ml" in v:
        parts.append(f"{num(v['concentration_mg_per_ml'])} mg/ml")
    return " · ".join(parts) or "concentration"


def frequency_text(v: Value) -> str:
    parts = []
    day = span(v.get("times_per_day_min"), v.get("times_per_day_max"))
    if day:
        parts.append(f"{day}×/day")
    week = span(v.get("times_per_week_min"), v.get("times_per_week_max"))
    if week:
        parts.append(f"{week}×/week")
    if v.get("every_days"):
        parts.append("every other day" if float(v["every_days"]) == 2 else f"every {num(v['every_days'])} days")
    minutes = span(v.get("interval_minutes_min", v.get("interval_minutes")),
                   v.get("interval_minutes_max", v.get("interval_minutes")), "min")
    if minutes:
        parts.append(f"every {minutes}")
    lo, hi = v.get("interval_hours_min"), v.get("interval_hours_max")
    if lo is not None and hi is None:
        parts.append(f"at least {num(lo)} h apart")
    elif hi is not None and lo is None:
        parts.append(f"at most {num(hi)} h apart")
    elif lo is not None:
        parts.append(f"every {span(lo, hi, 'h')}")
    return " · ".join(parts) or "frequency"


def _timing(v: Value) -> str:
    items = v.get("timing") or []
    return ", ".join(str(t).replace("_", " ") for t in (items if isinstance(items, list) else [items])) or "timing"


def _duration(v: Value) -> str:
    lo = v.get("duration_days_min", v.get("duration_days"))
    hi = v.get("duration_days_max", v.get("duration_days"))
    return "for " + (span(lo, hi, "days") or "?")


def _cycle(v: Value) -> str:
    return f"{num(v.get('cycle_on_days', '?'))} days on, {num(v.get('cycle_off_days', '?'))} off"


def _route(v: Value) -> str:
    return str(v.get("route") or "unspecified route")


def _package(v: Value) -> str:
    parts = []
    if "container_count" in v:
        unit = _plural(str(v.get("count_unit") or "unit"), v["container_count"], v["container_count"])
        parts.append(f"{num(v['container_count'])} {unit}")
    labels = {"container_ml": "{} ml", "container_mg": "{} mg", "supply_days": "{}-day supply",
              "doses_per_container": "{} doses", "drops_per_container": "{} drops",
              "sprays_per_container": "{} sprays"}
    parts += [label.format(num(v[k])) for k, label in labels.items() if k in v]
    return " · ".join(parts) or "package"


def _limit(v: Value) -> str:
    parts = []
    if v.get("max_mg") is not None:
        parts.append(_amount({"max_mg": v["max_mg"], "per_kg": v.get("per_kg"), "per": v.get("per")}))
    if v.get("max_iu") is not None:
        parts.append(_iu({"max_iu": v["max_iu"], "per": v.get("per")}))
    if v.get("max_ml") is not None:
        parts.append(_volume({"max_ml": v["max_ml"], "per": v.get("per")}))
    if v.get("count_max") is not None:
        parts.append(_count({"count_max": v["count_max"], "count_unit": v.get("count_unit"), "per": v.get("per")}))
    if v.get("times_per_day_max") is not None:
        parts.append(f"{num(v['times_per_day_max'])}×/day")
    if v.get("times_per_week_max") is not None:
        parts.append(f"{num(v['times_per_week_max'])}×/week")
    if v.get("duration_days_max") is not None:
        parts.append(f"{num(v['duration_days_max'])} days of use")
    return ("at most " + " · ".join(p.replace("up to ", "") for p in parts)) if parts else "limit"


def _strength(v: Value) -> str:
    parts = []
    if v.get("unit_mg") is not None:
        parts.append(_unit_strength(v))
    amount = span(v.get("min_mg"), v.get("max_mg"), "mg")
    if amount:
        parts.append(amount)
    iu = span(v.get("min_iu"), v.get("max_iu"), "IU")
    if iu:
        parts.append(iu)
    if "concentration_percent" in v or "concentration_mg_per_ml" in v:
        parts.append(_concentration(v))
    return " · ".join(parts) or "strength"


# ------------------------------------------------------------------ the schema itself


@dataclass(frozen=True)
class Aspect:
    """One fact a claim value can state."""

    name: str
    label: str  # how a summary names it ("" for the headline aspect)
    fields: tuple[str, ...]  # value fields stating it
    describe: Callable[[Value], str]
    severity: str = "high"  # severity of a change, addition or removal
    alerted: bool = True  # False: recorded, shown with --all, never alerted
    key_fields: tuple[str, ...] = ()  # fields that identify the fact rather than state its value
    units: str = ""  # documented unit of the fields


_PER = ("per",)

DOSAGE_INTAKE: tuple[Aspect, ...] = (
    Aspect("amount", "", ("min_mg", "max_mg", "per_kg", "per_m2"), _amount, key_fields=_PER, units="mg"),
    Aspect("iu", "IU", ("min_iu", "max_iu"), _iu, key_fields=_PER, units="IU"),
    Aspect("volume", "volume", ("min_ml", "max_ml"), _volume, key_fields=_PER, units="ml"),
    Aspect("count", "count", ("count_min", "count_max", "per_nostril"), _count,
           key_fields=("count_unit", "per"), units="units"),
    Aspect("unit_strength", "strength per unit", ("unit_mg",), _unit_strength, key_fields=("count_unit",),
           units="mg"),
    Aspect("concentration", "concentration", ("concentration_percent", "concentration_mg_per_ml"),
           _concentration, units="% / mg/ml"),
    Aspect("frequency", "frequency", ("times_per_day_min", "times_per_day_max", "times_per_week_min",
                                      "times_per_week_max", "every_days", "interval_minutes",
                                      "interval_minutes_min", "interval_minutes_max", "interval_hours_min",
                                      "interval_hours_max"), frequency_text, units="times / days / minutes / hours"),
    Aspect("timing", "timing", ("timing",), _timing, severity="medium"),
    Aspect("duration", "course", ("duration_days", "duration_days_min", "duration_days_max"), _duration,
           severity="medium", units="days"),
    Aspect("cycle", "cycle", ("cycle_on_days", "cycle_off_days"), _cycle, severity="medium", units="days"),
)
DOSAGE_PACKAGE = Aspect("package", "package", ("container_count", "container_ml", "container_mg", "supply_days",
                                               "doses_per_container", "drops_per_container",
                                               "sprays_per_container", "count_unit"), _package, severity="medium")
DOSAGE_LIMIT = Aspect("limit", "maximum", ("max_mg", "max_iu", "max_ml", "count_max", "count_unit", "per_kg",
                                           "per_m2", "times_per_day_max", "times_per_week_max", "duration_days_max"),
                      _limit, key_fields=_PER, units="mg / IU / ml / units / times / days")
DOSAGE_STRENGTH = Aspect("strength", "strength", ("unit_mg", "min_mg", "max_mg", "min_iu", "max_iu",
                                                  "concentration_percent", "concentration_mg_per_ml"),
                         _strength, key_fields=("count_unit",), units="mg / IU / % / mg/ml")
DOSAGE_ROUTE = Aspect("route", "route", ("route",), _route)

# Values the dosage extractor wrote before the unified count vocabulary (stored claims of older
# extractor versions): read as counts so that an upgrade never shows a fake change.
LEGACY_COUNTS = (("drops_min", "drops_max", "drop"), ("sprays_min", "sprays_max", "spray"))


def upgrade_dosage(v: Value) -> Value:
    """Older single-valued fields in today's vocabulary: ``duration_days`` -> ``duration_days_min/max``,
    ``interval_minutes(_min/_max)`` -> ``interval_hours_min/max`` (extractor version 10 writes only these),
    so that a version stored by an older extractor compares equal to the same text read today."""
    out = dict(v)
    if "duration_days" in out:
        days = out.pop("duration_days")
        out.setdefault("duration_days_min", days)
        out.setdefault("duration_days_max", days)
    lo = out.pop("interval_minutes_min", out.get("interval_minutes"))
    hi = out.pop("interval_minutes_max", out.pop("interval_minutes", None))
    if lo is not None or hi is not None:
        if lo is not None:
            out.setdefault("interval_hours_min", float(f"{lo / 60:.6g}"))
        if hi is not None:
            out.setdefault("interval_hours_max", float(f"{hi / 60:.6g}"))
    return out


# Every value field a dosage claim may carry (old count names included): what marks a value as a dose.
DOSAGE_FIELDS = frozenset(
    f for a in (*DOSAGE_INTAKE, DOSAGE_PACKAGE, DOSAGE_LIMIT, DOSAGE_STRENGTH) for f in (*a.fields, *a.key_fields)
    if f != "per") | {f for lo, hi, _ in LEGACY_COUNTS for f in (lo, hi)}


def legality_status(v: Value) -> str:
    status = str(v.get("status", "?")).replace("_", " ")
    return f"{v.get('authority', '?')}: {status}"


LEGALITY: tuple[Aspect, ...] = (
    Aspect("status", "", ("status",), legality_status),
    Aspect("year", "year", ("year",), lambda v: str(v.get("year")), severity="medium"),
    Aspect("scope", "scope", ("scope",), lambda v: str(v.get("scope")), severity="low", alerted=False),
)

EVIDENCE_LEVEL = Aspect("level", "level", ("level",), lambda v: f"level {str(v.get('level')).replace('_', ' ')}")
EVIDENCE_KIND = Aspect("kind", "", ("stance",), lambda v: f"{v.get('kind', 'evidence')}"
                       + (" (lacking)" if v.get("stance") == "lacking" else ""), severity="medium")
EVIDENCE_QUALIFIERS = Aspect("qualifiers", "qualifiers", ("qualifiers",),
                             lambda v: ", ".join(v.get("qualifiers") or []) or "none", severity="low",
                             alerted=False)

# Safety profile fields: a change is material only when the value moves to another class.
PROFILE_CLASSES: dict[str, dict[str, str]] = {
    "side_effects": {"none": "benign", "minimal": "benign", "mild": "benign", "rare": "benign",
                     "common": "concerning", "severe": "concerning"},
    "serious": {"none": "benign", "rare": "benign", "reported": "concerning"},
    "toxicity": {"none": "benign", "low": "benign", "high": "concerning"},
    "tolerability": {"well_tolerated": "benign", "poorly_tolerated": "concerning"},
    "interactions": {"none": "benign", "reported": "concerning"},
    "concerns": {"raised": "concerning"},
}
# Legal statuses that say the same thing in other words: a move between them is wording (minor).
# "For research use only" and "sold as a research chemical" both put it outside human use.
STATUS_CLASSES: dict[str, str] = {"research_use_only": "not_for_human_use", "research_chemical": "not_for_human_use"}


def status_class(status: Any) -> str:
    return STATUS_CLASSES.get(str(status), str(status))


def profile_class(field_name: str, value: Any) -> str:
    return PROFILE_CLASSES.get(field_name, {}).get(str(value), str(value))


def safety_text(field_name: str, v: Value) -> str:
    value = v.get(field_name)
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return f"{field_name.replace('_', ' ')}: {shown.replace('_', ' ')}"


