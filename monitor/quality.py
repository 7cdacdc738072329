"""Alert quality over a labelled corpus: ours (claim diff) vs a plain text-diff baseline.

Each corpus transition (version N-1 → N) is labelled ``cosmetic`` (no alert expected) or
``material`` with the expected changes (category + kind). Scoring:

- an expected change is *found* when a detected material change has the same category and
  kind; an expected ``changed`` is also found by a ``removed`` + ``added`` pair of its category
  (the same story told as two changes);
- a detected change is *correct* when it matches an expected one (further detected changes of
  an expected category and kind detail the same edit and count as correct), otherwise it is a
  false alert;
- a cosmetic transition with any detected change is a *false-alert transition*.

The baseline is what text-diff monitors do: alert whenever the page's visible text lines
differ (whole page, as html2text-style tools see it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from bs4 import BeautifulSoup

from monitor.claims import extract_claims
from monitor.corpus import CorpusSource, load_corpus
from monitor.diff import diff_claims
from monitor.extract import extract_main_text, normalise
from monitor.models import Change


@dataclass
class TransitionResult:
    source: str
    number: int  # the newer version
    label: str
    note: str
    expected: list[dict[str, str]]
    detected: list[Change]
    missed: list[dict[str, str]] = field(default_factory=list)
    false_alerts: list[Change] = field(default_factory=list)
    baseline_alert: bool = False

    @property
    def ok(self) -> bool:
        return not self.missed and not self.false_alerts


@dataclass
class Scores:
    transitions: int
    material_transitions: int
    cosmetic_transitions: int
    expected: int
    found: int
    detected: int
    correct: int
    cosmetic_false_alert_transitions: int
    baseline_material_alerted: int
    baseline_cosmetic_alerted: int

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.detected if self.detected else 1.0

    @property
    def false_alert_rate(self) -> float:
        return self.cosmetic_false_alert_transitions / self.cosmetic_transitions if self.cosmetic_transitions else 0.0

    @property
    def baseline_recall(self) -> float:
        return self.baseline_material_alerted / self.material_transitions if self.material_transitions else 1.0

    @property
    def baseline_false_alert_rate(self) -> float:
        return self.baseline_cosmetic_alerted / self.cosmetic_transitions if self.cosmetic_transitions else 0.0

    @property
    def baseline_precision(self) -> float:
        alerted = self.baseline_material_alerted + self.baseline_cosmetic_alerted
        return self.baseline_material_alerted / alerted if alerted else 1.0


def page_lines(html: str) -> list[str]:
    """Visible text lines of the whole page, as a text-diff monitor sees them."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return [line for line in (normalise(x) for x in soup.get_text("\n").split("\n")) if line]


def match(expected: list[dict[str, str]], detected: list[Change]) -> tuple[list[dict[str, str]], list[Change]]:
    """(missed expected items, detected changes matching nothing)."""
    left = list(detected)
    missed: list[dict[str, str]] = []
    for exp in expected:
        hit = next((c for c in left if c.category == exp["category"] and c.kind == exp["kind"]), None)
        if hit is not None:
            left.remove(hit)
            continue
        if exp["kind"] == "changed":
            rem = next((c for c in left if c.category == exp["category"] and c.kind == "removed"), None)
            add = next((c for c in left if c.category == exp["category"] and c.kind == "added"), None)
            if rem is not None and add is not None:
                left.remove(rem)
                left.remove(add)
                continue
        missed.append(exp)
    # Several detected changes of an expected category and kind describe the same edit in more
    # detail (two side effects added in one sentence): they are correct, not false alerts.
    covered = {(e["category"], e["kind"]) for e in expected if e not in missed}
    covered |= {(e["category"], k) for e in expected if e not in missed and e["kind"] == "changed"
                for k in ("added", "removed")}
    return missed, [c for c in left if (c.category, c.kind) not in covered]


def evaluate_source(source: CorpusSource) -> list[TransitionResult]:
    results = []
    prev_claims = None
    prev_lines: list[str] | None = None
    for version in source.versions:
        claims = extract_claims(extract_main_text(version.html).text)
        lines = page_lines(version.html)
        if prev_claims is not None:
            detected = [c for c in diff_claims(prev_claims, claims) if c.material]
            expected = [dict(e) for e in version.expect]
            missed, false_alerts = match(expected, detected)
            results.append(TransitionResult(
                source=source.id, number=version.number, label=version.label, note=version.note,
                expected=expected, detected=detected, missed=missed, false_alerts=false_alerts,
                baseline_alert=lines != prev_lines))
        prev_claims, prev_lines = claims, lines
    return results


def evaluate(sources: Iterable[CorpusSource] | None = None) -> tuple[list[TransitionResult], Scores]:
    results = [r for s in (sources if sources is not None else load_corpus()) for r in evaluate_source(s)]
    material = [r for r in results if r.expected]
    cosmetic = [r for r in results if not r.expected]
    expected = sum(len(r.expected) for r in results)
    detected = sum(len(r.detected) for r in results)
    scores = Scores(
        transitions=len(results), material_transitions=len(material), cosmetic_transitions=len(cosmetic),
        expected=expected, found=expected - sum(len(r.missed) for r in results), detected=detected,
        correct=detected - sum(len(r.false_alerts) for r in results),
        cosmetic_false_alert_transitions=sum(bool(r.detected) for r in cosmetic),
        baseline_material_alerted=sum(r.baseline_alert for r in material),
        baseline_cosmetic_alerted=sum(r.baseline_alert for r in cosmetic))
    return results, scores
