"""``monitor demo``: the whole real pipeline, offline, on the bundled labelled corpus.

Why: a new user should see in a minute what claimwatch does — alert when a page changes a
dose, a legal status, an evidence grade or a side effect, and stay silent on dates, counters
and markup — without configuring anything or touching the internet. And the project gets an
end-to-end check of the real code path with labelled truth.

Nothing is simulated: the corpus pages are served over HTTP by :class:`~monitor.replay.ReplayServer`,
a ``sources.yaml`` is written and read back with the real :func:`~monitor.config.load_config`,
each step runs the real :func:`~monitor.pipeline.run_pass` into ``<dir>/snapshots/history.db``
and then :func:`~monitor.alerts.deliver_pending` posts through Apprise ``json://`` to a
:class:`~monitor.replay.WebhookReceiver`. The scoring only reads what *arrived at the webhook*.

Steps: step 0 fetches every source at version 1; each later step moves every source that has
versions left to its next version and runs one pass. When a pass *holds* a large removal (a
noise rule: it waits for the next fetch to confirm), the demo fetches those sources once more
at the same version — as a scheduled check would before the page changes again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from monitor import store
from monitor.config import Config, load_config
from monitor.corpus import CorpusSource, CorpusVersion, load_corpus
from monitor.errors import DemoError  # noqa: F401 (re-exported)
from monitor.models import Change
from monitor.pipeline import CheckResult, run_pass
from monitor.quality import match
from monitor.replay import Payload, ReplayServer, WebhookReceiver

WEBHOOK_PATH = "/claimwatch"
CHANNEL = "webhook"


@dataclass
class Seen:
    """One alert that arrived at the webhook, joined with its outbox and change rows."""

    alert_id: int
    source_id: str | None
    event: str
    change: dict[str, Any] | None
    detail: str | None = None


@dataclass
class Transition:
    """One labelled corpus edit replayed: what the labels expect and what reached the webhook."""

    source_id: str
    number: int  # corpus version now served
    label: str  # cosmetic | material
    note: str
    kinds: tuple[str, ...]
    expect: tuple[dict[str, str], ...]
    step: int
    outcome: str = ""
    error: str | None = None
    db_version: int | None = None
    held: bool = False
    alerts: list[Seen] = field(default_factory=list)
    missed: list[dict[str, str]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.label == "material":
            return bool(self.alerts) and not self.missed
        return not self.alerts

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source_id, "version": self.number, "label": self.label, "note": self.note,
                "kinds": list(self.kinds), "step": self.step, "outcome": self.outcome, "error": self.error,
                "db_version": self.db_version, "held": self.held, "ok": self.ok,
                "alerts": [{"alert_id": a.alert_id, "category": (a.change or {}).get("category"),
                            "kind": (a.change or {}).get("kind"), "severity": (a.change or {}).get("severity"),
                            "summary": (a.change or {}).get("summary")} for a in self.alerts],
                "expected": [dict(e) for e in self.expect], "missed": self.missed,
                "extra": [{"category": e["category"], "kind": e["kind"], "summary": e["summary"]}
                          for e in self.extra]}


@dataclass
class SourceRow:
    source_id: str
    versions_stored: int
    claims_latest: int
    material_edits: int
    material_alerted: int  # material transitions whose expected changes all arrived
    alerts_received: int  # change alerts that arrived at the webhook for this source
    cosmetic_edits: int
    cosmetic_alerted: int  # cosmetic transitions that caused at least one alert (should be 0)


@dataclass
class DemoResult:
    workdir: Path
    db_path: Path
    config_path: Path
    log_path: Path
    steps: int
    elapsed: float
    transitions: list[Transition]
    rows: list[SourceRow]
    payloads: int
    other_alerts: list[Seen]
    started_utc: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())

    @property
    def material(self) -> list[Transition]:
        return [t for t in self.transitions if t.label == "material"]

    @property
    def cosmetic(self) -> list[Transition]:
        return [t for t in self.transitions if t.label == "cosmetic"]

    @property
    def failures(self) -> list[Transition]:
        return [t for t in self.transitions if not t.ok]

    def score_line(self) -> str:
        m_ok = sum(t.ok for t in self.material)
        c_ok = sum(t.ok for t in self.cosmetic)
        return (f"material edits alerted: {m_ok}/{len(self.material)}, "
                f"cosmetic edits silent: {c_ok}/{len(self.cosmetic)}")

    def to_json(self) -> dict[str, Any]:
        rows = [r.__dict__ for r in self.rows]
        totals = {k: sum(r[k] for r in rows) for k in rows[0] if k != "source_id"} if rows else {}
        return {"dir": str(self.workdir), "db": str(self.db_path), "config": str(self.config_path),
                "log": str(self.log_path), "fetch_errors": sum(t.outcome in ("error", "blocked")
                                                               for t in self.transitions),
                "steps": self.steps, "elapsed_seconds": round(self.elapsed, 2), "webhook_payloads": self.payloads,
                "sources": rows, "totals": totals,
                "material_alerted": sum(t.ok for t in self.material), "material_edits": len(self.material),
                "cosmetic_silent": sum(t.ok for t in self.cosmetic), "cosmetic_edits": len(self.cosmetic),
                "transitions": [t.to_json() for t in self.transitions],
                "failures": [t.to_json() for t in self.failures],
                "other_alerts": [{"alert_id": a.alert_id, "source": a.source_id, "event": a.event}
                                 for a in self.other_alerts]}


@dataclass
class Hooks:
    """Callbacks the command uses to tell the story as it happens (all optional)."""

    started: Callable[[Path, ReplayServer, WebhookReceiver, Path], None] = lambda *a: None
    step: Callable[[int, int, list[Transition], dict[str, CheckResult]], None] = lambda *a: None
    confirming: Callable[[list[str]], None] = lambda ids: None
    alert: Callable[[Seen, Transition | None], None] = lambda seen, t: None
    step_done: Callable[[int, list[Transition]], None] = lambda step, ts: None
    finished: Callable[["DemoResult"], None] = lambda result: None  # servers still up (for --keep)


def default_workdir(cwd: Path | None = None, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return (cwd or Path.cwd()) / f"claimwatch-demo-{stamp}"


def prepare_workdir(path: Path) -> Path:
    """Create ``path`` (and ``snapshots/``); refuse a non-empty existing directory."""
    path = Path(path).absolute()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DemoError(f"{path}: already exists and is not an empty directory (pick a new --dir)")
    try:
        (path / "snapshots").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"{path}: cannot create the work directory ({exc.strerror})") from None
    return path


def config_text(sources: list[CorpusSource], base_url: str, webhook_url: str) -> str:
    """A sources.yaml exactly as a user would write it, pointing at the local servers."""
    lines = ["# Written by `monitor demo`: the bundled corpus served by a local replay server.",
             "# allow_private: the pages live on 127.0.0.1; respect_robots: a local replay has no owner to ask.",
             "sources:"]
    for src in sources:
        lines += [f"  - id: {src.id}", f"    name: {json.dumps(src.name, ensure_ascii=False)}",
                  f"    url: {base_url}{src.url_path}", "    interval: 1m",
                  "    allow_private: true", "    respect_robots: false"]
    lines += ["", "alerts:", f"  - name: {CHANNEL}", f"    url: {json.dumps(webhook_url)}", "    max_attempts: 3",
              "", "settings:", "  per_host: 8", "  jitter: 0", ""]
    return "\n".join(lines)


def default_steps(sources: list[CorpusSource]) -> int:
    """Enough steps to replay every version of the longest history."""
    return max((len(s.versions) for s in sources), default=1) - 1


def run_demo(workdir: Path, cycles: int | None = None, hooks: Hooks | None = None,
             sources: list[CorpusSource] | None = None) -> DemoResult:
    """Replay the corpus through the real pipeline into ``workdir``; see the module docstring."""
    from monitor.alerts import Backoff, deliver_pending

    hooks = hooks or Hooks()
    corpus = sources if sources is not None else load_corpus()
    steps = default_steps(corpus) if cycles is None else max(0, min(cycles, default_steps(corpus)))
    workdir = prepare_workdir(workdir)
    db_path = workdir / "snapshots" / "history.db"
    config_path = workdir / "sources.yaml"
    log_path = workdir / "demo.log"
    backoff = Backoff(base=0.2, factor=2.0, cap=1.0, lease=5.0)
    began = time.monotonic()
    started_utc = dt.datetime.now(dt.timezone.utc).date()
    with log_to(log_path), ReplayServer() as replay, WebhookReceiver() as hook:
        for src in corpus:
            replay.set(src.url_path, src.versions[0].html)
        config_path.write_text(config_text(corpus, replay.url(""), _apprise_url(hook)), encoding="utf-8")
        config = load_config(config_path)
        ids = [s.id for s in config.sources]
        hooks.started(workdir, replay, hook, config_path)
        transitions: list[Transition] = []
        by_version: dict[tuple[str, int], Transition] = {}
        others: list[Seen] = []
        received = 0
        for step in range(0, steps + 1):
            moved = [] if step == 0 else _advance(corpus, replay, step)
            results = _check(db_path, config, ids, moved, hooks)
            for t in moved:
                result = results[t.source_id]
                t.outcome, t.held, t.error = result.outcome, bool(result.held), result.error
                t.db_version = result.version if result.outcome == "new_version" else None
                if t.db_version is not None:
                    by_version[(t.source_id, t.db_version)] = t
            transitions += moved
            hooks.step(step, steps, moved, results)
            received = _deliver_and_collect(db_path, config, hook, received, by_version, others, hooks,
                                            lambda db: deliver_pending(db, config, backoff=backoff))
            for t in moved:
                _score(t)
            hooks.step_done(step, moved)
        received = _deliver_and_collect(db_path, config, hook, received, by_version, others, hooks,
                                        lambda db: deliver_pending(db, config, backoff=backoff, force=True))
        for t in transitions:
            _score(t)
        result = DemoResult(workdir, db_path, config_path, log_path, steps, time.monotonic() - began, transitions,
                            _rows(db_path, corpus, transitions), received, others, started_utc)
        hooks.finished(result)
    return result


@contextlib.contextmanager
def log_to(path: Path) -> Iterator[None]:
    """Send warnings and errors (tracebacks of broken pages included) to ``path`` while the demo runs.

    The console tells the story; the details a developer needs stay in the work directory.
    """
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


def _apprise_url(hook: WebhookReceiver) -> str:
    return f"json://127.0.0.1:{hook.port}{WEBHOOK_PATH}"


def _advance(corpus: list[CorpusSource], replay: ReplayServer, step: int) -> list[Transition]:
    """Serve version ``step + 1`` of every source that has it; one Transition per move."""
    moved = []
    for src in corpus:
        if step < len(src.versions):
            version: CorpusVersion = src.versions[step]
            replay.set(src.url_path, version.html)
            moved.append(Transition(src.id, version.number, version.label, version.note, version.kinds,
                                    version.expect, step))
    return moved


def _check(db_path: Path, config: Config, ids: list[str], moved: list[Transition],
           hooks: Hooks) -> dict[str, CheckResult]:
    """One pass over every source; a held large removal gets its confirming re-fetch."""
    results = {r.source_id: r for r in run_pass(db_path, config, ids).results}
    held = [sid for sid, r in results.items() if r.held]
    if held:
        hooks.confirming(held)
        for r in run_pass(db_path, config, held).results:
            first = results[r.source_id]
            first.alerts += r.alerts
            if r.outcome == "error":
                first.outcome, first.error = r.outcome, r.error
    return results


def _deliver_and_collect(db_path: Path, config: Config, hook: WebhookReceiver, seen_count: int,
                         by_version: dict[tuple[str, int], Transition], others: list[Seen], hooks: Hooks,
                         deliver: Callable[[Any], Any]) -> int:
    """Deliver queued alerts, then attribute every newly received payload to its transition."""
    db = store.open_db(db_path)
    try:
        deliver(db)
        payloads = hook.payloads
        for payload in payloads[seen_count:]:
            for seen in _resolve(db, payload):
                t = None
                if seen.change is not None:
                    t = by_version.get((str(seen.source_id), int(seen.change["to_version"])))
                if t is not None and all(a.alert_id != seen.alert_id for a in t.alerts):
                    t.alerts.append(seen)
                elif t is None:
                    others.append(seen)
                hooks.alert(seen, t)
    finally:
        db.close()
    return len(payloads)


def _resolve(db: Any, payload: Payload) -> list[Seen]:
    out = []
    for alert_id in payload.alert_ids:
        row = store.alert_row(db, alert_id)
        if row is None:
            continue
        change = store.change_row(db, row["change_id"]) if row["change_id"] is not None else None
        out.append(Seen(alert_id, row["source_id"], row["event"], change, row.get("detail")))
    return out


def _score(t: Transition) -> None:
    """Compare the alerts that arrived with the transition's labels (same rules as monitor.quality)."""
    if t.label != "material":
        t.extra = [a.change for a in t.alerts if a.change]
        return
    changes = [store.change_from_row(a.change) for a in t.alerts if a.change]
    missed, extra = match([dict(e) for e in t.expect], changes)
    t.missed = missed
    t.extra = [_change_dict(c) for c in extra]


def _change_dict(c: Change) -> dict[str, Any]:
    return {"category": c.category, "kind": c.kind, "summary": c.summary}


def _rows(db_path: Path, corpus: list[CorpusSource], transitions: list[Transition]) -> list[SourceRow]:
    db = store.open_db(db_path)
    try:
        rows = []
        for src in corpus:
            mine = [t for t in transitions if t.source_id == src.id]
            latest = store.latest_version(db, src.id)
            rows.append(SourceRow(
                source_id=src.id, versions_stored=store.version_count(db, src.id),
                claims_latest=latest["claim_count"] if latest else 0,
                material_edits=sum(t.label == "material" for t in mine),
                material_alerted=sum(t.label == "material" and t.ok for t in mine),
                alerts_received=sum(len(t.alerts) for t in mine),
                cosmetic_edits=sum(t.label == "cosmetic" for t in mine),
                cosmetic_alerted=sum(t.label == "cosmetic" and bool(t.alerts) for t in mine)))
        return rows
    finally:
        db.close()
