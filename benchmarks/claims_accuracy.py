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
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
