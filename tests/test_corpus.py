"""The labelled demo corpus: it loads, its labels are consistent and it covers every edit kind.

The corpus is the ground truth the claim engine is judged against, so these tests guard the
corpus itself: wrong labels or a silently stale edit would make every benchmark meaningless.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from monitor.corpus import (
    COSMETIC_KINDS,
    EDIT_KINDS,
    MATERIAL_KINDS,
    CorpusSource,
    CorpusVersion,
    build_versions,
    load_corpus,
    load_source,
    render,
)
from monitor.models import CATEGORIES

SOURCE_IDS = ["guide2025", "ionblue", "ningbo", "properties", "shield"]

# Every edit kind the brief asks the corpus to exercise at least once.
REQUIRED_COSMETIC = {
    "template_churn", "markup_churn", "typo_fix", "paragraph_reorder", "claim_moved",
    "sentence_split", "sentences_joined", "claim_reworded", "unit_conversion", "whitespace_quotes",
}
REQUIRED_MATERIAL = {
    "dose_range_changed", "unit_slip", "frequency_changed", "drops_changed", "dosing_added",
    "dosing_removed", "legality_negation_flipped", "authority_dropped", "prohibition_added",
    "disclaimer_removed", "evidence_grade_changed", "evidence_study_type_changed",
    "side_effect_added", "side_effect_removed",
}


@pytest.fixture(scope="module")
def corpus() -> list[CorpusSource]:
    return load_corpus()


def transitions(corpus: list[CorpusSource]):
    for source in corpus:
        for old, new in zip(source.versions, source.versions[1:]):
            yield source, old, new


def main_text(page: str) -> str:
    """Visible text of <article> (else <main>), whitespace collapsed."""
    soup = BeautifulSoup(page, "lxml")
    node = soup.find("article") or soup.find("main")
    assert node is not None
    return " ".join(node.get_text(" ").split())


# ------------------------------------------------------------------ loading and shape


def test_all_five_sources_load_in_id_order(corpus):
    assert [s.id for s in corpus] == SOURCE_IDS
    assert len({s.url_path for s in corpus}) == len(corpus)
    for source in corpus:
        assert source.name and source.url_path.startswith("/")
        assert load_source(source.id) == source


def test_each_source_has_at_least_twelve_numbered_versions(corpus):
    for source in corpus:
        assert len(source.versions) >= 12, source.id
        assert [v.number for v in source.versions] == list(range(1, len(source.versions) + 1))
        assert source.versions[0].label == "initial"


def test_unknown_source_is_a_value_error():
    with pytest.raises(ValueError, match="nope"):
        load_source("nope")


# ------------------------------------------------------------------ labels


def test_every_transition_is_labelled_consistently(corpus):
    for source, old, new in transitions(corpus):
        where = f"{source.id} v{new.number}"
        assert new.label in ("cosmetic", "material"), where
        assert new.note.strip(), where
        assert new.kinds and set(new.kinds) <= EDIT_KINDS, where
        assert new.html != old.html, where
        if new.label == "cosmetic":
            assert new.expect == (), where
            assert set(new.kinds) <= COSMETIC_KINDS, where
        else:
            assert new.expect, where
            assert set(new.kinds) & MATERIAL_KINDS, where
            for item in new.expect:
                assert item["category"] in CATEGORIES, where
                assert item["kind"] in ("added", "removed", "changed"), where


def test_every_required_edit_kind_appears(corpus):
    seen = {kind for _, _, new in transitions(corpus) for kind in new.kinds}
    assert REQUIRED_COSMETIC - seen == set()
    assert REQUIRED_MATERIAL - seen == set()
    for source in corpus:
        labels = [v.label for v in source.versions[1:]]
        assert labels.count("cosmetic") >= 4 and labels.count("material") >= 4, source.id


def test_material_edits_touch_the_main_content(corpus):
    for source, old, new in transitions(corpus):
        if new.label == "material":
            assert main_text(old.html) != main_text(new.html), f"{source.id} v{new.number}"


def test_markup_churn_keeps_the_visible_text(corpus):
    checked = 0
    for source, old, new in transitions(corpus):
        if set(new.kinds) == {"markup_churn"}:
            old_text = re.sub(r"\d", "", main_text(old.html))  # build numbers may tick
            assert old_text == re.sub(r"\d", "", main_text(new.html)), f"{source.id} v{new.number}"
            checked += 1
    assert checked >= 3


def _flips(corpus):
    return [(o, n) for _, o, n in transitions(corpus) if "legality_negation_flipped" in n.kinds]


@pytest.mark.parametrize("negated", [
    "is not approved by the FDA", "not yet FDA-approved", "has not been approved"])
def test_legality_flips_cover_several_wordings(corpus, negated):
    positive = negated.replace("not yet ", "").replace("not ", "")
    hits = [
        n for o, n in _flips(corpus)
        if negated in o.html and negated not in n.html and positive in n.html
    ]
    assert hits, negated
    assert all(e["category"] == "legality" for n in hits for e in n.expect)


def _cells(page: str) -> list[str]:
    return [td.get_text(strip=True) for td in BeautifulSoup(page, "lxml").find_all("td")]


def test_evidence_grade_changes_both_in_a_table_cell_and_in_prose(corpus):
    grade = [(o, n) for _, o, n in transitions(corpus) if "evidence_grade_changed" in n.kinds]
    in_table = [n for o, n in grade if _cells(o.html) != _cells(n.html)]
    in_prose = [n for o, n in grade if _cells(o.html) == _cells(n.html)]
    assert in_table and in_prose
    assert any("Moderate" in _cells(n.html) for n in in_table)


# ------------------------------------------------------------------ pages


# page furniture every template must carry: element name, or class/id fragments
FURNITURE = {
    "nav": ("nav",),
    "footer": ("foot",),
    "aside": ("side", "rail"),
    "cookie": ("cookie", "consent"),
    "newsletter": ("newsletter", "subscribe"),
    "related": ("related",),
}


def _has(tree, tag: str, tokens: tuple[str, ...]) -> bool:
    attrs = " or ".join(f"contains(@class,'{t}') or contains(@id,'{t}')" for t in tokens)
    return bool(tree.xpath(f"//{tag} | //*[{attrs}]"))


def test_rendered_pages_are_complete_and_parse(corpus):
    for source in corpus:
        for version in source.versions:
            page = version.html
            where = f"{source.id} v{version.number}"
            assert page.lstrip().lower().startswith("<!doctype html>"), where
            assert "[[" not in page and "{{" not in page, where
            tree = lxml_html.fromstring(page)
            assert tree.findtext(".//title"), where
            assert tree.xpath("//script[@nonce]"), where
            for tag, tokens in FURNITURE.items():
                assert _has(tree, tag, tokens), (where, tag, tokens)
            assert "Updated:" in page, where
            assert len(main_text(page)) > 1500, where


def test_seed_facts_present_in_initial_versions(corpus):
    first = {s.id: s.versions[0].html for s in corpus}
    assert "range from 300mcg to 600mcg" in first["shield"]
    assert "These statements have not been evaluated by the Food and Drug Administration" in first["shield"]
    assert "Recommended dosage is .25-1 mg per day or 2-3 drops in each nostril taken twice a day" in first["properties"]
    assert "List of Vital and Essential Drugs" in first["properties"]
    assert "not yet FDA-approved" in first["guide2025"]
    assert "Animal studies" in first["ningbo"] or "animal studies" in first["ningbo"]
    soup = BeautifulSoup(first["ionblue"], "lxml")
    rows = {tr.th.get_text(strip=True): tr.td.get_text(strip=True) for tr in soup.select("table tr")}
    assert rows["Evidence Level"] == "Low"
    assert "Evidence: Low" in soup.get_text()
    assert len(soup.select("#risks li")) == 4
    faq = BeautifulSoup(first["guide2025"], "lxml").select(".faq-item")
    assert len(faq) == 6 and all(item.select_one(".faq-q") and item.select_one(".faq-a") for item in faq)


# ------------------------------------------------------------------ render and edits


def test_render_substitutes_and_escapes():
    out = render("<p>[[a]] and [[b]]</p>", {"a": "<b>&\"x\"", "b": "2"})
    assert out == "<p>&lt;b&gt;&amp;&quot;x&quot; and 2</p>"


def test_render_unknown_placeholder_names_it():
    with pytest.raises(ValueError, match=r"\[\[missing\]\]"):
        render("x [[missing]] y", {"other": "1"})


@given(st.text().filter(lambda s: "[[" not in s))
def test_render_is_identity_without_placeholders(text):
    assert render(text, {}) == text


@given(st.text())
def test_render_round_trips_any_value(value):
    assert html_lib.unescape(render("[[v]]", {"v": value})) == value


TEMPLATE = "<p>Dose is 300 mcg.</p><p>Updated [[d]]</p>"


def _entries(*later: dict) -> list[dict]:
    return [{"label": "initial", "vars": {"d": "1"}}, *later]


def test_build_versions_applies_edits_cumulatively():
    versions = build_versions("demo", TEMPLATE, _entries(
        {"label": "material", "note": "n", "kinds": ["dose_range_changed"],
         "edits": [{"replace": "300 mcg", "with": "600 mcg"}],
         "expect": [{"category": "dosage", "kind": "changed"}]},
        {"label": "cosmetic", "note": "n", "kinds": ["template_churn"], "vars": {"d": "2"}},
    ))
    assert [v.html for v in versions] == [
        "<p>Dose is 300 mcg.</p><p>Updated 1</p>",
        "<p>Dose is 600 mcg.</p><p>Updated 1</p>",
        "<p>Dose is 600 mcg.</p><p>Updated 2</p>",
    ]
    assert isinstance(versions[1], CorpusVersion) and versions[1].kinds == ("dose_range_changed",)


@pytest.mark.parametrize("replace", ["900 mcg", "p>"])
def test_bad_edit_raises_naming_source_version_and_text(replace):
    entries = _entries({"label": "cosmetic", "note": "n", "kinds": ["typo_fix"],
                        "edits": [{"replace": replace, "with": "x"}]})
    with pytest.raises(ValueError) as err:
        build_versions("demo", TEMPLATE, entries)
    assert "demo version 2" in str(err.value) and replace in str(err.value)


@pytest.mark.parametrize("entry, message", [
    ({"label": "cosmetic", "note": "n", "kinds": ["no_such_kind"], "vars": {"d": "2"}}, "unknown edit kind"),
    ({"label": "cosmetic", "note": "n", "kinds": ["unit_slip"], "vars": {"d": "2"}}, "material kind"),
    ({"label": "material", "note": "n", "kinds": ["unit_slip"], "vars": {"d": "2"}}, "expected changes"),
    ({"label": "cosmetic", "note": "n", "kinds": ["typo_fix"], "vars": {"d": "2"},
      "expect": [{"category": "dosage", "kind": "changed"}]}, "empty expect"),
    ({"label": "material", "note": "n", "kinds": ["unit_slip"], "vars": {"d": "2"},
      "expect": [{"category": "price", "kind": "changed"}]}, "category"),
    ({"label": "cosmetic", "note": "", "kinds": ["typo_fix"], "vars": {"d": "2"}}, "note"),
    ({"label": "tweak", "note": "n", "kinds": ["typo_fix"], "vars": {"d": "2"}}, "label"),
    ({"label": "cosmetic", "note": "n", "kinds": ["typo_fix"]}, "identical"),
    ({"label": "cosmetic", "note": "n", "kinds": ["template_churn"], "vars": {"dd": "2"}}, "not used"),
])
def test_invalid_history_entries_are_rejected(entry, message):
    with pytest.raises(ValueError, match=message):
        build_versions("demo", TEMPLATE, _entries(entry))
