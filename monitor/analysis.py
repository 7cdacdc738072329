"""The CPU-heavy, DB-free half of checking a page: what pool workers import, and nothing more.

Why a module of its own: analysis runs in ``spawn`` worker processes, which import the module
of the function they are sent. When ``analyse_page`` lived in ``monitor.pipeline`` each worker
imported the pipeline and with it ``store``, sqlite-utils, the noise rules, the diff and the
alerts, none of which a worker uses. Here a worker imports the extractor, the claim
extractors and the snapshot store only (checked by ``tests/test_pipeline.py``).

Everything here is a pure function of its arguments (plus the content-addressed snapshot
directory, which any number of processes may write to: writes are atomic by rename).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from monitor.claims import run_extractors
from monitor.extract import MIN_WORDS, MainText, extract_main_text, page_problem
from monitor.models import Claim
from monitor.snapshots import SnapshotStore


@dataclass(frozen=True)
class PageAnalysis:
    """The CPU-heavy part of recording a page, computed apart from the DB (possibly in a worker)."""

    main: MainText
    problem: str | None
    claims: list[Claim] | None  # None when not needed: a problem page or an unchanged text
    extract_failures: int = 0  # units an extractor raised on (logged by monitor.claims; counted per pass)


def analyse_page(html: str, selector: str | None, known_text_hash: str | None,
                 min_words: int = MIN_WORDS) -> PageAnalysis:
    """Main text, page problem and (only for a new text) claims. Pure, so it can run in a process pool."""
    main = extract_main_text(html, selector)
    found = None
    if len(main.text.split()) < min_words:  # short: a page only if it makes claims (cheap to know)
        found = run_extractors(main.text)
    problem = page_problem(main, min_words, has_claims=bool(found and found.claims))
    if problem or main.text_hash == known_text_hash:
        return PageAnalysis(main, problem, None)
    found = found or run_extractors(main.text)
    return PageAnalysis(main, None, found.claims, found.failures)


def store_and_analyse(root: str, body: bytes, base: str | None, html: str, selector: str | None,
                      known_text_hash: str | None, min_words: int = MIN_WORDS) -> tuple[str, PageAnalysis]:
    """Store the raw body (zstd, possibly a delta against ``base``) and analyse it, in one worker call.

    Why together: compressing a 70 KB body against its predecessor costs milliseconds of CPU
    that would otherwise be spent in the parent process, which also runs the event loop and
    the DB writer. The body must be stored before the DB transaction that references it; the
    worker finishes before the parent records, so that order holds.
    """
    digest = SnapshotStore(root).put(body, base=base)
    return digest, analyse_page(html, selector, known_text_hash, min_words)


def worker_init(parent_pid: int) -> None:
    """Worker start-up: exit when the parent dies (e.g. SIGKILL), instead of lingering as an orphan."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def warm() -> None:
    """A no-op task: submitting one per worker starts the workers (and their imports) early."""
