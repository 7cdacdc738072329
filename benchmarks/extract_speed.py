"""Pages per second through extraction (HTML → main text → units → claims) on one core.

Run: .venv/bin/python benchmarks/extract_speed.py [--repeat 5]
Uses every version of every corpus page (the fixture site); prints the median of the runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

from monitor.claims import extract_claims
from monitor.corpus import load_corpus
from monitor.extract import extract_main_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pages = [v.html for s in load_corpus() for v in s.versions]
    size = sum(len(p.encode()) for p in pages)
    extract_claims(extract_main_text(pages[0]).text)  # warm caches and imports
    rates, main_rates = [], []
    for _ in range(args.repeat):
        t0 = time.process_time()
        texts = [extract_main_text(p).text for p in pages]
        t1 = time.process_time()
        for t in texts:
            extract_claims(t)
        t2 = time.process_time()
        rates.append(len(pages) / (t2 - t0))
        main_rates.append(len(pages) / (t1 - t0))
    print(f"{len(pages)} fixture pages, {size / len(pages) / 1024:.1f} KB average, {args.repeat} runs (CPU time)")
    print(f"main text only:        {statistics.median(main_rates):7.1f} pages/s")
    print(f"main text + claims:    {statistics.median(rates):7.1f} pages/s  (target >= 50)")


if __name__ == "__main__":
    main()
