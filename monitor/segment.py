"""Split normalised main text into units a claim extractor can read one at a time.

Why not just sentences: health pages state their most important facts outside prose —
in bullet lists, in two-column tables flattened to ``"Evidence Level\\n\\nLow"``, in
``"Dose: 300 mcg"`` lines and in FAQ blocks whose answer ("Yes, ...") means nothing
without its question. Each of those becomes one unit here, so an extractor sees a label
together with its value and an answer together with its question (in ``context``).

Input: NFKC-normalised text, paragraphs separated by blank lines, lines by ``"\\n"``.
Each line is classified as one of

* ``list``     — starts with a bullet (``•``, ``-``, ``*``, ``1.``, ``a)`` ...); marker stripped;
* ``pipe``     — a table row written with ``|`` separators;
* ``colon``    — a short ``Label: value`` line;
* ``question`` — a line that is a single question (FAQ question or heading);
* ``short``    — a short line without sentence punctuation (heading, table label or value);
* ``prose``    — anything else; split into sentences with syntok.

Runs of consecutive ``short`` lines are then resolved: the last one is a heading when
prose, a list or a question follows it and it looks like a title; the rest pair up from
the end as ``label + value`` table rows (tables follow their heading, so pairing from
the end keeps a heading above a table out of the first row). Lines following a line that
ends in ``:`` are list items.

Every unit keeps exact offsets: ``text[unit.start:unit.end] == unit.text``. A table row
made from two lines therefore contains the whitespace between them; use
:func:`label_value` to get the two halves. ``segment`` never raises and is deterministic.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Iterator

from syntok import segmenter as syntok_segmenter

from monitor.models import TextUnit

_BULLET_RE = re.compile(r"[ \t]*(?:[•·▪◦‣●○■□►▶✓✔➤–—*+-]|\d{1,3}[.)]|\(?[a-zA-Z]\))[ \t]+(?=\S)")
_PIPE_SEP_RE = re.compile(r"^[\s|:+-]*$")
_COLON_RE = re.compile(r"([^:\n]{1,40}?)[ \t]*:[ \t]*(\S[^\n]*)")
# A sentence boundary inside a line: terminal punctuation, optional closers, space, more text.
_INNER_STOP_RE = re.compile(r"[.!?][\"')\]]*\s+\S")
_WORD_RE = re.compile(r"\S+")

MAX_SHORT_WORDS = 12
MAX_LABEL_WORDS = 5
MAX_QUESTION_WORDS = 30
_MINOR_WORDS = frozenset("a an and as at by for from in into of on or the to vs with".split())


@dataclass(frozen=True)
class _Line:
    kind: str  # list | pipe | colon | question | short | prose | intro
    start: int
    end: int
    text: str


def segment(text: str) -> list[TextUnit]:
    """Units of ``text`` in document order (see module docstring)."""
    if not isinstance(text, str) or not text.strip():
        return []
    lines = _classify(text)
    units: list[TextUnit] = []
    heading = ""
    question = ""
    for kind, start, end, extra in _resolve(lines):
        unit_text = text[start:end]
        if kind == "heading":
            units.append(TextUnit(unit_text, start, end, "heading", heading))
            if unit_text.rstrip().endswith("?"):
                question = unit_text
            else:
                heading, question = unit_text, ""
            continue
        context = question or heading
        if kind == "prose":
            unit_kind = "faq" if question else "sentence"
            for s, e in _sentences(text, start, end):
                units.append(TextUnit(text[s:e], s, e, unit_kind, context))
        elif kind == "list" and extra:
            for s, e in _sentences(text, start, end):
                units.append(TextUnit(text[s:e], s, e, "list_item", context))
        else:
            header = _pipe_header(units, unit_text) if kind == "table_row" else None
            if header:  # a row under a header row: the header names its columns ("Substance | FDA | EMA")
                context = f"{context}\n{header}" if context else header
                _mark_header(units, header)
            units.append(TextUnit(unit_text, start, end, kind, context))
    return units


def cells(text: str) -> list[str]:
    """The cells of a pipe-table row, stripped ("| a | b |" → ["a", "b"])."""
    return [c.strip() for c in text.strip().strip("|").split("|")]


# Column names a two-column table may have ("Side effect | Frequency", "Country | Status").
_HEADER_WORDS = frozenset("side effect,side effects,effect,adverse effect,adverse reaction,reaction,frequency,how common,country,"
                          "status,legal status,authority,agency,regulator,region,jurisdiction,substance,product,peptide,study,"
                          "design,type,study type,evidence,grade,level".split(","))


def _pipe_header(units: list[TextUnit], row: str) -> str | None:
    """The header row of the pipe table ``row`` belongs to, when it has one.

    The header is the first row of the run of pipe rows just before ``row``: it has as many
    cells as ``row`` (three or more), and none of them holds a digit (column names, not data).
    """
    if "|" not in row:
        return None
    first = None
    for unit in reversed(units):
        if unit.kind == "heading" and "|" in unit.text:
            first = unit  # the header already found for a row above
            break
        if unit.kind != "table_row" or "|" not in unit.text:
            break
        first = unit
    if first is None:
        return None
    head = cells(first.text)
    if len(head) < 2 or len(head) != len(cells(row)) or any(ch.isdigit() for cell in head for ch in cell):
        return None
    if len(head) == 2 and not all(c.lower() in _HEADER_WORDS for c in head):
        return None  # two cells are a label and its value ("Route | Subcutaneous") unless both are column names
    return first.text.strip()


def _mark_header(units: list[TextUnit], header: str) -> None:
    """The header row states nothing itself (its cells are column names): read it as a heading."""
    for i in range(len(units) - 1, -1, -1):
        if units[i].kind != "table_row":
            return
        if units[i].text.strip() == header:
            units[i] = dataclasses.replace(units[i], kind="heading")
            return


def labelled_row(unit: TextUnit) -> str | None:
    """A pipe-table row read with its column names: "FDA: not approved | EMA: not approved".

    For reading only (offsets stay the unit's): a row such as "Cerebrolysin | not approved |
    not listed" says nothing until each cell is put under its header ("Substance | FDA | WADA").
    """
    if unit.kind != "table_row" or "|" not in unit.text or not unit.context:
        return None
    header = unit.context.rsplit("\n", 1)[-1]
    head, row = cells(header), cells(unit.text)
    if "|" not in header or len(head) != len(row):
        return None
    return " | ".join(f"{h}: {c}" for h, c in zip(head, row) if c)


def label_value(unit: TextUnit) -> tuple[str, str] | None:
    """``("Evidence Level", "Low")`` for a table-row unit, None when it has no label/value split."""
    if unit.kind != "table_row":
        return None
    text = unit.text
    if "|" in text:
        filled = [c for c in cells(text) if c]
        return (filled[0], " | ".join(filled[1:])) if len(filled) >= 2 else None
    if "\n" in text:
        label, _, value = text.partition("\n")
        return label.strip(), value.strip()
    m = _COLON_RE.fullmatch(text.strip())
    return (m.group(1).strip(), m.group(2).strip()) if m else None


# Infobox and table cells whose separator the page's markup lost: "Legal statusUnscheduled",
# "Typical Cycle Length4–6 weeks". A lowercase run of two or more letters (three when the word
# starts there) meets a capital or a number. Brand names written in camel case are not cells.
_CELL_JOIN_RE = re.compile(r"(?:(?<=[A-Z][a-z]{2})|(?<=[a-z]{3}))(?=[A-Z][a-z]|[A-Z]{2}\b|[A-Z]:|\d)")
_CAMEL_WORDS = frozenset("youtube pubmed paypal linkedin github iphone ipad whatsapp wordpress javascript tiktok "
                         "mastercard facebook reddit instagram woocommerce shopify biontech glaxosmithkline "
                         "powerpoint sciencedirect researchgate clinicaltrials".split())


def cell_breaks(text: str) -> list[int]:
    """Offsets in ``text`` where two run-together table cells meet (see ``_CELL_JOIN_RE``), else []."""
    if _INNER_STOP_RE.search(text) or len(text) > 200:
        return []
    out = []
    for m in _CELL_JOIN_RE.finditer(text):
        i = m.start()
        a = i
        while a > 0 and text[a - 1].isalpha():
            a -= 1
        b = i
        while b < len(text) and text[b].isalnum():
            b += 1
        if text[a:b].lower() in _CAMEL_WORDS or text[i].isdigit() and text[a:i].lower() in ("mg", "mcg", "ml", "covid", "vitamin"):
            continue
        out.append(i)
    return out


def split_cells(text: str, sep: str = " | ") -> str:
    """``text`` with ``sep`` inserted at every :func:`cell_breaks` offset (for reading, not for offsets)."""
    breaks = cell_breaks(text)
    if not breaks:
        return text
    parts, pos = [], 0
    for i in breaks:
        parts.append(text[pos:i])
        pos = i
    parts.append(text[pos:])
    return sep.join(parts)


# --- line classification -------------------------------------------------------------


def _iter_lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for raw in text.split("\n"):
        yield pos, pos + len(raw)
        pos += len(raw) + 1


def _classify(text: str) -> list[_Line]:
    lines: list[_Line] = []
    in_list = False  # set by a line ending in ":"; consecutive plain lines after it are items
    for start, end in _iter_lines(text):
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped:
            in_list = False
            continue
        start += len(raw) - len(raw.lstrip())
        end = start + len(stripped)
        kind = _line_kind(stripped)
        if kind == "skip":
            continue
        if lines and _continues(text, lines[-1], start, stripped):
            prev = lines.pop()
            merged = text[prev.start : end]
            kind = prev.kind if prev.kind == "list" else _line_kind(" ".join(merged.split()))
            lines.append(_Line("prose" if kind in ("question", "intro", "colon") else kind, prev.start, end, merged))
            in_list = in_list and kind == "list"
            continue
        if not any(c.isalnum() for c in stripped):
            _attach_punctuation(text, lines, start, end)
            continue
        if kind == "list":
            m = _BULLET_RE.match(stripped)
            start += m.end() if m else 0
        elif in_list and kind in ("short", "prose") and _n_words(stripped) <= 2 * MAX_SHORT_WORDS:
            kind = "list"
        else:
            in_list = False
        if stripped.endswith(":"):
            in_list = True
        lines.append(_Line(kind, start, end, text[start:end]))
    return lines


_WRAP_WORDS = frozenset("a an the of by in to and or for with from than as at on into under".split())
_WRAP_END_RE = re.compile(r"[.!?:;]['\"”’)\]]*$")


# The last word of an agency's or body's name, which a hard wrap can push onto the next line.
_NAME_REST_RE = re.compile(r"(?:Administration|Agency|Organi[sz]ation|Authority|Commission|Ministry|Canada|Committee)\b")


def _continues(text: str, prev: _Line, start: int, line: str) -> bool:
    """Whether ``line`` is the hard-wrapped rest of the sentence ``prev`` (a plain-text wrap or a ``<br>``).

    The previous line stops without sentence punctuation, has a few words (a one-word table label
    followed by its lowercase value is not a wrap) or ends in a comma, and this line starts in
    lowercase and is not a bullet; at most one blank line lies between.
    """
    if prev.kind not in ("prose", "short", "list") or _WRAP_END_RE.search(prev.text):
        return False
    if _BULLET_RE.match(line) or text.count("\n", prev.end, start) > 2:
        return False
    head = line.lstrip("\"'“‘(")  # a wrapped line may open with a quote: '"not for human consumption" while ...'
    if not head[:1].isalnum():
        return False
    last = prev.text.rsplit(None, 1)[-1].lower()
    if _NAME_REST_RE.match(head) and prev.text.rstrip()[-1:].isalpha() and prev.text.rsplit(None, 1)[-1][:1].isupper():
        return True  # "… by the Food and Drug\nAdministration.": an agency's name broken by the wrap
    if not head[:1].islower():  # "approved by the\nFDA": only after a word that cannot end a sentence
        return last in _WRAP_WORDS and _n_words(prev.text) >= 4
    return prev.text.endswith(",") or _n_words(prev.text) >= 4


def _attach_punctuation(text: str, lines: list[_Line], start: int, end: int) -> None:
    """Rejoin a title split over lines by inline markup ("What is\nSemax\n?")."""
    first = len(lines)
    while first > 0 and lines[first - 1].kind == "short" and "\n\n" not in text[lines[first - 1].end : start]:
        first -= 1
        if _n_words(text[lines[first].start : end]) > MAX_SHORT_WORDS:
            first += 1
            break
    if first == len(lines):
        return
    joined_start = lines[first].start
    del lines[first:]
    kind = _line_kind(text[joined_start:end].replace("\n", " "))
    lines.append(_Line(kind, joined_start, end, text[joined_start:end]))


def _line_kind(line: str) -> str:
    if _BULLET_RE.match(line):
        return "list"
    if "|" in line:
        if _PIPE_SEP_RE.match(line):
            return "skip"
        if line.count("|") >= 1 and len([c for c in line.split("|") if c.strip()]) >= 2:
            return "pipe"
    words = _n_words(line)
    if line.endswith(":") and words <= MAX_LABEL_WORDS + 1:
        return "intro"
    if line.endswith("?") and words <= MAX_QUESTION_WORDS and not _INNER_STOP_RE.search(line[:-1]):
        return "question"
    m = _COLON_RE.fullmatch(line)
    if (
        m
        and re.search(r"[A-Za-z]", m.group(1))
        and _n_words(m.group(1)) <= MAX_LABEL_WORDS
        and words <= MAX_SHORT_WORDS + 2
        and not m.group(2).startswith("//")
        and not _INNER_STOP_RE.search(m.group(2))
    ):
        return "colon"
    if words <= MAX_SHORT_WORDS and line[-1] not in ".!;,:" and not _INNER_STOP_RE.search(line):
        return "short"
    return "prose"


def _n_words(s: str) -> int:
    return len(_WORD_RE.findall(s))


# --- resolving runs of short lines ---------------------------------------------------


def _resolve(lines: list[_Line]) -> Iterator[tuple[str, int, int, bool]]:
    """Yield ``(kind, start, end, split_sentences)`` in order; kinds are unit kinds or 'prose'."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.kind != "short":
            yield _single(line)
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].kind == "short":
            j += 1
        table_next = j < len(lines) and lines[j].kind in ("pipe", "colon")
        yield from _resolve_run(lines[i:j], followed=j < len(lines), caption=table_next)
        i = j


