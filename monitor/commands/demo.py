"""``monitor demo``: replay the bundled corpus through the real pipeline and tell the story.

The work (servers, passes, delivery, scoring) is in :mod:`monitor.demo`; this module only
prints: each step as it happens, the alerts that reached the webhook, a summary table scored
against the corpus labels, and the next commands to try with the real paths.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor import store
from monitor.demo import DemoResult, Hooks, Seen, Transition, default_workdir, run_demo
from monitor.commands.output import output_options
from monitor.errors import ClaimwatchError
from monitor.pipeline import CheckResult
from monitor.replay import ReplayServer, WebhookReceiver

_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "cyan"}
SENTENCE_MAX = 90


def shorten(text: str | None, limit: int = SENTENCE_MAX) -> str:
    """One line, at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else flat[: limit - 1]) + "…"


def changed_window(old: str, new: str, limit: int = 70) -> tuple[str, str]:
    """The part of two sentences that differs, with a few words of context, each at most ``limit`` chars.

    Two sentences that share a long opening would look identical once shortened; this cuts the
    shared start and end so the reader sees what actually changed.
    """
    a, b = " ".join(old.split()), " ".join(new.split())
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    context = 24

    def window(text: str) -> str:
        lo = max(0, start - context)
        lo = text.rfind(" ", 0, lo) + 1 if lo else 0
        hi = min(len(text), len(text) - end + context)
        space = text.find(" ", hi)
        hi = len(text) if space == -1 else space
        piece = ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
        return shorten(piece, limit)

    return window(a), window(b)


def alert_line(seen: Seen, t: Transition | None) -> list[str]:
    """``[ningbo v3] HIGH dosage (intranasal): 0.3–0.6 mg → 3–6 mg`` and the sentences, as markup."""
    where = f"[{seen.source_id} v{t.number}]" if t else f"[{seen.source_id}]"
    if seen.change is None:
        what = {"broken": "fetching is broken", "recovered": "fetching works again"}.get(seen.event, seen.event)
        return [f"    {escape(where)} [bold yellow]{what}[/] [dim]{escape(shorten(seen.detail, 80))}[/]"]
    ch = seen.change
    sev = str(ch.get("severity") or "low")
    lines = [f"    {escape(where)} [{_SEVERITY_STYLE.get(sev, '')}]{sev.upper()}[/] {escape(ch.get('summary') or '')}"]
    old, new = ch.get("old_text"), ch.get("new_text")
    if old and new:
        before, after = changed_window(old, new)
        lines.append(f"        [dim]“{escape(before)}”[/]")
        lines.append(f"        [dim]→ “{escape(after)}”[/]")
    elif new:
        lines.append(f"        [dim]+ “{escape(shorten(new))}”[/]")
    elif old:
        lines.append(f"        [dim]- “{escape(shorten(old))}”[/]")
    return lines


def transition_line(t: Transition) -> str:
    head = f"  {t.source_id:<11} v{t.number:<3}"
    note = escape(shorten(t.note, 70))
    stored = (f"stored as version {t.db_version}" if t.db_version else "main text unchanged, no new version")
    if t.held:
        stored += " (large removal held, confirmed by a re-fetch)"
    if t.outcome in ("error", "blocked"):
        return f"{head}[bold red]{t.label}[/] ({note}) — fetch {t.outcome}: {escape(shorten(t.error, 70))}"
    if t.label == "cosmetic":
        if not t.alerts:
            if t.db_version:
                stored += ", no material claim change"
            return f"{head}[green]cosmetic[/] ({note}) — no alert [dim]({stored})[/]"
        return f"{head}[bold red]cosmetic[/] ({note}) — ALERTED: false alarm [dim]({stored})[/]"
    count = f"{len(t.alerts)} alert{'s' if len(t.alerts) != 1 else ''}"
    if t.ok:
        return f"{head}[bold magenta]material[/] ({note}) → {count} [dim]({stored})[/]"
    missing = ", ".join(f"{m['category']} {m['kind']}" for m in t.missed)
    return f"{head}[bold magenta]material[/] ({note}) → {count}, [bold red]MISSED {escape(missing)}[/] [dim]({stored})[/]"


