"""The labelled demo/fixture corpus: five Semax pages, each with an edit history.

Why this exists: the claim engine must alert on material edits (a dose, a legal status, an
evidence grade, a side effect) and stay quiet on page furniture. Judging that needs pages
whose every change is *labelled*. Each source ships as package data under
``monitor/corpus_data/<id>/``:

- ``page.html``   the base template; churn goes through ``[[name]]`` placeholders.
- ``history.yaml`` versions; each one is the previous one plus ``edits`` (exact,
  single-occurrence text replacements on the template) and ``vars`` overrides.

Every transition carries ``label`` (cosmetic | material), a ``note``, ``kinds`` from a fixed
vocabulary and ``expect`` (the material claim changes a claim-level diff must report). The
loader validates all of it, so a stale edit fails loudly instead of silently rotting.

Pure: reads package data through :mod:`importlib.resources`, never the network.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

import yaml

from monitor.models import CATEGORIES

DATA_PACKAGE = "monitor.corpus_data"
LABELS = ("cosmetic", "material")
EXPECT_KINDS = ("added", "removed", "changed")

COSMETIC_KINDS = frozenset({
    "template_churn",       # dates, counters, nonces, sidebar prices, menus, cookie banner, related posts
    "markup_churn",         # class names, wrapper divs, <b> -> <strong>, attribute order
    "typo_fix",             # spelling fixed outside any claim
    "paragraph_reorder",    # paragraphs / sections / list items reordered
    "claim_moved",          # a claim moved to another section, wording kept
    "sentence_split",       # one claim sentence split in two
    "sentences_joined",     # two sentences joined into one
    "claim_reworded",       # claim reworded, same value
    "unit_conversion",      # same dose in other units (300 mcg -> 0.3 mg)
    "whitespace_quotes",    # whitespace, indentation, curly/straight quotes
})
MATERIAL_KINDS = frozenset({
    "dose_range_changed",
    "unit_slip",                    # mcg <-> mg slip
    "frequency_changed",
    "drops_changed",
    "dosing_added",
    "dosing_removed",
    "legality_negation_flipped",    # approved <-> not approved
    "authority_dropped",            # "FDA or EMA" -> "FDA"
    "prohibition_added",            # e.g. WADA
    "disclaimer_removed",           # the FDA "not evaluated" disclaimer
    "evidence_grade_changed",       # Low -> Moderate, prose or table cell
    "evidence_study_type_changed",  # animal studies -> human trials
    "evidence_strength_changed",    # small/anecdotal -> large controlled trials
    "side_effect_added",
    "side_effect_removed",
    "safety_warning_removed",
})
EDIT_KINDS = COSMETIC_KINDS | MATERIAL_KINDS

_PLACEHOLDER = re.compile(r"\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]")


@dataclass(frozen=True)
class CorpusVersion:
    """One rendered version; ``expect`` compares it with the previous version."""

    number: int  # 1-based, like the history DB
    label: str  # initial | cosmetic | material
    note: str
    html: str
    expect: tuple[dict[str, str], ...]
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorpusSource:
    id: str
    name: str
    url_path: str
    versions: tuple[CorpusVersion, ...]


def render(template: str, vars: Mapping[str, str]) -> str:
    """Replace every ``[[name]]`` with the HTML-escaped value of ``vars[name]``.

    An unknown placeholder raises ValueError naming it (a template typo must not ship).
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vars:
            raise ValueError(f"unknown placeholder [[{name}]]")
        return html.escape(str(vars[name]), quote=True)

    return _PLACEHOLDER.sub(substitute, template)


def apply_edit(template: str, old: str, new: str, where: str) -> str:
    """Replace ``old`` by ``new``; ``old`` must occur exactly once, else ValueError."""
    count = template.count(old) if old else 0
    if count != 1:
        found = "not found" if count == 0 else f"found {count} times"
        raise ValueError(f"{where}: edit text {found} (must occur exactly once): {old!r}")
    return template.replace(old, new, 1)


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _check_kinds(raw: Any, label: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(k, str) for k in raw):
        raise _fail(where, "kinds must be a non-empty list of names")
    unknown = sorted(set(raw) - EDIT_KINDS)
    if unknown:
        raise _fail(where, f"unknown edit kind(s) {unknown}")
    material = set(raw) & MATERIAL_KINDS
    if label == "cosmetic" and material:
        raise _fail(where, f"cosmetic transition lists material kind(s) {sorted(material)}")
    if label == "material" and not material:
        raise _fail(where, "material transition lists no material kind")
    return tuple(raw)


