"""Score a blind set: claims, before/after text edits and page histories written by someone who
never read the extractor or diff code.

Why a separate scorer: our own tables are tuned on and say 1.000. A blind set says how the
engine does on text it was not fitted to. Once a set has been tuned on it moves to
``benchmarks/blind/tuned/`` and is reported separately from the fresh one.

Usage (from the repository root)::

    python benchmarks/blind.py benchmarks/blind/round1 [-v] [--legacy]

A set folder holds any of ``claims.yaml``, ``dose_edits.yaml`` and ``pages/labels.yaml``
(formats in ``benchmarks/blind/README.md``). ``--legacy`` translates the value field names the
extractors used before the unified dosage vocabulary (``drops_min`` …), so that an old tree can
be scored on the same contract (run it with ``PYTHONPATH=<old tree>``).

Claims are matched like the tables (``tests/claims_table.py``: category plus a subset match of
the labelled value fields, maximum bipartite matching) except that the free-text fields
``scope``, ``year`` and ``qualifiers`` are not scored, a missing ``per`` is the contract's default
``dose``, and a labelled safety name is read through the schema's synonym table (a label's
``blood_thinners`` is the extractor's ``anticoagulants``). Edits count as alerted when the diff
reports any change that would be alerted (``Change.alerted`` where it exists, else
``Change.material``).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from claims_table import Case, score_case  # noqa: E402

from monitor.claims import extract_claims  # noqa: E402
from monitor.claims.lexicon import EFFECT_RE, effect_name  # noqa: E402
from monitor.claims.safety_advice import CANONICAL  # noqa: E402
from monitor.diff import diff_claims  # noqa: E402
from monitor.extract import extract_main_text  # noqa: E402
from monitor.models import SEVERITY_RANK, Change, Claim  # noqa: E402

UNSCORED = ("scope", "year", "qualifiers", "note")


def legacy_value(category: str, value: dict[str, Any]) -> dict[str, Any]:
    """Old dosage field names → the documented vocabulary (for scoring an older tree)."""
    if category != "dosage":
        return value
    v = dict(value)
    for unit, lo, hi in (("drop", "drops_min", "drops_max"), ("spray", "sprays_min", "sprays_max")):
        if lo in v or hi in v:
            v["count_min"], v["count_max"], v["count_unit"] = v.pop(lo, None), v.pop(hi, None), unit
    if "duration_days" in v:
        v["duration_days_min"] = v["duration_days_max"] = v.pop("duration_days")
    if "interval_minutes" in v:
        v["interval_hours_min"] = v["interval_hours_max"] = v.pop("interval_minutes") / 60
    return v


def _claims(text: str, legacy: bool) -> list[Claim]:
    claims = extract_claims(text)
    if legacy:
        claims = [Claim(c.category, c.key, c.text, legacy_value(c.category, c.value), c.start, c.end, c.subject)
                  for c in claims]
    return claims


def _default_per(claim: Claim) -> Claim:
    """CLAIM_MODEL: ``per`` is ``dose`` when not said, so a label's ``per: dose`` matches a dosage
    claim that states no ``per`` (an extractor need not write the default)."""
    if claim.category != "dosage" or "per" in claim.value:
        return claim
    return Claim(claim.category, claim.key, claim.text, {**claim.value, "per": "dose"}, claim.start, claim.end, claim.subject)


# ------------------------------------------------------------------------------- claims


@dataclass
class ClaimScore:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    report: list[str] = field(default_factory=list)

    def precision(self, cat: str | None = None) -> float:
        tp = self.tp[cat] if cat else sum(self.tp.values())
        fp = self.fp[cat] if cat else sum(self.fp.values())
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, cat: str | None = None) -> float:
        tp = self.tp[cat] if cat else sum(self.tp.values())
        fn = self.fn[cat] if cat else sum(self.fn.values())
        return tp / (tp + fn) if tp + fn else 1.0


# Safety names a label writer spells as the page does ("blood_thinners") and the schema folds onto
# one canonical name ("anticoagulants"): the same fact, so the label is read through the same table.
_NAMED_FIELDS = ("contraindication", "interaction", "monitor")


def _canonical_name(field: str, name: Any) -> Any:
    if not isinstance(name, str):
        return name
    words = name.replace("_", " ")
    if field == "effect":
        m = EFFECT_RE.fullmatch(words)
        return effect_name(m) if m else name
    return CANONICAL.get(words, CANONICAL.get(words.replace(" ", "-"), name))


def _scored(expect: dict[str, Any]) -> dict[str, Any]:
    value = {k: v for k, v in (expect.get("value") or {}).items() if k not in UNSCORED}
    if expect["category"] == "safety":
        value = {k: _canonical_name(k, v) if k in _NAMED_FIELDS + ("effect",) else v for k, v in value.items()}
    return {"category": expect["category"], "value": value}


def score_claims(path: Path, legacy: bool = False) -> ClaimScore:
    score = ClaimScore()
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        case = Case(path.name, str(item["text"]), tuple(_scored(e) for e in item.get("expect") or []))
        s = score_case(case, [_default_per(c) for c in _claims(case.text, legacy)])
        for mine, theirs in ((score.tp, s.tp), (score.fp, s.fp), (score.fn, s.fn)):
            mine.update(theirs)
        if s.missed or s.surplus:
            score.report.append(f"[{item.get('id')}] {case.text!r}")
            score.report += [f"    missed: {m['category']} {m['value']}" for m in s.missed]
            score.report += [f"    unexpected: {c.category} {c.key} {c.value}" for c in s.surplus]
    return score


# -------------------------------------------------------------------------------- edits


@dataclass
class EditScore:
    material: int = 0
    cosmetic: int = 0
    caught: int = 0  # material pairs with an alert in a labelled category
    false_alert_pairs: int = 0  # cosmetic pairs with any alert
    alerted_pairs: int = 0
    correct_alerted_pairs: int = 0
    severity_checked: int = 0
    severity_right: int = 0
    report: list[str] = field(default_factory=list)
    by_group: dict[str, Counter] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.caught / self.material if self.material else 1.0

    @property
    def false_alert_rate(self) -> float:
        return self.false_alert_pairs / self.cosmetic if self.cosmetic else 0.0

    @property
    def precision(self) -> float:
        return self.correct_alerted_pairs / self.alerted_pairs if self.alerted_pairs else 1.0


def alerted(changes: list[Change]) -> list[Change]:
    return [c for c in changes if getattr(c, "alerted", c.material)]


def _judge(score: EditScore, ident: str, group: str, label: dict[str, Any], old_claims: list[Claim],
           new_claims: list[Claim], shown: str) -> None:
    found = alerted(diff_claims(old_claims, new_claims))
    material = bool(label.get("material"))
    cats = {c["category"] for c in label.get("changes") or []}
    g = score.by_group.setdefault(group, Counter())
    g["pairs"] += 1
    ok = True
    if material:
        score.material += 1
        hit = any(c.category in cats for c in found)
        score.caught += hit
        g["material"] += 1
        g["caught"] += hit
        ok = hit
        if found:
            score.alerted_pairs += 1
            score.correct_alerted_pairs += hit
        want = [SEVERITY_RANK.get(str(c.get("severity")), -1) for c in label.get("changes") or []
                if c["category"] == "dosage" and c.get("severity")]
        got = [SEVERITY_RANK[c.severity] for c in found if c.category == "dosage"]
        if want and got:
            score.severity_checked += 1
            right = max(want) == max(got)
            score.severity_right += right
            if not right:
                score.report.append(f"[{ident}] severity {max(got)} != labelled {max(want)}")
    else:
        score.cosmetic += 1
        g["cosmetic"] += 1
        if found:
            score.false_alert_pairs += 1
            score.alerted_pairs += 1
            g["false"] += 1
            ok = False
    if not ok:
        score.report.append(f"[{ident}] {'MISSED' if material else 'FALSE ALERT'} {shown}")
        score.report += [f"    label: {c.get('category')} {c.get('field') or c.get('kind')} {c.get('note')}"
                         for c in label.get("changes") or []]
        score.report += [f"    got: [{c.severity}] {c.kind} {c.summary}" for c in found]


def score_text_edits(path: Path, legacy: bool = False) -> EditScore:
    score = EditScore()
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        old, new = str(item["old"]), str(item["new"])
        _judge(score, str(item.get("id")), str(item.get("style", "")), item, _claims(old, legacy),
               _claims(new, legacy), f"{old.strip()!r} -> {new.strip()!r}")
    return score


def score_pages(labels: Path, legacy: bool = False) -> EditScore:
    score = EditScore()
    root = labels.parent
    cache: dict[str, list[Claim]] = {}

    def claims_of(rel: str) -> list[Claim]:
        if rel not in cache:
            html = (root / rel).read_text(encoding="utf-8", errors="replace")
            cache[rel] = _claims(extract_main_text(html).text, legacy)
        return cache[rel]

    for item in yaml.safe_load(labels.read_text(encoding="utf-8")) or []:
        _judge(score, str(item.get("id")), str(item.get("template", "")), item, claims_of(item["old"]),
               claims_of(item["new"]), f"{item['old']} -> {item['new']} ({item.get('cosmetic', '')})")
    return score


# -------------------------------------------------------------------------------- report


def print_claims(name: str, s: ClaimScore) -> None:
    print(f"{name}: claims  (tp/fp/fn, precision, recall)")
    for cat in sorted(set(s.tp) | set(s.fp) | set(s.fn)):
        print(f"  {cat:<10} {s.tp[cat]:>4} {s.fp[cat]:>4} {s.fn[cat]:>4}   P {s.precision(cat):.3f}   R {s.recall(cat):.3f}")
    print(f"  {'all':<10} {sum(s.tp.values()):>4} {sum(s.fp.values()):>4} {sum(s.fn.values()):>4}   "
          f"P {s.precision():.3f}   R {s.recall():.3f}")


def print_edits(name: str, s: EditScore) -> None:
    sev = f"{s.severity_right}/{s.severity_checked}" if s.severity_checked else "n/a"
    print(f"{name}: {s.material + s.cosmetic} pairs ({s.material} material, {s.cosmetic} cosmetic)")
    print(f"  recall {s.recall:.3f} ({s.caught}/{s.material})   precision {s.precision:.3f}   "
          f"false alerts on cosmetic {s.false_alert_rate:.3f} ({s.false_alert_pairs}/{s.cosmetic})   "
          f"dosage severity right {sev}")
    for group, c in sorted(s.by_group.items()):
        print(f"    {group:<14} material {c['caught']}/{c['material']} caught   cosmetic {c['false']}/{c['cosmetic']} false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path, help="blind set folders")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alert")
    parser.add_argument("--legacy", action="store_true", help="translate pre-unification dosage field names")
    args = parser.parse_args(argv)
    for folder in args.sets:
        if not folder.is_dir():
            parser.error(f"{folder}: not a folder")
        reports: list[str] = []
        if (folder / "claims.yaml").exists():
            cs = score_claims(folder / "claims.yaml", args.legacy)
            print_claims(f"{folder}/claims.yaml", cs)
            reports += cs.report
        if (folder / "dose_edits.yaml").exists():
            es = score_text_edits(folder / "dose_edits.yaml", args.legacy)
            print_edits(f"{folder}/dose_edits.yaml", es)
            reports += es.report
        if (folder / "pages" / "labels.yaml").exists():
            ps = score_pages(folder / "pages" / "labels.yaml", args.legacy)
            print_edits(f"{folder}/pages", ps)
            reports += ps.report
        if args.verbose:
            print("\n".join(reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
