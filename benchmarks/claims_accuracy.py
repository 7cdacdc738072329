"""Print precision / recall / F1 per claim category over the data-driven claim tables.

Usage: ``python benchmarks/claims_accuracy.py [-v]`` from the repository root (``-v`` also lists
every missed expectation and every unexpected claim). Scoring is shared with the pytest table
test through ``tests/claims_table.py`` (imported from the tests directory), so the two can never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from claims_table import describe, load_cases, score_table  # noqa: E402


def main(argv: list[str]) -> int:
    cases = load_cases()
    score = score_table(cases)
    print(f"{len(cases)} cases")
    print(f"{'category':<10} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>6}")
    for cat in score.categories():
        print(
            f"{cat:<10} {score.tp.get(cat, 0):>4} {score.fp.get(cat, 0):>4} {score.fn.get(cat, 0):>4} "
            f"{score.precision(cat):>9.3f} {score.recall(cat):>7.3f} {score.f1(cat):>6.3f}"
        )
    if "-v" in argv:
        print(describe(score))
    _blind_sets()
    return 0


def _blind_sets() -> None:
    """Blind sets are reported apart from the tables: a set tuned on says less than a fresh one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from blind import score_claims  # noqa: E402

    root = Path(__file__).resolve().parent / "blind"
    status = _statuses(root / "README.md")
    for folder in sorted(p for p in root.iterdir() if (p / "claims.yaml").exists()):
        s = score_claims(folder / "claims.yaml")
        label = status.get(folder.name, "fresh")
        print(f"\nblind set {folder.name} ({label}): claims")
        for cat in sorted(set(s.tp) | set(s.fp) | set(s.fn)):
            print(f"{cat:<10} {s.tp[cat]:>4} {s.fp[cat]:>4} {s.fn[cat]:>4} {s.precision(cat):>9.3f} {s.recall(cat):>7.3f}")


def _statuses(readme: Path) -> dict[str, str]:
    """``{round: "tuned on"}`` from the status column of the blind README's table."""
    out = {}
    for line in readme.read_text(encoding="utf-8").splitlines() if readme.exists() else []:
        cells = [c.strip(" `*") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("round"):
            out[cells[0]] = "tuned on" if "tuned" in cells[1] else "fresh"
    return out


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