def _single(line: _Line) -> tuple[str, int, int, bool]:
    if line.kind == "list":
        return "list_item" if not _INNER_STOP_RE.search(line.text) else "list", line.start, line.end, True
    if line.kind in ("pipe", "colon"):
        return "table_row", line.start, line.end, False
    if line.kind in ("question", "intro"):
        return "heading", line.start, line.end, False
    return "prose", line.start, line.end, True


def _resolve_run(run: list[_Line], followed: bool, caption: bool = False) -> list[tuple[str, int, int, bool]]:
    """``caption``: a table (pipe or ``Label: value`` rows) follows, so the last short line is its caption."""
    out: list[tuple[str, int, int, bool]] = []
    run = list(run)
    if followed and run and (_title_like(run[-1].text) or len(run) == 1 and run[-1].text[:1].isupper()
                             or caption and _label_like(run[-1].text)):
        single_word_value = _n_words(run[-1].text) == 1 and len(run) >= 2 and _label_like(run[-2].text)
        if not single_word_value:
            out.append(("heading", run[-1].start, run[-1].end, False))
            run.pop()
    while run:
        if len(run) >= 2 and _label_like(run[-2].text):
            out.append(("table_row", run[-2].start, run[-1].end, False))
            run = run[:-2]
        else:
            last = run.pop()
            kind = "heading" if _title_like(last.text) else "prose"
            out.append((kind, last.start, last.end, kind == "prose"))
    out.sort(key=lambda t: t[1])
    return out