def _check_expect(raw: Any, label: str, where: str) -> tuple[dict[str, str], ...]:
    items = raw or []
    if not isinstance(items, list):
        raise _fail(where, "expect must be a list")
    if label == "cosmetic" and items:
        raise _fail(where, "cosmetic transition must have an empty expect")
    if label == "material" and not items:
        raise _fail(where, "material transition must list its expected changes")
    out = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"category", "kind", "detail"}:
            raise _fail(where, f"bad expect entry {item!r}")
        if item.get("category") not in CATEGORIES or item.get("kind") not in EXPECT_KINDS:
            raise _fail(where, f"bad expect category/kind {item!r}")
        out.append({k: str(v) for k, v in item.items()})
    return tuple(out)


def _apply_edits(template: str, raw: Any, where: str) -> str:
    edits = raw or []
    if not isinstance(edits, list):
        raise _fail(where, "edits must be a list")
    for edit in edits:
        if not isinstance(edit, dict) or set(edit) != {"replace", "with"}:
            raise _fail(where, f"edit must have exactly 'replace' and 'with': {edit!r}")
        template = apply_edit(template, str(edit["replace"]), str(edit["with"]), where)
    return template


def build_versions(source_id: str, template: str, entries: list[Any]) -> tuple[CorpusVersion, ...]:
    """Apply the history entries cumulatively to ``template``; validate every field."""
    if not entries:
        raise ValueError(f"{source_id}: history has no versions")
    versions: list[CorpusVersion] = []
    values: dict[str, str] = {}
    previous_html = None
    for number, entry in enumerate(entries, start=1):
        where = f"{source_id} version {number}"
        if not isinstance(entry, dict):
            raise _fail(where, "version entry must be a mapping")
        label = entry.get("label")
        if number == 1:
            if label != "initial" or entry.get("edits"):
                raise _fail(where, "first version must be label 'initial' without edits")
            kinds: tuple[str, ...] = ()
            expect: tuple[dict[str, str], ...] = ()
        else:
            if label not in LABELS:
                raise _fail(where, f"label must be one of {LABELS}, got {label!r}")
            if not str(entry.get("note") or "").strip():
                raise _fail(where, "transition needs a note")
            kinds = _check_kinds(entry.get("kinds"), label, where)
            expect = _check_expect(entry.get("expect"), label, where)
        overrides = {str(k): str(v) for k, v in (entry.get("vars") or {}).items()}
        template = _apply_edits(template, entry.get("edits"), where)
        unused = sorted(set(overrides) - set(_PLACEHOLDER.findall(template)))
        if unused:
            raise _fail(where, f"vars not used by the template: {unused}")
        values.update(overrides)
        try:
            page = render(template, values)
        except ValueError as err:
            raise _fail(where, str(err)) from None
        if page == previous_html:
            raise _fail(where, "version renders identical to the previous one")
        previous_html = page
        versions.append(CorpusVersion(number, label, str(entry.get("note") or ""), page, expect, kinds))
    return tuple(versions)


def source_ids() -> list[str]:
    """Ids of every source folder in the package data, sorted."""
    root = resources.files(DATA_PACKAGE)
    return sorted(
        p.name for p in root.iterdir()
        if p.is_dir() and p.joinpath("history.yaml").is_file()
    )


def load_source(source_id: str) -> CorpusSource:
    """One source with all its rendered versions; ValueError if unknown or invalid."""
    if source_id not in source_ids():
        raise ValueError(f"unknown corpus source {source_id!r}; known: {', '.join(source_ids())}")
    folder = resources.files(DATA_PACKAGE).joinpath(source_id)
    template = folder.joinpath("page.html").read_text(encoding="utf-8")
    history = yaml.safe_load(folder.joinpath("history.yaml").read_text(encoding="utf-8"))
    if not isinstance(history, dict) or history.get("source") != source_id:
        raise ValueError(f"{source_id}: history.yaml must be a mapping with source: {source_id}")
    url_path = str(history.get("url_path") or "")
    if not url_path.startswith("/"):
        raise ValueError(f"{source_id}: url_path must start with '/'")
    versions = build_versions(source_id, template, history.get("versions") or [])
    return CorpusSource(source_id, str(history.get("name") or source_id), url_path, versions)


def load_corpus() -> list[CorpusSource]:
    """Every source, ordered by id."""
    return [load_source(source_id) for source_id in source_ids()]
