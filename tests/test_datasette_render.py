"""Pure rendering helpers of the Datasette views: word diffs, chips, highlighted spans."""

from __future__ import annotations

import html
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from monitor.datasette.render import (chips, highlight_spans, inline_diff, safe_link, says_entries, says_table,
                                      value_labels)
from monitor.datasette.render import word_diff_html as word_diff

TAGS = re.compile(r"</?(?:del|ins|mark[^>]*)>")
texts = st.text(alphabet=st.sampled_from(list("ab <>&\"' 0.3–6mg\n")), max_size=40)


def plain(markup: str) -> str:
    return html.unescape(TAGS.sub("", str(markup)))


@given(texts, texts)
def test_word_diff_keeps_both_texts_and_escapes_them(old: str, new: str) -> None:
    left, right = word_diff(old, new)
    assert plain(left) == old and plain(right) == new
    assert "<" not in TAGS.sub("", str(left) + str(right))  # only our own tags are live
    merged = inline_diff(old, new)
    assert plain(re.sub(r"<ins>.*?</ins>", "", str(merged), flags=re.S)) == old
    assert plain(re.sub(r"<del>.*?</del>", "", str(merged), flags=re.S)) == new


def test_word_diff_marks_only_the_changed_numbers() -> None:
    left, right = word_diff("take 0.3–0.6 mg twice", "take 0.6–0.9 mg twice")
    assert str(left) == "take 0.<del>3</del>–0.<del>6</del> mg twice"
    assert str(right) == "take 0.<ins>6</ins>–0.<ins>9</ins> mg twice"


def test_value_labels_for_each_category() -> None:
    dose = {"min_mg": 0.3, "max_mg": 0.6, "per": "dose", "route": "intranasal", "drops_min": 2,
            "drops_max": 3, "times_per_day_min": 2, "times_per_day_max": 3}
    assert value_labels(dose) == ["0.3–0.6 mg", "intranasal", "2–3 drops", "2–3×/day"]
    assert value_labels({"authority": "FDA", "status": "not_approved"}) == ["FDA", "not approved"]
    assert value_labels({"level": "low"}) == ["level: low"]
    assert value_labels({"kind": "human", "qualifiers": ["limited"]}) == ["human", "qualifiers: limited"]
    assert value_labels({"effect": "hair_loss", "stated": "present"}) == ["hair loss", "present"]
    assert value_labels({"min_mg": 1.0, "max_mg": 1.0, "per": "day"}) == ["1 mg per day"]
    assert value_labels({"max_mg": 2}) == ["up to 2 mg"]  # the words of the diff summaries (one schema)
    assert str(chips({})) == '<span class="cw-chip cw-empty">—</span>'
    assert "&lt;b&gt;" in str(chips({"note": "<b>"}))


def test_highlight_spans_skips_bad_offsets_and_escapes() -> None:
    text = "a <b> c"
    out = highlight_spans(text, [(2, 5, "cw-added"), (3, 4, "cw-x"), (5, 99, "cw-y"), (4, 4, "cw-z")])
    assert str(out) == 'a <mark class="cw-added">&lt;b&gt;</mark> c'


def test_safe_link_only_links_http() -> None:
    assert str(safe_link("https://x.example/a?b=1&c=2")).startswith('<a href="https://x.example/a?b=1&amp;c=2"')
    for bad in ("javascript:alert(1)", "data:text/html,x", " https://x.example"):
        assert "<a" not in str(safe_link(bad))


def test_says_table_groups_sources_by_value_escaped_and_capped() -> None:
    raw = json.dumps([
        {"value": {"authority": "FDA", "status": "approved"}, "sources": ["<b>x</b>"], "text": "<i>approved</i>"},
        {"value": {"authority": "FDA", "status": "not_approved"}, "sources": [f"s{i}" for i in range(5)], "text": "no"},
        {"value": "not a dict", "sources": ["junk"]}, 7])
    entries = says_entries(raw)
    assert [e["sources"][0] for e in entries] == ["s0", "<b>x</b>"]  # most-stated first, junk dropped
    out = str(says_table(entries, lambda sid: "/q?source=" + sid, limit=3))
    assert out.startswith('<div class="cw-says-head">6 sources, 2 values</div>')
    assert '<a href="/q?source=s1">s1</a>, <a href="/q?source=s2">s2</a> <span class="cw-more">+2 more</span>' in out
    assert "s3" not in out and "&lt;b&gt;x&lt;/b&gt;" in out and "&lt;i&gt;approved&lt;/i&gt;" in out
    assert "<b>" not in out and "<i>" not in out
    assert '<span class="cw-chip">not approved</span>' in out
    assert str(says_table(says_entries("not json"), str)) == '<span class="cw-chip cw-empty">—</span>'
