"""HTML → main text, normalised; and the fingerprint that decides "did the text change".

Why our own renderer on top of bs4: claims live in structure that generic text extractors
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

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

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


def _is_boilerplate(tag: Tag) -> bool:
    attrs = " ".join([tag.get("id") or "", " ".join(tag.get("class") or []), tag.get("role") or ""])
    if tag.get("aria-hidden") == "true" or tag.get("hidden") is not None:
        return True
    if tag.get("role") in ("navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog"):
        return True
    return bool(attrs.strip()) and bool(_BOILER_RE.search(attrs))


def _clean(root: Tag) -> None:
    for node in root.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in root.find_all(list(_DROP_TAGS)):
        tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed:
            continue
        if tag.name not in ("html", "body", "article", "main") and _is_boilerplate(tag):
            tag.decompose()


def _render(root: Tag) -> str:
    """Block-structured text: blocks separated by blank lines, rows/items by newlines."""
    out: list[str] = []

    def inline(tag: Tag) -> str:
        parts: list[str] = []
        for child in tag.children:
            if isinstance(child, NavigableString):
                parts.append(str(child))
            elif isinstance(child, Tag):
                if child.name == "br":
                    parts.append("\n")
                else:
                    parts.append(inline(child) if child.name not in _BLOCK_TAGS else "\n" + inline(child) + "\n")
        return "".join(parts)

    def emit(text: str, sep: str = "\n\n") -> None:
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            out.append(text + sep)

    def walk(tag: Tag) -> None:
        buf: list[str] = []

        def flush() -> None:
            if buf:
                emit("".join(buf))
                buf.clear()

        for child in tag.children:
            if isinstance(child, NavigableString):
                buf.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name not in _BLOCK_TAGS:
                buf.append(inline(child))
                continue
            flush()
            if name == "br":
                buf.append("\n")
            elif name == "tr":
                cells = [re.sub(r"\s+", " ", inline(c)).strip() for c in child.find_all(["td", "th"], recursive=False)]
                emit(" | ".join(c for c in cells if c), "\n")
            elif name == "li":
                nested = child.find(["ul", "ol"])
                if nested is not None:
                    nested.extract()
                emit("• " + re.sub(r"\s+", " ", inline(child)), "\n")
                if nested is not None:
                    walk(nested)
            elif name in ("ul", "ol", "table", "thead", "tbody", "tfoot", "dl"):
                walk(child)
                out.append("\n")
            elif name in ("dt", "dd"):
                emit(re.sub(r"\s+", " ", inline(child)), "\n")
            elif any(isinstance(c, Tag) and c.name in _BLOCK_TAGS and c.name != "br" for c in child.children):
                walk(child)
            else:
                emit(inline(child))
        flush()

    walk(root)
    return "".join(out)


def _pick_main(soup: BeautifulSoup, selector: str | None) -> Tag | None:
    if selector:
        found = soup.select(selector)
        if found:
            if len(found) == 1:
                return found[0]
            wrapper = soup.new_tag("div")
            for tag in found:
                wrapper.append(tag.extract())
            return wrapper
    candidates = soup.select("article, main, [role=main]")
    if not candidates:
        return None
    return max(candidates, key=lambda t: len(t.get_text(" ", strip=True)))


def _title(soup: BeautifulSoup) -> str:
    for sel in ("meta[property='og:title']",):
        tag = soup.select_one(sel)
        if tag and tag.get("content"):
            return normalise(tag["content"])
    if soup.title and soup.title.string:
        return normalise(soup.title.string)
    h1 = soup.find("h1")
    return normalise(h1.get_text(" ")) if h1 else ""


def extract_main_text(html: str, selector: str | None = None) -> MainText:
    """The page's main text. Never raises on malformed HTML; plain text passes through."""
    if not re.search(r"<\s*(html|body|div|p|article|main|span|table|ul|h\d)\b", html[:20000], re.I):
        return MainText(title="", text=normalise(html))
    soup = BeautifulSoup(html, "lxml")
    title = _title(soup)
    main = _pick_main(soup, selector)
    if main is None:
        main = _trafilatura_main(html) or soup.body or soup
    _clean(main)
    return MainText(title=title, text=normalise(_render(main)))


def _trafilatura_main(html: str) -> Tag | None:
    """Boilerplate removal for templates without article/main, as HTML we render ourselves."""
    try:
        import trafilatura

        cleaned = trafilatura.extract(html, output_format="html", include_tables=True,
                                      include_comments=False, favor_recall=True)
    except Exception:  # trafilatura raises a variety of parser errors on odd input
        return None
    if not cleaned:
        return None
    return BeautifulSoup(cleaned, "lxml").body


_BLOCK_MARKERS = re.compile(
    r"captcha|are you (?:a )?(?:human|robot)|checking (?:if the site connection is secure|your browser)|"
    r"verify you are human|access denied|attention required|just a moment\.\.\.|enable (?:javascript|cookies)|"
    r"request (?:blocked|rejected)|403 forbidden|404 not found|page not found|service unavailable|"
    r"temporarily unavailable|bad gateway|internal server error|too many requests|rate limit",
    re.I)


def page_problem(main: MainText) -> str | None:
    """Why a fetched page should count as a failed fetch, not as a version: None when fine.

    An error page, a bot check or an empty page must never produce "all claims removed".
    """
    words = len(main.text.split())
    hit = _BLOCK_MARKERS.search(main.title) or _BLOCK_MARKERS.search(main.text[:2000])
    if words < 400 and hit:
        return f"looks like an error or bot-check page ({hit.group(0)!r})"
    if words < 15:
        return "empty page (fewer than 15 words of main text)"
    return None
