"""Print precision / recall per claim category: our own tables, then every blind set, apart.

Usage: ``python benchmarks/claims_accuracy.py [-v]`` from the repository root (``-v`` also lists
every missed expectation and every unexpected claim of the tables).

Three figures, never mixed:

- **tables** (``tests/claims_cases/*.yaml``): written here and tuned on — a regression guard,
  not a measure of how the engine generalises;
- **blind, tuned** (``benchmarks/blind/<round>`` marked tuned in its README): written blind, then
  used for tuning — no longer a generalisation figure;
- **blind, fresh**: written blind and scored before anyone tuned on it — the honest figure.

Table scoring is shared with the pytest table test through ``tests/claims_table.py``; blind
scoring with ``benchmarks/blind.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "tests"))
sys.path.insert(0, str(ROOT))

from blind import print_claims, score_claims  # noqa: E402
from claims_table import describe, load_cases, score_table  # noqa: E402

def main(argv: list[str]) -> int:
    cases = load_cases()
    score = score_table(cases)
    print(f"tables (tuned on): {len(cases)} cases")
    print(f"{'category':<10} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'f1':>6}")
    for cat in score.categories():
        print(
            f"{cat:<10} {score.tp.get(cat, 0):>4} {score.fp.get(cat, 0):>4} {score.fn.get(cat, 0):>4} "
            f"{score.precision(cat):>9.3f} {score.recall(cat):>7.3f} {score.f1(cat):>6.3f}"
        )
    if "-v" in argv:
        print(describe(score))
    status = _statuses(ROOT / "blind" / "README.md")
    for folder in sorted((ROOT / "blind").glob("round*")):
        if (folder / "claims.yaml").exists():
            label = f"blind, {status.get(folder.name, 'fresh')}"
            print()
            print_claims(f"{label} — {folder.name}", score_claims(folder / "claims.yaml"))
    return 0


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
