"""HTML → main text, normalised; and the fingerprint that decides "did the text change".

Why our own renderer on top of lxml: claims live in structure that generic text extractors
flatten or drop (summary tables such as "Evidence Level | Low", bullet lists, FAQ answers).
We keep that structure as lines: a table row becomes ``cell | cell``, a list item ``• text``,
every block its own paragraph. Page furniture (nav, header, footer, aside, cookie banners,
sidebars, newsletter boxes, scripts) is dropped before rendering.

Choosing the main content: the source's CSS ``selector`` when configured; else the most
text-rich of ``article`` / ``main`` / ``[role=main]``; else trafilatura's boilerplate
removal (it handles arbitrary templates well), rendered the same way.

Two texts come out: ``text`` (stored, shown, used for claims) and ``comparison_key(text)``,
which masks volatile tokens — dates, times, view counters, "reading time" — so that a date
stamp inside the article does not make a new version. Numbers with units are never masked.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from typing import Iterator

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

_DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button",
              "input", "select", "textarea", "nav", "footer", "aside", "object", "embed", "head", "meta",
              "link", "img", "picture", "video", "audio", "dialog"}
_BOILER_RE = re.compile(
    r"(^|[\s_-])(cookie|consent|gdpr|banner|sidebar|side-bar|widget|newsletter|subscribe|related|share|"
    r"sharing|social|comments?|advert|ads?|promo|popup|modal|breadcrumbs?|menu|navbar|nav|footer|"
    r"masthead|site-header|signup|toolbar|pagination|author-box|tags?)($|[\s_-])", re.I)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
               "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "dl", "dt", "dd", "blockquote",
               "pre", "figure", "figcaption", "details", "summary", "address", "hr", "br", "caption"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"), None)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u00ab": '"', "\u00bb": '"', "\u2212": "-"})


@dataclass(frozen=True)
class MainText:
    title: str
    text: str
    # why the parser could not read all of the page (e.g. nesting past libxml2's limit); shown
    # as the reason when the page is refused, instead of a misleading "empty page"
    problem: str = ""

    @functools.cached_property
    def text_hash(self) -> str:
        return hashlib.sha256(comparison_key(self.text).encode()).hexdigest()


def normalise(text: str) -> str:
    """NFKC, straight quotes, no invisible characters, collapsed spaces, at most one blank line."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_QUOTES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_VOLATILE = [
    re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.I),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}\b", re.I),
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?\b"),
    re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\b", re.I),
    re.compile(r"\b[\d,.]+\s*[kKmM]?\s+(?:views?|reads?|readers|shares?|comments?|likes?|visits?|"
               r"visitors|people (?:are )?(?:viewing|reading))\b", re.I),
    re.compile(r"\b(?:views?|reads?|shares?|comments?|likes?|visitors)\s*:\s*[\d,.]+\s*[kKmM]?", re.I),
    re.compile(r"\b(?:reading time|read time)\s*:?\s*\d+\s*(?:min(?:ute)?s?)?|\b\d+\s*min(?:ute)?s?\s+read\b",
               re.I),
    re.compile(r"\b(?:\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago)\b", re.I),
    re.compile(r"©\s*\d{4}"),
]


