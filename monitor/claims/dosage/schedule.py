"""When and how often: frequencies, intervals, alternate days, timing, course length, cycles.

Each finder returns ``Modifier`` spans (fields plus where they were written) so that the
regimen builder can give each to the dose it stands next to. Canonical forms, so that
rewordings compare equal: "twice daily" = "two times a day" = "2x/day" (times_per_day 2);
"on alternate days" = "every other day" = "every second day" (every_days 2); "every 4-6
hours" (interval_hours 4-6; minutes are hours/60, never turned into times per day, since the
waking hours a page assumes are not stated); "for 2 weeks" (duration_days 14-14);
"5 days on, 2 off" (cycle 5/2).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from monitor.claims.dosage.vocabulary import TIMING, TIMING_ORDER
from monitor.claims.units import NUMBER, Quantity, parse_number, sig6
from monitor.claims.units import find_times as _find_times


@functools.lru_cache(maxsize=256)
def find_times(text: str) -> tuple[Quantity, ...]:
    """Time spans of ``text`` (cached: frequencies and durations both ask)."""
    return tuple(_find_times(text))

_I = re.IGNORECASE
_SEP = r"\s*(?:-|–|—|to|or)\s*"
_PERIOD = r"(?P<p>day|daily|week|weekly|24[\s-]*h(?:ours?|rs?)?|night|nightly)"
_NOT_COMPARATIVE = r"(?!\s+(?:more|less|higher|lower|greater|stronger|weaker|as|the|that|than|faster|slower|better|worse)\b)"
_FREQ_RES: tuple[re.Pattern[str], ...] = (
    # "2-3 times a day", "three times daily", "6x per day", "3 times a week", "3x/day"
    re.compile(
        rf"(?<![\w.])(?P<a>{NUMBER})(?:{_SEP}(?P<b>{NUMBER}))?\s*(?:times|x|×)(?![\w])"
        rf"(?:\s*(?:a|per|each|/|every|in\s+(?:a|any|one))?\s*{_PERIOD})?{_NOT_COMPARATIVE}",
        _I,
    ),
    # "once or twice daily", "twice a day", "once weekly"
    re.compile(
        rf"\b(?P<a>once|twice|thrice)(?:\s*(?:or|to|-)\s*(?P<b>once|twice|thrice|{NUMBER}\s+times))?"
        rf"(?:\s*(?:a|per|each|every|in\s+(?:a|any|one))?\s*{_PERIOD})?(?!\s+(?:more|less|as)\b)",
        _I,
    ),
    # "five nights per week", "3 days a week"
    re.compile(rf"\b(?P<a>{NUMBER})(?:{_SEP}(?P<b>{NUMBER}))?\s+(?:days|nights|mornings|evenings)\s+(?:a|per|each)\s+(?P<p>week)\b", _I),
    # "divided into 2 doses", "in 3 divided doses"
    re.compile(
        rf"\bin\s+(?P<a>{NUMBER})(?:{_SEP}(?P<b>{NUMBER}))?\s+(?:divided|separate|equal|split)\s+"
        r"(?:doses|administrations|portions|applications|intakes|injections)\b(?P<p>)",
        _I,
    ),
    re.compile(
        rf"\b(?:divided|split|spread)\s+(?:in|into|over|across)\s+(?P<a>{NUMBER})(?:{_SEP}(?P<b>{NUMBER}))?\s+"
        r"(?:equal\s+)?(?:doses|administrations|portions|parts|applications|intakes|injections)\b(?P<p>)",
        _I,
    ),
)
_FREQ_HINTS: tuple[tuple[str, ...], ...] = (("times", "x", "×"), ("once", "twice", "thrice"), ("week",),
                                           ("divided", "separate", "equal", "split"), ("divided", "split", "spread"))
# "the weekly dose" is an amount per week, not a frequency
_WEEKLY_RE = re.compile(r"\b(?:weekly(?!\s+(?:dose|dosage|amount|intake|total|allowance|maximum|limit)\b)|every\s+week|each\s+week|once\s+a\s+week)\b", _I)
_UP_TO_RE = re.compile(r"\b(?:up\s+to|at\s+most)\s*$", _I)
_ORDINALS = {"other": 2, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7}
_EVERY_NTH_RE = re.compile(r"\bevery\s+(?P<n>other|second|third|fourth|fifth|sixth|seventh)\s+day\b|\b(?:on\s+)?alternate\s+days\b", _I)
_EVERY_RE = re.compile(r"\bevery\s*$", _I)
_MIN_INTERVAL_RE = re.compile(r"\b(?:at\s+least|no\s+less\s+than|not\s+less\s+than|a\s+minimum\s+of|minimum\s+of)\s*$", _I)
_BETWEEN_AFTER_RE = re.compile(r"^\s*(?:apart|between\s+(?:doses|administrations|applications|injections|each\s+dose))\b", _I)
_DURATION_BEFORE_RE = re.compile(
    r"\b(?:for|over|during|lasting|course\s+of|cycles?\s+of|period\s+of|duration|length)\s*[:|]?\s*"
    r"(?:a\s+(?:course|period)\s+of\s+)?(?:up\s+to\s+|the\s+first\s+|the\s+next\s+|another\s+)?"
    r"(?:about\s+|around\s+|roughly\s+|approximately\s+|approx\.?\s+|~\s*|some\s+|at\s+least\s+)?$"
    # "for the loading phase, about 5 weeks", "during the initiation period of 4 weeks"
    r"|\b(?:for|during|over)\s+(?:the\s+|a\s+|an\s+|each\s+)?(?:[\w-]+\s+){0,2}(?:phase|period|stage|block|course|cycle|run)\s*"
    r"[,:(–—-]?\s*(?:of\s+|lasting\s+)?(?:about|around|roughly|approximately|approx\.?|~|some)?\s*$"
    r"|\b(?:cycle|course)\s*[:|]\s*$",
    _I,
)
_COURSE_BEFORE_RE = re.compile(r"\b(?:course|cycle|treatment|protocol|regimen)s?\s+(?:\w+\s+)?(?:is|are|lasts?|runs?|of)\s+"
                               r"(?:typically\s+|usually\s+|about\s+|around\s+)?$", _I)
_DURATION_AFTER_RE = re.compile(r"^[\s-]*(?:course|cycle|treatment|protocol|regimen|total|in\s+total)\b", _I)
_CYCLE_RE = re.compile(
    rf"\b(?P<on>{NUMBER})\s*(?P<u1>days?|weeks?|months?)?\s+on\b\s*(?:,|/|and|-|–)?\s*(?:(?:then|and|followed\s+by|take|with)\s+){{0,3}}"
    rf"(?P<off>{NUMBER})\s*(?P<u2>days?|weeks?|months?)?\s+off\b",
    _I,
)
_FIRST_PERIOD_RE = re.compile(r"\b(?:for|during|in)\s+the\s+first\s+(?P<u>day|week|month)\b", _I)
_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}


@dataclass
class Modifier:
    """Fields one phrase states, with its span; ``kind`` tells the builder where it may go."""

    kind: str  # frequency | interval | timing | duration | cycle
    fields: dict[str, Any]
    start: int
    end: int
    extra: dict[str, Any] = field(default_factory=dict)


def frequencies(text: str) -> list[Modifier]:
    """Times per day / week, every n days, every n hours (see module docstring)."""
    found: list[Modifier] = []

    def free(s: int, e: int) -> bool:
        return not any(s < m.end and m.start < e for m in found)

    low = text.lower()
    for rx, hint in zip(_FREQ_RES, _FREQ_HINTS):
        if not any(h in low for h in hint):
            continue  # cheap: each pattern needs one of its hint words
        for m in rx.finditer(text):
            if free(m.start(), m.end()):
                value = _freq_value(m)
                if value and _UP_TO_RE.search(text[max(0, m.start() - 12) : m.start()]):
                    value = {k: x for k, x in value.items() if not k.endswith("_min")}  # "up to 4 times a day": a most
                if value:
                    found.append(Modifier("frequency", value, m.start(), m.end(), {"period": bool(m.group("p"))}))
    for m in _WEEKLY_RE.finditer(text) if "week" in low else ():
        if free(m.start(), m.end()):
            found.append(Modifier("frequency", {"times_per_week_min": 1.0, "times_per_week_max": 1.0}, m.start(), m.end(),
                                  {"period": True}))
    for m in _EVERY_NTH_RE.finditer(text) if "every" in low or "alternate" in low else ():
        if free(m.start(), m.end()):
            n = _ORDINALS.get((m.group("n") or "other").lower(), 2)
            found.append(Modifier("frequency", {"every_days": float(n)}, m.start(), m.end(), {"period": True}))
    for t in find_times(text):
        before, after = text[max(0, t.start - 40) : t.start], text[t.end : t.end + 40]
        if not free(t.start, t.end) or t.low is None or t.high is None:
            continue
        every = _EVERY_RE.search(before)
        minimum = _MIN_INTERVAL_RE.search(before) and _BETWEEN_AFTER_RE.match(after)
        if not (every or minimum or _BETWEEN_AFTER_RE.match(after)):
            continue
        start = t.start - (len(before) - (every or minimum).start()) if (every or minimum) else t.start
        if every and t.low == t.high and t.low >= 2880 and re.search(r"day|week", text[t.start : t.end], _I):
            value = {"every_days": sig6(t.low / 1440)}  # "every 10 days"
        elif every and t.low == t.high == 1440 and re.search(r"day", text[t.start : t.end], _I):
            continue  # "every day" is per day, read with the amount
        elif minimum or not every:
            value = {"interval_hours_min": sig6(t.low / 60)}
        else:
            value = {"interval_hours_min": sig6(t.low / 60), "interval_hours_max": sig6(t.high / 60)}
        found.append(Modifier("frequency", value, start, t.end, {"period": True}))
    return sorted(found, key=lambda m: m.start)


def _freq_value(m: re.Match[str]) -> dict[str, float]:
    a = parse_number(m.group("a"))
    b_raw = m.group("b")
    b = parse_number(re.sub(r"\s+times$", "", b_raw, flags=_I)) if b_raw else a
    if a is None or b is None or a <= 0 or a > b or b > 48 or a != int(a) and a != 0.5:
        return {}
    period = (m.group("p") or "").lower()
    unit = "week" if period.startswith("week") or "days" in m.group(0).lower() or "nights " in m.group(0).lower() else "day"
    return {f"times_per_{unit}_min": sig6(a), f"times_per_{unit}_max": sig6(b)}


_NEGATED_LEAD_RE = re.compile(r"\b(?:do\s+not|don['’]t|never|must\s+not|should\s+not|shouldn['’]t|avoid|not)\b[^;.,:]*$", _I)


@functools.lru_cache(maxsize=256)
def _timings(text: str) -> tuple[Modifier, ...]:
    out: list[Modifier] = []
    for name, rx in TIMING:
        for m in rx.finditer(text):
            if not any(m.start() < o.end and o.start < m.end() for o in out):
                if "not" in text[max(0, m.start() - 60) : m.start()].lower() or "n't" in text[max(0, m.start() - 60) : m.start()] \
                        or "never" in text[max(0, m.start() - 60) : m.start()].lower() or "avoid" in text[max(0, m.start() - 60) : m.start()].lower():
                    if _NEGATED_LEAD_RE.search(text[max(0, m.start() - 60) : m.start()]):
                        out.append(Modifier("negated", {}, m.start(), m.end()))  # "do not take it on an empty stomach"
                        continue
                out.append(Modifier("timing", {"timing": [name]}, m.start(), m.end()))
    return tuple(sorted(out, key=lambda m: m.start))


def timings(text: str) -> list[Modifier]:
    """Timing words ("in the morning", "with food", "as needed"), one modifier per mention; a
    negated one ("do not take it on an empty stomach") is no timing."""
    return [m for m in _timings(text) if m.kind == "timing"]


def merge_timing(old: list[str], new: list[str]) -> list[str]:
    return sorted(set(old) | set(new), key=TIMING_ORDER.index)


def durations(text: str, course_cue: bool) -> list[Modifier]:
    """Course lengths of at least a day ("for 2 weeks", "Duration: 10-14 days")."""
    out = []
    for m in _FIRST_PERIOD_RE.finditer(text):  # "for the first week": no number written
        out.append(Modifier("duration", {"duration_days_min": float(_DAYS[m.group("u").lower()]),
                                         "duration_days_max": float(_DAYS[m.group("u").lower()])},
                            m.start(), m.end(), {"first": True}))
    for t in find_times(text):
        before, after = text[max(0, t.start - 40) : t.start], text[t.end : t.end + 20]
        if t.low is None or t.high is None or t.low < 1440:
            continue
        if _EVERY_RE.search(before) or re.match(r"^\s*(?:on|off|apart|between|later|ago|after|before)\b", after, _I) and not (
                re.match(r"^\s*(?:before\s+(?:moving|going|stepping|increasing|reassess\w*|review\w*|switching|stopping)|"
                         r"after\s+(?:arrival|arriving|landing|travel\w*|the\s+flight|a\s+flight|surgery|the\s+operation|delivery|birth|"
                         r"the\s+procedure|treatment|the\s+(?:first|last)\s+dose))\b", after, _I)
                and re.search(r"\bfor\s*(?:about\s+|around\s+|up\s+to\s+)?$", before, _I)):
            continue  # "2 weeks before surgery" is no course; "for 4 weeks before moving up" is one
        if re.search(r"\b(?:after|within|in|than)\s+(?:a|the\s+first)?\s*$", before, _I):
            continue  # "increase after a week", "longer than 10 days": not a course length
        if _DURATION_BEFORE_RE.search(before) or _DURATION_AFTER_RE.match(after) or (
                course_cue and _COURSE_BEFORE_RE.search(before)):
            value = {"duration_days_min": sig6(t.low / 1440), "duration_days_max": sig6(t.high / 1440)}
            first = re.search(r"\bthe\s+first\s+$", before, _I)
            out.append(Modifier("duration", value, t.start, t.end, {"first": bool(first)}))
    return out


def cycles(text: str) -> list[Modifier]:
    """"5 days on, 2 days off", "8 weeks on / 4 off" (units default to the other side's, else days)."""
    out: list[Modifier] = []
    low = text.lower()
    if " on" not in low or " off" not in low:
        return out
    for m in _CYCLE_RE.finditer(text):
        on, off = parse_number(m.group("on")), parse_number(m.group("off"))
        u1 = (m.group("u1") or m.group("u2") or "days").lower()
        u2 = (m.group("u2") or m.group("u1") or "days").lower()
        if on is None or off is None:
            continue
        out.append(Modifier("cycle", {"cycle_on_days": sig6(on * _DAYS[u1]), "cycle_off_days": sig6(off * _DAYS[u2])},
                            m.start(), m.end()))
    return out