def _label_like(s: str) -> bool:
    return _n_words(s) <= MAX_LABEL_WORDS and s[:1].isupper() and s[-1] not in ".!?;,:"


def _title_like(s: str) -> bool:
    """Starts with a capital and most significant words are capitalised (or it is one word)."""
    words = [w for w in _WORD_RE.findall(s) if w.lower() not in _MINOR_WORDS]
    if not words or not (s[:1].isupper() or s[:1].isdigit()) or s[:1].isdigit() and len(words) == 1:
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    return capitalised / len(words) >= 0.6


# --- sentences -------------------------------------------------------------------------


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]`` (one line); falls back to the whole line.

    syntok rather than pysbd: it reports token offsets (no re-finding strings), keeps
    "approx. 2 drops" and "Vol. 3" together, and is about 4x faster on a page.
    """
    chunk = text[start:end]
    if "[" in chunk:  # wiki markers after a stop ("published.[citation needed] If ...") hide the boundary
        chunk = _MARKER_RE.sub(lambda m: " " * len(m.group(0)), chunk)
    if not _INNER_STOP_RE.search(chunk):
        return [(start, end)]
    if "\n" in chunk:  # a hard-wrapped sentence: syntok would read a blank line as a paragraph break
        chunk = chunk.replace("\n", " ")
    plain = _plain_starts(chunk)
    if plain is not None:
        return _spans_from_starts(text[start:end], start, plain)
    try:
        spans = [
            (sent[0].offset, sent[-1].offset + len(sent[-1].value))
            for paragraph in syntok_segmenter.analyze(chunk)
            for sent in paragraph
            if sent
        ]
    except Exception:  # syntok is a heuristic third-party parser; a bad split must not lose text
        return [(start, end)]
    if not spans or any(not (0 <= s < e <= len(chunk)) for s, e in spans):
        return [(start, end)]
    # Stretch each span to the next one so trailing closers syntok dropped stay in a unit.
    return _spans_from_starts(text[start:end], start, [s for s, _ in spans])


def _spans_from_starts(chunk: str, start: int, starts: list[int]) -> list[tuple[int, int]]:
    """Sentences from their start offsets: each runs to the next start, whitespace trimmed."""
    bounded = [(s, starts[i + 1] if i + 1 < len(starts) else len(chunk)) for i, s in enumerate(starts)]
    bounded[0] = (0, bounded[0][1])
    out = []
    for s, e in bounded:
        piece = chunk[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if s < e:
            out.append((start + s, start + e))
    return out or [(start, start + len(chunk))]


_MARKER_RE = re.compile(r"\[(?:\d{1,3}|[a-z]|citation needed|clarification needed|edit|note \d+)\]")
_ABBREVIATIONS = frozenset({"approx", "etc", "vol", "fig", "figs", "inc", "ltd", "dept", "est", "min", "max", "mfg",
                            "cap", "caps", "tab", "tabs", "resp", "viz", "cit", "ibid", "ref", "refs", "nos", "seq",
                            "spp", "var"})
_LOWER_WORD_RE = re.compile(r"[a-z]{3,}")
_BRACKETS_RE = re.compile(r"[()\[\]{}]")


def _plain_starts(chunk: str) -> list[int] | None:
    """Sentence starts when every stop in the line is unambiguous, else None (then syntok decides).

    Unambiguous: "…word. Next", "…word? Next" with a plain lowercase word (not an abbreviation)
    before the stop, nothing between the stop and the space, a capital after it, and no
    brackets in the line. That is most prose, and it skips syntok's tokenizer for it;
    abbreviations ("e.g.", "Dr.", "U.S.", "approx."), numbers, quotes and brackets all go to
    syntok. A property test checks both agree wherever the fast path answers.
    """
    if _BRACKETS_RE.search(chunk):  # syntok treats bracketed text specially
        return None
    starts = [0]
    for m in _INNER_STOP_RE.finditer(chunk):
        stop = m.start()
        begin = stop
        while begin > 0 and not chunk[begin - 1].isspace():
            begin -= 1
        word = chunk[begin:stop]
        if not _LOWER_WORD_RE.fullmatch(word) or word in _ABBREVIATIONS:
            return None
        if m.group(0)[1:-1].strip() or not m.group(0)[-1].isupper():
            return None
        starts.append(m.end() - 1)
    return starts