class _Story:
    """The Hooks implementation printing the run as it goes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pending: dict[int, list[Seen]] = {}
        self.db_path: Path | None = None
        self.loose: list[Seen] = []

    def hooks(self) -> Hooks:
        return Hooks(started=self.started, step=self.step, confirming=self.confirming, alert=self.alert,
                     step_done=self.step_done)

    def started(self, workdir: Path, replay: ReplayServer, hook: WebhookReceiver, config_path: Path) -> None:
        c = self.console
        c.print(f"  replay server   {replay.url('/')}  (the five corpus pages, one version at a time)")
        c.print(f"  webhook         {hook.url('/claimwatch')}  (channel 'webhook', Apprise json://)")
        c.print(f"  config          {config_path}")
        self.db_path = workdir / "snapshots" / "history.db"
        c.print(f"  history         {self.db_path}")

    def step(self, step: int, steps: int, moved: list[Transition], results: dict[str, CheckResult]) -> None:
        c = self.console
        if step == 0:
            c.print("\n[bold]step 0[/] · first fetch of every source (version 1, nothing to compare yet)")
            counts = self._claim_counts()
            for sid, r in sorted(results.items()):
                what = (f"stored as version {r.version}, {counts.get(sid, 0)} claims" if r.version
                        else f"[bold red]{r.outcome}[/] {escape(r.error or '')}")
                c.print(f"  {sid:<11} v1   {what}")
            return
        c.print(f"\n[bold]step {step}/{steps}[/] · every source moves to its next edit, one real check pass")

    def _claim_counts(self) -> dict[str, int]:
        if self.db_path is None:
            return {}
        db = store.open_db(self.db_path)
        try:
            return store.first_version_claim_counts(db)
        finally:
            db.close()

    def confirming(self, ids: list[str]) -> None:
        self.console.print(f"  [dim]large removal held on {', '.join(ids)}: fetching again to confirm it[/]")

    def alert(self, seen: Seen, t: Transition | None) -> None:
        if t is None:
            self.loose.append(seen)
        else:
            self.pending.setdefault(id(t), []).append(seen)

    def step_done(self, step: int, moved: list[Transition]) -> None:
        for t in moved:
            self.console.print(transition_line(t))
            for seen in self.pending.pop(id(t), []):
                for line in alert_line(seen, t):
                    self.console.print(line)
        for seen in self.loose:
            for line in alert_line(seen, None):
                self.console.print(line)
        self.loose.clear()


def summary_table(result: DemoResult) -> Table:
    table = Table(title="claimwatch demo · summary (truth: the corpus labels)", title_justify="left")
    cols = ("source", "versions\nstored", "claims\n(latest)", "material\nedits", "material\nalerted",
            "alerts\nreceived", "cosmetic\nedits", "cosmetic\nalerted")
    for i, col in enumerate(cols):
        table.add_column(col, justify="left" if i == 0 else "right")
    for r in result.rows:
        table.add_row(r.source_id, str(r.versions_stored), str(r.claims_latest), str(r.material_edits),
                      _ratio(r.material_alerted, r.material_edits), str(r.alerts_received), str(r.cosmetic_edits),
                      _bad(r.cosmetic_alerted))
    total = lambda name: sum(getattr(r, name) for r in result.rows)  # noqa: E731
    table.add_row("[bold]total[/]", str(total("versions_stored")), str(total("claims_latest")),
                  str(total("material_edits")), _ratio(total("material_alerted"), total("material_edits")),
                  str(total("alerts_received")), str(total("cosmetic_edits")), _bad(total("cosmetic_alerted")),
                  end_section=True)
    return table


def _ratio(ok: int, of: int) -> str:
    return f"[{'green' if ok == of else 'bold red'}]{ok}/{of}[/]"


def _bad(n: int) -> str:
    return f"[{'green' if n == 0 else 'bold red'}]{n}[/]"


def next_commands(result: DemoResult, serving: bool) -> list[str]:
    db, cfg = result.db_path, result.config_path
    latest = {r.source_id: r.versions_stored for r in result.rows}
    lines = []
    if latest.get("ningbo", 0) > 1:
        lines.append(f"monitor diff ningbo@1 ningbo@{latest['ningbo']} --db {db}   # first vs latest version")
    lines += [f"monitor diff ningbo --since {result.started_utc.isoformat()} --db {db}   # every stored change",
              f"monitor claims --compare --db {db}", f"monitor history ionblue --db {db}"]
    from monitor.commands import COMMANDS

    if any(c.name == "serve" for c in COMMANDS):
        lines.append(f"monitor serve --db {db}")
    check = f"monitor check --config {cfg} --db {db} --source ningbo"
    lines.append(check if serving else check + "   # needs the replay server: run the demo with --keep")
    return lines


def print_report(console: Console, result: DemoResult, serving: bool) -> None:
    console.print()
    console.print(summary_table(result))
    ok = not result.failures
    console.print(f"[bold {'green' if ok else 'red'}]{result.score_line()}[/]  "
                  f"[dim]({result.payloads} webhook payloads, {result.steps} steps, {result.elapsed:.1f} s)[/]")
    errors = sum(t.outcome in ("error", "blocked") for t in result.transitions)
    if errors:
        console.print(f"[bold red]{errors} fetches failed[/]; details in {result.log_path}")
    for t in result.failures:
        if t.label == "material":
            why = ("nothing arrived" if not t.alerts else
                   "missing " + ", ".join(f"{m['category']} {m['kind']} ({m.get('detail', '')})" for m in t.missed))
        else:
            why = "false alarm: " + "; ".join(str(e.get("summary")) for e in t.extra)
        console.print(f"  [red]✗[/] {t.source_id} v{t.number} {t.label} ({escape(shorten(t.note, 70))}): "
                      f"{escape(why)}")
    console.print("\n[bold]Next, explore what was stored:[/]")
    for line in next_commands(result, serving):
        console.print(f"  {escape(line)}", soft_wrap=True)


def _wait_for_interrupt(console: Console) -> None:
    """Block until Ctrl-C or SIGTERM (handled alike, even where the shell ignores SIGINT)."""
    console.print("\n[bold]--keep:[/] the replay server and webhook stay up; press Ctrl-C to stop.")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *a: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopping the servers.")


@click.command("demo")
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Work directory to create (must be new or empty). Default: ./claimwatch-demo-YYYYmmdd-HHMMSS.")
@click.option("--cycles", type=click.IntRange(min=0), default=None,
              help="Replay only this many steps (default: all, the longest edit history).")
@click.option("--keep", is_flag=True,
              help="Keep the replay server and webhook running after the summary, until Ctrl-C, "
                   "so the printed `monitor check` command works against them.")
@click.option("--no-color", is_flag=True, help="Plain output without colours.")
@output_options(what="the summary (json: a JSON summary on stdout, the running story on stderr)")
def demo(workdir: Path | None, cycles: int | None, keep: bool, no_color: bool, fmt: str) -> None:
    """Replay five real-looking Semax pages and their labelled edits through the real pipeline, offline.

    Creates a fresh work directory (sources.yaml, snapshots/history.db) and writes nothing
    outside it; the directory is always left for you to explore (delete it when done). Local
    servers on 127.0.0.1 serve the pages and receive the alerts (Apprise json://). Each step
    moves every page to its next edit and runs a real check pass plus alert delivery; the
    summary scores what reached the webhook against the corpus labels.

    \b
    Exit codes:
      0  the demo ran (missed labels are printed, not fatal)
      2  it could not run (work directory not empty, a server failed to start, …)
    """
    as_json = fmt == "json"
    console = Console(stderr=as_json, no_color=no_color, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 120  # piped: do not squeeze the table to 80 columns
    target = workdir if workdir is not None else default_workdir()
    console.print(f"[bold]claimwatch demo[/] · work directory: {target.absolute()}", soft_wrap=True)
    story = _Story(console)
    hooks = story.hooks()
    if keep:
        hooks.finished = lambda done: (print_report(console, done, True), _wait_for_interrupt(console))
    try:
        result = run_demo(target, cycles, hooks)
    except ClaimwatchError:
        raise
    except Exception as exc:  # the demo must fail with a reason, not a traceback
        click.echo(f"error: demo failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    if not keep:
        print_report(console, result, False)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