def comparison_key(text: str) -> str:
    """Text with volatile tokens masked: what "the page's text changed" is decided on."""
    for pattern in _VOLATILE:
        text = pattern.sub("\u2400", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def _is_boilerplate(el: HtmlElement) -> bool:
    attrs = " ".join([el.get("id") or "", " ".join((el.get("class") or "").split()), el.get("role") or ""])
    if el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog"):
        return True
    return bool(attrs.strip()) and bool(_BOILER_RE.search(attrs))


def _is_element(node: object) -> bool:
    return isinstance(getattr(node, "tag", None), str)


def _clean(root: HtmlElement) -> None:
    """Drop comments, furniture tags and boilerplate containers, keeping the text that follows them."""
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(node)
    for el in list(root.iter(*_DROP_TAGS)):
        if el is not root:
            _drop(el)
    for el in list(root.iter()):
        if el is not root and _is_element(el) and el.getparent() is not None and _attached(el, root) \
                and el.tag not in ("html", "body", "article", "main") and _is_boilerplate(el):
            _drop(el)


def _attached(el: HtmlElement, root: HtmlElement) -> bool:
    """Still inside ``root`` (an ancestor may have been dropped already)."""
    for parent in el.iterancestors():
        if parent is root:
            return True
    return False


def _drop(node: HtmlElement) -> None:
    """Remove a node with its subtree but keep its tail text (what follows it in the parent)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    if tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def _children(el: HtmlElement) -> Iterator[str | HtmlElement]:
    """Text and element children in document order (what bs4 calls ``.children``)."""
    if el.text:
        yield el.text
    for child in el:
        if _is_element(child):
            yield child
        if child.tail:
            yield child.tail


def _render(root: HtmlElement) -> str:
    """Block-structured text: blocks separated by blank lines, rows/items by newlines."""
    out: list[str] = []

    def inline(el: HtmlElement) -> str:
        parts: list[str] = []
        for child in _children(el):
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            else:
                parts.append(inline(child) if child.tag not in _BLOCK_TAGS else "\n" + inline(child) + "\n")
        return "".join(parts)

    def emit(text: str, sep: str = "\n\n") -> None:
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            out.append(text + sep)

    def walk(el: HtmlElement) -> None:
        buf: list[str] = []

        def flush() -> None:
            if buf:
                emit("".join(buf))
                buf.clear()

        for child in list(_children(el)):
            if isinstance(child, str):
                buf.append(child)
                continue
            name = child.tag
            if name not in _BLOCK_TAGS:
                buf.append(inline(child))
                continue
            flush()
            if name == "br":
                buf.append("\n")
            elif name == "tr":
                cells = [re.sub(r"\s+", " ", inline(c)).strip() for c in child if _is_element(c) and c.tag in ("td", "th")]
                emit(" | ".join(c for c in cells if c), "\n")
            elif name == "li":
                nested = next((d for d in child.iterdescendants("ul", "ol")), None)
                if nested is not None:
                    _drop(nested)
                emit("• " + re.sub(r"\s+", " ", inline(child)), "\n")
                if nested is not None:
                    walk(nested)
            elif name in ("ul", "ol", "table", "thead", "tbody", "tfoot", "dl"):
                walk(child)
                out.append("\n")
            elif name in ("dt", "dd"):
                emit(re.sub(r"\s+", " ", inline(child)), "\n")
            elif any(_is_element(c) and c.tag in _BLOCK_TAGS and c.tag != "br" for c in child):
                walk(child)
            else:
                emit(inline(child))
        flush()

    walk(root)
    return "".join(out)


_NON_TEXT = ("script", "style", "template")


def _visible_strings(el: HtmlElement) -> Iterator[str]:
    """Text of ``el`` and its descendants, without scripts, styles, templates and comments."""
    if el.text and el.tag not in _NON_TEXT:
        yield el.text
    for child in el:
        if _is_element(child) and child.tag not in _NON_TEXT:
            yield from _visible_strings(child)
        if child.tail:
            yield child.tail


def _text_length(el: HtmlElement) -> int:
    """Length of the visible text, stripped pieces joined by one space (how candidates are ranked)."""
    return len(" ".join(p for p in (s.strip() for s in _visible_strings(el)) if p))


def _pick_main(root: HtmlElement, selector: str | None) -> HtmlElement | None:
    if selector:
        found = CSSSelector(selector, translator="html")(root)
        if found:
            return found[0] if len(found) == 1 else _wrap(found)
    candidates = root.xpath("//article | //main | //*[@role='main']")
    if not candidates:
        return None
    best = max(candidates, key=_text_length)
    # A thread or a stream of posts: the longest <article> has sibling <article>s (the other
    # posts of the same thread, under the same parent). They are all the page's content;
    # teasers elsewhere on the page (a "related" box) have another parent and stay out.
    parent = best.getparent()
    if best.tag == "article" and parent is not None:
        posts = [el for el in parent if isinstance(el.tag, str) and el.tag == "article"]
        if len(posts) > 1:
            return _wrap(posts)
    return best


def _wrap(elements: list[HtmlElement]) -> HtmlElement:
    """Several content elements, in document order, under one new root."""
    wrapper = lxml.html.Element("div")
    for el in elements:
        _drop(el)
        el.tail = None
        wrapper.append(el)
    return wrapper


def _title(root: HtmlElement) -> str:
    meta = root.xpath("//meta[@property='og:title']/@content")
    if meta and meta[0]:
        return normalise(meta[0])
    title = root.find(".//title")
    if title is not None and len(title) == 0 and title.text:
        return normalise(title.text)
    h1 = root.find(".//h1")
    return normalise(" ".join(h1.itertext())) if h1 is not None else ""


# huge_tree lifts libxml2's nesting limit from 256 to 2048 levels: below 256 a deeply nested
# page silently lost its content and was refused as "empty page"
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=True)
MAX_DEPTH = 120  # deeper elements are unwrapped: rendering recurses once per level
_TOO_DEEP = ("the page nests elements deeper than the parser's limit of 2048 levels; "
             "the content below that depth could not be read")


def _parse(html: str) -> HtmlElement | None:
    root, _ = _parse_checked(html)
    return root


def _parse_checked(html: str) -> tuple[HtmlElement | None, str]:
    """(root, problem): the tree flattened to MAX_DEPTH, and why content was lost, if it was."""
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", errors="replace"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None, ""
    too_deep = any("Excessive depth" in entry.message for entry in _PARSER.error_log)
    _flatten(root)
    return root, _TOO_DEEP if too_deep else ""


def _flatten(root: HtmlElement) -> None:
    """Unwrap elements deeper than MAX_DEPTH, keeping their text in order.

    A block element loses its boundaries, so a line break is kept around it to stop its words
    running into the neighbours'. Real pages never come close; hostile or generated ones do.
    """
    deep: list[HtmlElement] = []
    stack: list[tuple[HtmlElement, int]] = [(root, 0)]
    while stack:  # iterative: the point is to avoid recursing once per level
        el, depth = stack.pop()
        for child in el:
            if _is_element(child):
                if depth + 1 > MAX_DEPTH:
                    deep.append(child)
                stack.append((child, depth + 1))
    for el in deep:
        if el.tag in _BLOCK_TAGS:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
        el.drop_tag()


def extract_main_text(html: str, selector: str | None = None) -> MainText:
    """The page's main text. Never raises on malformed HTML; plain text passes through."""
    if not re.search(r"<\s*(html|body|div|p|article|main|span|table|ul|h\d)\b", html[:20000], re.I):
        return MainText(title="", text=normalise(html))
    root, problem = _parse_checked(html)
    if root is None:
        return MainText(title="", text="")
    title = _title(root)
    main = _pick_main(root, selector)
    if main is None:
        main = _trafilatura_main(html)
        if main is None:
            body = root.find("body")
            main = body if body is not None else root
    _clean(main)
    return MainText(title=title, text=normalise(_render(main)), problem=problem)


def _trafilatura_main(html: str) -> HtmlElement | None:
    """Boilerplate removal for templates without article/main, as HTML we render ourselves."""
    try:
        import trafilatura

        cleaned = trafilatura.extract(html, output_format="html", include_tables=True,
                                      include_comments=False, favor_recall=True)
    except Exception:  # trafilatura raises a variety of parser errors on odd input
        return None
    if not cleaned:
        return None
    root = _parse(cleaned)
    return root.find("body") if root is not None else None


_BLOCK_MARKERS = re.compile(
    r"captcha|are you (?:a )?(?:human|robot)|checking (?:if the site connection is secure|your browser)|"
    r"verify you are human|access denied|attention required|just a moment\.\.\.|enable (?:javascript|cookies)|"
    r"request (?:blocked|rejected)|403 forbidden|404 not found|page not found|service unavailable|"
    r"temporarily unavailable|bad gateway|internal server error|too many requests|rate limit",
    re.I)


MIN_WORDS = 15  # default of the per-source ``min_words`` setting


def page_problem(main: MainText, min_words: int = MIN_WORDS, has_claims: bool = False) -> str | None:
    """Why a fetched page should count as a failed fetch, not as a version: None when fine.

    An error page, a bot check or an empty page must never produce "all claims removed". A
    page shorter than ``min_words`` is still a page when claims were found in it (a selector
    that picks a short dosing box); ``has_claims`` says so.
    """
    words = len(main.text.split())
    hit = _BLOCK_MARKERS.search(main.title) or _BLOCK_MARKERS.search(main.text[:2000])
    if words < 400 and hit:
        return f"looks like an error or bot-check page ({hit.group(0)!r})"
    if words < min_words and not has_claims:
        if main.problem:
            return main.problem
        return (f"empty page ({words} words of main text and no claim; the source's min_words "
                f"is {min_words})")
    return None
