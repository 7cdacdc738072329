"""Alert quality over the labelled corpus: claimwatch vs a plain text-diff baseline.

Run: .venv/bin/python benchmarks/alert_quality.py [--verbose]
"""

from __future__ import annotations

import argparse

from monitor.quality import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="List every transition that is not right.")
    args = parser.parse_args()
    results, s = evaluate()
    if args.verbose:
        for r in results:
            if not r.ok:
                print(f"{r.source} v{r.number} [{r.label}] {r.note}")
                for e in r.missed:
                    print(f"    missed: {e['category']} {e['kind']}")
                for c in r.false_alerts:
                    print(f"    false alert: {c.summary}")
    print(f"corpus: {s.transitions} transitions ({s.material_transitions} material, {s.cosmetic_transitions} cosmetic), "
          f"{s.expected} expected changes")
    print(f"{'':28}{'claimwatch':>12}{'text diff':>12}")
    print(f"{'recall (material)':28}{s.recall:>12.3f}{s.baseline_recall:>12.3f}")
    print(f"{'precision':28}{s.precision:>12.3f}{s.baseline_precision:>12.3f}")
    print(f"{'false alerts (cosmetic)':28}{s.false_alert_rate:>12.3f}{s.baseline_false_alert_rate:>12.3f}")
    if s.false_alert_rate:
        print(f"noise ratio (baseline false alerts / ours): {s.baseline_false_alert_rate / s.false_alert_rate:.1f}x")
    else:
        print(f"noise: the baseline alerted on {s.baseline_cosmetic_alerted} of {s.cosmetic_transitions} cosmetic "
              "transitions, claimwatch on none")


if __name__ == "__main__":
    main()
