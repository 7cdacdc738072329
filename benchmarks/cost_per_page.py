"""Milliseconds per page for each CPU stage of the pipeline, and where the slowest one spends it.

Run by hand::

    .venv/bin/python benchmarks/cost_per_page.py            # corpus pages as they are (8–14 KB)
    .venv/bin/python benchmarks/cost_per_page.py --padded   # the same pages wrapped like farm pages (20–200 KB)

Stages, over every version of every corpus page (≈ 70 pages), each timed ``--rounds`` times
(the per-page figure is the median of its rounds; the table gives median and p95 over pages):

- extract  HTML → normalised main text (``extract_main_text``);
- segment  main text → units (part of claims, shown alone because it dominates it);
- claims   ``extract_claims`` (segment + every registered extractor);
- diff     ``diff_claims`` between consecutive versions.

Then the slowest stage is run under cProfile and the top 15 functions by own time are listed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from farm import Farm  # noqa: E402

from monitor.claims import extract_claims  # noqa: E402
from monitor.corpus import load_corpus  # noqa: E402
from monitor.diff import diff_claims  # noqa: E402
from monitor.extract import extract_main_text  # noqa: E402
from monitor.segment import segment  # noqa: E402


def pages(padded: bool) -> list[tuple[str, int, str]]:
    """(source id, version number, html) for every corpus version; optionally farm-padded."""
    out = []
    farm = Farm(5) if padded else None
    for k, src in enumerate(load_corpus()):
        for v in src.versions:
            if farm is None:
                out.append((src.id, v.number, v.html))
            else:
                page = next(p for p in farm.pages if p.source.id == src.id)
                page.version = v.number - 1
                out.append((src.id, v.number, farm.render(page.index).decode()))
    return out


def time_ms(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def measure(items: list[tuple[str, int, str]], rounds: int) -> tuple[dict[str, list[float]], dict]:
    stages: dict[str, list[float]] = {"extract": [], "segment": [], "claims": [], "diff": []}
    texts, claims = {}, {}
    extract_claims("warm up the registry and regexes: take 300 mcg twice daily")
    for sid, num, html in items:
        stages["extract"].append(time_ms(lambda: extract_main_text(html), rounds))
        text = extract_main_text(html).text
        stages["segment"].append(time_ms(lambda: segment(text), rounds))
        stages["claims"].append(time_ms(lambda: extract_claims(text), rounds))
        texts[(sid, num)] = text
        claims[(sid, num)] = extract_claims(text)
        prev = claims.get((sid, num - 1))
        if prev is not None:
            new = claims[(sid, num)]
            stages["diff"].append(time_ms(lambda: diff_claims(prev, new), rounds))
    return stages, {"texts": texts, "claims": claims}


def profile(stage: str, items: list[tuple[str, int, str]], top: int = 15) -> str:
    texts = [extract_main_text(html).text for _, _, html in items]
    claim_lists = [extract_claims(t) for t in texts]
    work: dict[str, Callable[[], None]] = {
        "extract": lambda: [extract_main_text(html) for _, _, html in items],
        "segment": lambda: [segment(t) for t in texts],
        "claims": lambda: [extract_claims(t) for t in texts],
        "diff": lambda: [diff_claims(a, b) for a, b in zip(claim_lists, claim_lists[1:])],
    }
    prof = cProfile.Profile()
    prof.enable()
    work[stage]()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--padded", action="store_true", help="wrap pages in farm furniture (20–200 KB)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    items = pages(args.padded)
    sizes = [len(h.encode()) for _, _, h in items]
    print(f"{len(items)} pages, {min(sizes) // 1024}–{max(sizes) // 1024} KB (median "
          f"{statistics.median(sizes) / 1024:.0f} KB), {args.rounds} rounds each; figures in ms per page")
    stages, _ = measure(items, args.rounds)
    print(f"{'stage':<9} {'median':>8} {'p95':>8} {'max':>8}")
    for name, values in stages.items():
        print(f"{name:<9} {statistics.median(values):8.2f} {p95(values):8.2f} {max(values):8.2f}")
    total = sum(statistics.median(v) for k, v in stages.items() if k != "segment")
    print(f"extract + claims + diff (medians summed): {total:.1f} ms/page → {1000 / total:.0f} pages/s on one core")
    slowest = max(("extract", "claims", "diff"), key=lambda k: statistics.median(stages[k]))
    print(f"\nprofile of the slowest stage ({slowest}), top 15 by own time:")
    print(profile(slowest, items))


if __name__ == "__main__":
    main()
